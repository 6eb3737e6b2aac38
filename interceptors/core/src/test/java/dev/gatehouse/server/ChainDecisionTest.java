package dev.gatehouse.server;

import static dev.gatehouse.testing.ProbeHarness.drain;
import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static dev.gatehouse.testing.ProbeHarness.headers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.TrustSource;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import dev.gatehouse.testing.ProbeHarness;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The decision table and the fixed status texts (docs/design.md), end to end over the in-process
 * transport, for unary and server-streaming calls alike.
 */
class ChainDecisionTest {
  static final Req REQ = Req.getDefaultInstance();

  /** Unary or server-streaming twin of a Probe method. */
  enum Shape {
    UNARY,
    STREAM
  }

  /** The Probe methods by what they resolve to. */
  enum Target {
    /** public. */
    OPEN,
    /** internal, no requires. */
    WORKER,
    /** internal, requires roles [trip-finisher]. */
    FINISHER,
    /** gated, ALLOW. */
    ANY_USER,
    /** gated, requires any of [driver, admin] and all of [trips:write]. */
    DRIVER,
    /** gated, DENY. */
    DENIED
  }

  /** Calls {@code t} and returns the response texts; unary answers its method name. */
  static List<String> call(ProbeHarness h, Metadata md, Shape s, Target t) {
    ProbeGrpc.ProbeBlockingStub stub = h.stub(md);
    if (s == Shape.UNARY) {
      Resp r =
          switch (t) {
            case OPEN -> stub.open(REQ);
            case WORKER -> stub.worker(REQ);
            case FINISHER -> stub.workerFinisher(REQ);
            case ANY_USER -> stub.anyUser(REQ);
            case DRIVER -> stub.driver(REQ);
            case DENIED -> stub.denied(REQ);
          };
      return List.of(r.getText());
    }
    return drain(
        switch (t) {
          case OPEN -> stub.streamOpen(REQ);
          case WORKER -> stub.streamWorker(REQ);
          case FINISHER -> stub.streamWorkerFinisher(REQ);
          case ANY_USER -> stub.streamAnyUser(REQ);
          case DRIVER -> stub.streamDriver(REQ);
          case DENIED -> stub.streamDenied(REQ);
        });
  }

  static Metadata md(String... nameValuePairs) {
    Metadata md = new Metadata();
    for (int i = 0; i < nameValuePairs.length; i += 2) {
      md.put(IncomingCall.key(nameValuePairs[i]), nameValuePairs[i + 1]);
    }
    return md;
  }

  /** The standard chain: user authenticator on authorization, one trust source on x-svc. */
  static final class Fixture {
    final FakeAuthenticator user = FakeAuthenticator.user("authorization");
    final FakeAuthenticator.Source src = FakeAuthenticator.source("src1", "x-svc");

    ProbeHarness start() throws Exception {
      return start(b -> {});
    }

    ProbeHarness start(Consumer<Gatehouse.Builder> extra) throws Exception {
      return ProbeHarness.start(
          h -> {
            Gatehouse.Builder b =
                Gatehouse.newBuilder()
                    .addService(h.service())
                    .userAuthenticator(user)
                    .addTrustSource(src);
            extra.accept(b);
            return b.build();
          });
    }
  }

  static void assertRefused(ProbeHarness h, Runnable call, Status.Code code, String description) {
    StatusRuntimeException e = expectFailure(call);
    assertEquals(code, e.getStatus().getCode(), () -> "status " + e.getStatus());
    assertEquals(description, e.getStatus().getDescription());
    assertNull(e.getStatus().getCause());
    assertEquals(0, h.handlerRuns(), "handler ran");
  }

  static AuthContext onlyContext(ProbeHarness h) {
    assertEquals(1, h.handlerRuns());
    return h.seen().get(0).context().orElseThrow(() -> new AssertionError("no AuthContext"));
  }

  static String streamText(Shape s, Target t, String subject) {
    if (s == Shape.STREAM) {
      return subject;
    }
    return switch (t) {
      case OPEN -> "Open";
      case WORKER -> "Worker";
      case FINISHER -> "WorkerFinisher";
      case ANY_USER -> "AnyUser";
      case DRIVER -> "Driver";
      case DENIED -> "Denied";
    };
  }

  // ---- public ----------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Shape.class)
  void publicMethod_noCredential_handlerRunsWithoutContext(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      List<String> out = call(h, new Metadata(), s, Target.OPEN);
      assertEquals(streamText(s, Target.OPEN, "none"), out.get(0));
      assertEquals(1, h.handlerRuns());
      assertTrue(h.seen().get(0).context().isEmpty());
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void publicMethod_badDuplicateAndThrowingCredentials_neverRead(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      Metadata md = md("authorization", "bad", "x-svc", "boom");
      md.put(IncomingCall.key("authorization"), "ok:second");
      call(h, md, s, Target.OPEN);
      assertEquals(1, h.handlerRuns());
      assertTrue(h.seen().get(0).context().isEmpty());
      assertEquals(0, f.user.calls.get(), "user authenticator was asked on a public method");
      assertEquals(0, f.src.calls.get(), "trust source was asked on a public method");
    }
  }

  // ---- internal --------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Shape.class)
  void internalMethod_identityNoRequires_allowedWithServicePrincipal(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      List<String> out = call(h, md("x-svc", "ok:worker"), s, Target.WORKER);
      assertEquals(streamText(s, Target.WORKER, "worker"), out.get(0));
      AuthContext ctx = onlyContext(h);
      assertEquals("worker", ctx.subject());
      assertEquals(PrincipalKind.SERVICE, ctx.kind());
      assertEquals("src1", ctx.trustSource());
      assertEquals(0, f.user.calls.get());
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void internalMethod_requiresAndSourceGrantsRole_allowed(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      call(h, md("x-svc", "ok:worker:trip-finisher"), s, Target.FINISHER);
      assertTrue(onlyContext(h).hasRole("trip-finisher"));
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void internalMethod_requiresAndSourceGrantsOtherRole_permissionDenied(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      assertRefused(
          h,
          () -> call(h, md("x-svc", "ok:worker:driver"), s, Target.FINISHER),
          Status.Code.PERMISSION_DENIED,
          AuthStatus.DENIED_TEXT);
      assertRefused(
          h,
          () -> call(h, md("x-svc", "ok:worker"), s, Target.FINISHER),
          Status.Code.PERMISSION_DENIED,
          AuthStatus.DENIED_TEXT);
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void internalMethod_noIdentity_unauthenticatedMissing(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      assertRefused(
          h,
          () -> call(h, new Metadata(), s, Target.WORKER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.MISSING_TEXT);
      assertRefused(
          h,
          () -> call(h, new Metadata(), s, Target.FINISHER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.MISSING_TEXT);
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void internalMethod_rejectedCredential_unauthenticatedInvalid(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      assertRefused(
          h,
          () -> call(h, md("x-svc", "bad"), s, Target.WORKER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
      assertRefused(
          h,
          () -> call(h, md("x-svc", "garbage"), s, Target.WORKER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void internalMethod_userCredential_unauthenticatedInvalid(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      assertRefused(
          h,
          () -> call(h, md("authorization", "ok:alice"), s, Target.WORKER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
      assertEquals(0, f.user.calls.get(), "the user authenticator decided an internal method");
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void internalMethod_trustSourcePrincipal_stampedServiceWithTheSourcesOwnName(Shape s)
      throws Exception {
    // A source returns only who it verified; the chain decides the kind from the slot and names
    // the source itself, so no source can present a user or speak for another source.
    FakeAuthenticator.Source src = FakeAuthenticator.source("mesh-a", "x-svc");
    try (ProbeHarness h =
        ProbeHarness.start(
            hh ->
                Gatehouse.newBuilder()
                    .addService(hh.service())
                    .userAuthenticator(FakeAuthenticator.user("authorization"))
                    .addTrustSource(src)
                    .build())) {
      call(h, md("x-svc", "ok:alice"), s, Target.WORKER);
      AuthContext ctx = onlyContext(h);
      assertEquals("alice", ctx.subject());
      assertEquals(PrincipalKind.SERVICE, ctx.kind());
      assertEquals("mesh-a", ctx.trustSource());
      assertEquals(1, src.calls.get());
    }
  }

  // ---- gated -----------------------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Shape.class)
  void gatedAllow_user_allowedWithUserPrincipal(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      List<String> out = call(h, md("authorization", "ok:alice"), s, Target.ANY_USER);
      assertEquals(streamText(s, Target.ANY_USER, "alice"), out.get(0));
      AuthContext ctx = onlyContext(h);
      assertEquals("alice", ctx.subject());
      assertEquals(PrincipalKind.USER, ctx.kind());
      assertEquals("fake_user", ctx.trustSource());
      assertEquals(0, f.src.calls.get(), "a trust source decided a gated method");
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void gatedAllow_noCredential_unauthenticatedMissing(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      assertRefused(
          h,
          () -> call(h, new Metadata(), s, Target.ANY_USER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.MISSING_TEXT);
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void gatedAllow_rejectedCredential_unauthenticatedInvalid(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      assertRefused(
          h,
          () -> call(h, md("authorization", "bad"), s, Target.ANY_USER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void gatedRequires_anyRoleAndAllScopes_allowed(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      call(h, md("authorization", "ok:alice:driver:trips:write"), s, Target.DRIVER);
      call(h, md("authorization", "ok:bob:admin,x:trips:write,trips:read"), s, Target.DRIVER);
      assertEquals(2, h.handlerRuns());
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void gatedRequires_missingRoleOrScope_permissionDenied(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      for (String cred :
          List.of(
              "ok:alice",
              "ok:alice:driver",
              "ok:alice:rider:trips:write",
              "ok:alice::trips:write")) {
        assertRefused(
            h,
            () -> call(h, md("authorization", cred), s, Target.DRIVER),
            Status.Code.PERMISSION_DENIED,
            AuthStatus.DENIED_TEXT);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void gatedDeny_unauthenticated_unauthenticatedMissing(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      assertRefused(
          h,
          () -> call(h, new Metadata(), s, Target.DENIED),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.MISSING_TEXT);
      assertRefused(
          h,
          () -> call(h, md("authorization", "bad"), s, Target.DENIED),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void gatedDeny_authenticated_permissionDenied(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      assertRefused(
          h,
          () -> call(h, md("authorization", "ok:root:admin,driver:trips:write"), s, Target.DENIED),
          Status.Code.PERMISSION_DENIED,
          AuthStatus.DENIED_TEXT);
      assertEquals(1, f.user.calls.get(), "authentication must run before the DENY decision");
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void gatedMethod_userAuthenticatorPrincipal_stampedUserWithTheAuthenticatorsName(Shape s)
      throws Exception {
    FakeAuthenticator user = new FakeAuthenticator("idp-a", "authorization");
    try (ProbeHarness h =
        ProbeHarness.start(
            hh ->
                Gatehouse.newBuilder()
                    .addService(hh.service())
                    .userAuthenticator(user)
                    .addTrustSource(FakeAuthenticator.source("src1", "x-svc"))
                    .build())) {
      call(h, md("authorization", "ok:worker"), s, Target.ANY_USER);
      AuthContext ctx = onlyContext(h);
      assertEquals("worker", ctx.subject());
      assertEquals(PrincipalKind.USER, ctx.kind());
      assertEquals("idp-a", ctx.trustSource());
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void gatedMethod_serviceCredentialOnly_unauthenticatedInvalid(Shape s) throws Exception {
    // A service credential on a gated method is a present credential of the wrong kind (design
    // section 3), not a missing one.
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      assertRefused(
          h,
          () -> call(h, md("x-svc", "ok:worker"), s, Target.ANY_USER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
      assertEquals(0, f.src.calls.get(), "a trust source decided a gated method");
    }
  }

  // ---- duplicates, ordering, outages ----------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Shape.class)
  void duplicateCredentialHeader_unauthenticatedInvalidBeforeAnyAuthenticator(Shape s)
      throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      assertRefused(
          h,
          () -> call(h, headers("authorization", "ok:alice", "ok:alice"), s, Target.ANY_USER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
      assertRefused(
          h,
          () -> call(h, headers("authorization", "bad", "ok:admin"), s, Target.ANY_USER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
      assertRefused(
          h,
          () -> call(h, headers("x-svc", "ok:worker", "ok:worker"), s, Target.WORKER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
      Metadata userTwiceOnInternal = headers("authorization", "ok:a", "ok:b");
      userTwiceOnInternal.put(IncomingCall.key("x-svc"), "ok:worker");
      assertRefused(
          h,
          () -> call(h, userTwiceOnInternal, s, Target.WORKER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
      assertEquals(0, f.user.calls.get());
      assertEquals(0, f.src.calls.get());
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void gatedMethod_validUserButDuplicatedServiceHeader_unauthenticatedInvalid(Shape s)
      throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      Metadata md = headers("x-svc", "ok:a", "ok:b");
      md.put(IncomingCall.key("authorization"), "ok:alice");
      assertRefused(
          h,
          () -> call(h, md, s, Target.ANY_USER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
      assertEquals(0, f.user.calls.get());
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void firstSourceRejects_secondWouldAccept_unauthenticatedAndSecondNeverAsked(Shape s)
      throws Exception {
    FakeAuthenticator.Source first = FakeAuthenticator.source("first", "x-svc");
    FakeAuthenticator.Source second = FakeAuthenticator.source("second", "x-svc2");
    try (ProbeHarness h = twoSources(first, second)) {
      assertRefused(
          h,
          () -> call(h, md("x-svc", "bad", "x-svc2", "ok:worker"), s, Target.WORKER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
      assertEquals(1, first.calls.get());
      assertEquals(0, second.calls.get(), "fell through to a weaker source");
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void firstSourceUnavailable_unavailableAndSecondNeverAsked(Shape s) throws Exception {
    FakeAuthenticator.Source first = FakeAuthenticator.source("first", "x-svc");
    FakeAuthenticator.Source second = FakeAuthenticator.source("second", "x-svc2");
    try (ProbeHarness h = twoSources(first, second)) {
      assertRefused(
          h,
          () -> call(h, md("x-svc", "down", "x-svc2", "ok:worker"), s, Target.WORKER),
          Status.Code.UNAVAILABLE,
          AuthStatus.UNAVAILABLE_TEXT);
      assertEquals(0, second.calls.get());
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void firstSourceNoCredential_secondDecides(Shape s) throws Exception {
    FakeAuthenticator.Source first = FakeAuthenticator.source("first", "x-svc");
    FakeAuthenticator.Source second = FakeAuthenticator.source("second", "x-svc2");
    try (ProbeHarness h = twoSources(first, second)) {
      call(h, md("x-svc2", "ok:worker"), s, Target.WORKER);
      AuthContext ctx = onlyContext(h);
      assertEquals("second", ctx.trustSource());
      assertEquals(1, first.calls.get());
      assertEquals(1, second.calls.get());
    }
    FakeAuthenticator.Source first2 = FakeAuthenticator.source("first", "x-svc");
    FakeAuthenticator.Source second2 = FakeAuthenticator.source("second", "x-svc2");
    try (ProbeHarness h = twoSources(first2, second2)) {
      assertRefused(
          h,
          () -> call(h, md("x-svc2", "bad"), s, Target.WORKER),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void bothSourcesAccept_firstAddedWins(Shape s) throws Exception {
    FakeAuthenticator.Source first = FakeAuthenticator.source("first", "x-svc");
    FakeAuthenticator.Source second = FakeAuthenticator.source("second", "x-svc2");
    try (ProbeHarness h = twoSources(first, second)) {
      call(h, md("x-svc", "ok:a", "x-svc2", "ok:b"), s, Target.WORKER);
      assertEquals("a", onlyContext(h).subject());
      assertEquals(0, second.calls.get());
    }
  }

  private static ProbeHarness twoSources(FakeAuthenticator.Source a, FakeAuthenticator.Source b)
      throws Exception {
    return ProbeHarness.start(
        h ->
            Gatehouse.newBuilder()
                .addService(h.service())
                .userAuthenticator(FakeAuthenticator.user("authorization"))
                .addTrustSource(a)
                .addTrustSource(b)
                .build());
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void keysUnavailable_unavailableRetryLater(Shape s) throws Exception {
    Fixture f = new Fixture();
    try (ProbeHarness h = f.start()) {
      assertRefused(
          h,
          () -> call(h, md("authorization", "down"), s, Target.ANY_USER),
          Status.Code.UNAVAILABLE,
          AuthStatus.UNAVAILABLE_TEXT);
      assertRefused(
          h,
          () -> call(h, md("x-svc", "down"), s, Target.WORKER),
          Status.Code.UNAVAILABLE,
          AuthStatus.UNAVAILABLE_TEXT);
    }
  }

  // ---- headers the application never sees ----------------------------------------------------

  @ParameterizedTest
  @EnumSource(Shape.class)
  void headersToRemove_removedWhetherAcceptedRefusedOrPublic(Shape s) throws Exception {
    RemovingSource mesh = new RemovingSource();
    try (ProbeHarness h =
        ProbeHarness.start(
            hh ->
                Gatehouse.newBuilder()
                    .addService(hh.service())
                    .userAuthenticator(FakeAuthenticator.user("authorization"))
                    .addTrustSource(mesh)
                    .build())) {
      call(h, md("x-fwd", "ok:worker"), s, Target.WORKER);
      call(h, md("x-fwd", "ok:worker"), s, Target.OPEN);
      call(h, md("x-fwd", "ok:worker", "authorization", "ok:alice"), s, Target.ANY_USER);
      assertEquals(3, h.handlerRuns());
      for (ProbeHarness.Seen seen : h.seen()) {
        assertFalse(seen.headers().containsKey(IncomingCall.key("x-fwd")), seen.method());
      }
    }
  }

  /** A trust source that, like mesh identity, removes its header from what the app sees. */
  private static final class RemovingSource extends FakeAuthenticator implements TrustSource {
    RemovingSource() {
      super("mesh", "x-fwd");
    }

    @Override
    public Set<String> headersToRemove() {
      return Set.of("x-fwd");
    }
  }

  // ---- misbehaving authenticators -------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Shape.class)
  void authenticatorReturnsNull_internalError(Shape s) throws Exception {
    FakeAuthenticator nullUser =
        new FakeAuthenticator("fake_user", "authorization") {
          @Override
          public AuthResult authenticate(IncomingCall request) {
            return null;
          }
        };
    try (ProbeHarness h =
        ProbeHarness.start(
            hh ->
                Gatehouse.newBuilder()
                    .addService(hh.service())
                    .userAuthenticator(nullUser)
                    .addTrustSource(FakeAuthenticator.source("src1", "x-svc"))
                    .build())) {
      assertRefused(
          h,
          () -> call(h, md("authorization", "ok:alice"), s, Target.ANY_USER),
          Status.Code.INTERNAL,
          AuthStatus.INTERNAL_TEXT);
    }
  }
}
