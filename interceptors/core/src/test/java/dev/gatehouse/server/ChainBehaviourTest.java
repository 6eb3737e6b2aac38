package dev.gatehouse.server;

import static dev.gatehouse.server.ChainDecisionTest.REQ;
import static dev.gatehouse.server.ChainDecisionTest.assertRefused;
import static dev.gatehouse.server.ChainDecisionTest.call;
import static dev.gatehouse.server.ChainDecisionTest.md;
import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.policy.Mode;
import dev.gatehouse.server.ChainDecisionTest.Shape;
import dev.gatehouse.server.ChainDecisionTest.Target;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.spi.TrustSource;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Resp;
import dev.gatehouse.testing.ProbeHarness;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Errors, logging, audit, dry-run and AuthContext propagation of the chain. */
class ChainBehaviourTest {
  private static final String SECRET = "secret-token-material";

  private static ProbeHarness harness(java.util.function.Consumer<Gatehouse.Builder> config)
      throws Exception {
    return ProbeHarness.start(
        h -> {
          Gatehouse.Builder b = Gatehouse.newBuilder().addService(h.service());
          config.accept(b);
          return b.build();
        });
  }

  private static void standard(Gatehouse.Builder b) {
    b.userAuthenticator(FakeAuthenticator.user("authorization"))
        .addTrustSource(FakeAuthenticator.source("src1", "x-svc"));
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> void sneakyThrow(Throwable t) throws E {
    throw (E) t;
  }

  /** Throws a checked exception the compiler does not know about, as Kotlin or Lombok code can. */
  private static final class SneakyUser extends FakeAuthenticator {
    SneakyUser() {
      super("fake_user", "authorization");
    }

    @Override
    public AuthResult authenticate(IncomingCall request) {
      calls.incrementAndGet();
      ChainBehaviourTest.<RuntimeException>sneakyThrow(
          new java.io.IOException("io failure with " + SECRET));
      return null;
    }
  }

  // ---- unexpected exceptions -------------------------------------------------------------------

  @ParameterizedTest
  @EnumSource(Shape.class)
  void authenticatorThrows_internalErrorAndSecretInNoLogLineOrDescription(Shape s)
      throws Exception {
    try (LogCapture logs = new LogCapture();
        ProbeHarness h = harness(ChainBehaviourTest::standard)) {
      StatusRuntimeException gated =
          expectFailure(() -> call(h, md("authorization", "boom"), s, Target.ANY_USER));
      StatusRuntimeException internal =
          expectFailure(() -> call(h, md("x-svc", "boom"), s, Target.WORKER));
      for (StatusRuntimeException e : List.of(gated, internal)) {
        assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
        assertEquals(AuthStatus.INTERNAL_TEXT, e.getStatus().getDescription());
        assertFalse(String.valueOf(e.getMessage()).contains(SECRET));
        assertNull(e.getStatus().getCause());
      }
      assertEquals(0, h.handlerRuns());
      assertTrue(
          logs.records().stream().anyMatch(r -> Level.SEVERE.equals(r.getLevel())),
          "the unexpected exception is logged");
      assertFalse(logs.anyContains(SECRET), () -> String.join("\n", logs.lines()));
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void authenticatorThrowsCheckedSneakily_internalErrorNotLeaked(Shape s) throws Exception {
    // Regression: only RuntimeException and Error were caught, so a sneaky checked exception
    // escaped the chain: the call did not get INTERNAL "internal error" and grpc logged it.
    try (LogCapture logs = new LogCapture();
        ProbeHarness h =
            harness(
                b ->
                    b.userAuthenticator(new SneakyUser())
                        .addTrustSource(FakeAuthenticator.source("src1", "x-svc")))) {
      assertRefused(
          h,
          () -> call(h, md("authorization", "ok:alice"), s, Target.ANY_USER),
          Status.Code.INTERNAL,
          AuthStatus.INTERNAL_TEXT);
      assertFalse(logs.anyContains(SECRET), () -> String.join("\n", logs.lines()));
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void dryRun_authenticatorThrows_stillRefusedInternal(Shape s) throws Exception {
    try (ProbeHarness h =
        harness(
            b -> {
              standard(b);
              b.dryRun(true);
            })) {
      assertRefused(
          h,
          () -> call(h, md("authorization", "boom"), s, Target.ANY_USER),
          Status.Code.INTERNAL,
          AuthStatus.INTERNAL_TEXT);
    }
  }

  // ---- audit -----------------------------------------------------------------------------------

  @Test
  void auditListener_seesEveryDecisionWithAllFields() throws Exception {
    List<AuditEvent> events = new CopyOnWriteArrayList<>();
    try (ProbeHarness h =
        harness(
            b -> {
              standard(b);
              b.auditListener(events::add);
            })) {
      call(h, new Metadata(), Shape.UNARY, Target.OPEN);
      call(h, md("authorization", "ok:alice:driver:trips:write"), Shape.UNARY, Target.DRIVER);
      call(h, md("x-svc", "ok:worker"), Shape.STREAM, Target.WORKER);
      expectFailure(() -> call(h, new Metadata(), Shape.UNARY, Target.ANY_USER));
      expectFailure(() -> call(h, md("authorization", "bad"), Shape.UNARY, Target.ANY_USER));
      expectFailure(() -> call(h, md("authorization", "ok:alice"), Shape.UNARY, Target.DENIED));
      expectFailure(() -> call(h, md("x-svc", "down"), Shape.UNARY, Target.WORKER));
      expectFailure(() -> call(h, md("x-svc", "boom"), Shape.UNARY, Target.WORKER));
      expectFailure(() -> call(h, md("authorization", "ok:alice"), Shape.UNARY, Target.WORKER));
    }
    assertEquals(9, events.size(), events::toString);
    for (AuditEvent e : events) {
      assertTrue(e.nanos() > 0, e::toString);
      assertTrue(e.mode().isPresent());
      assertFalse(e.toString().contains(SECRET));
    }
    AuditEvent open = events.get(0);
    assertEquals("gatehouse.test.v1.Probe/Open", open.fullMethodName());
    assertEquals(Mode.PUBLIC, open.mode().orElseThrow());
    assertEquals(AuditEvent.Outcome.ALLOWED, open.outcome());
    assertEquals(Status.Code.OK, open.status());
    assertEquals(Reason.OK, open.reason());
    assertTrue(open.principal().isEmpty());
    assertTrue(open.trustSource().isEmpty());

    AuditEvent driver = events.get(1);
    assertEquals(Mode.GATED, driver.mode().orElseThrow());
    assertEquals(AuditEvent.Outcome.ALLOWED, driver.outcome());
    assertEquals("alice", driver.principal().orElseThrow().subject());
    assertEquals("fake_user", driver.trustSource().orElseThrow());

    AuditEvent worker = events.get(2);
    assertEquals("gatehouse.test.v1.Probe/StreamWorker", worker.fullMethodName());
    assertEquals(Mode.INTERNAL, worker.mode().orElseThrow());
    assertEquals("worker", worker.principal().orElseThrow().subject());
    assertEquals("src1", worker.trustSource().orElseThrow());

    assertDenied(events.get(3), Status.Code.UNAUTHENTICATED, Reason.MISSING_CREDENTIALS);
    assertTrue(events.get(3).principal().isEmpty());
    assertDenied(events.get(4), Status.Code.UNAUTHENTICATED, Reason.BAD_SIGNATURE);
    assertEquals("fake rejection", events.get(4).detail());
    assertEquals("fake_user", events.get(4).trustSource().orElseThrow());
    assertTrue(events.get(4).principal().isEmpty());
    assertDenied(events.get(5), Status.Code.PERMISSION_DENIED, Reason.POLICY_DENY);
    assertEquals("alice", events.get(5).principal().orElseThrow().subject());
    assertDenied(events.get(6), Status.Code.UNAVAILABLE, Reason.KEYS_UNAVAILABLE);
    assertEquals("src1", events.get(6).trustSource().orElseThrow());
    assertDenied(events.get(7), Status.Code.INTERNAL, Reason.INTERNAL_ERROR);
    assertDenied(events.get(8), Status.Code.UNAUTHENTICATED, Reason.WRONG_CREDENTIAL_KIND);
  }

  private static void assertDenied(AuditEvent e, Status.Code code, Reason reason) {
    assertEquals(AuditEvent.Outcome.DENIED, e.outcome(), e::toString);
    assertEquals(code, e.status(), e::toString);
    assertEquals(reason, e.reason(), e::toString);
  }

  @Test
  void auditListener_insufficientGrants_reasonAndPrincipal() throws Exception {
    List<AuditEvent> events = new CopyOnWriteArrayList<>();
    try (ProbeHarness h =
        harness(
            b -> {
              standard(b);
              b.auditListener(events::add);
            })) {
      expectFailure(() -> call(h, md("x-svc", "ok:worker:x"), Shape.UNARY, Target.FINISHER));
    }
    assertDenied(events.get(0), Status.Code.PERMISSION_DENIED, Reason.INSUFFICIENT_GRANTS);
    assertEquals("worker", events.get(0).principal().orElseThrow().subject());
  }

  /** Throws whatever it was given, on every decision. */
  private static AuditListener throwing(Throwable t) {
    return e -> ChainBehaviourTest.<RuntimeException>sneakyThrow(t);
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void throwingAuditListener_changesNoDecision(Shape s) throws Exception {
    // RuntimeException, an Error and a sneakily thrown checked exception: none may turn an
    // allowed call into a failure or a refusal into anything else. The checked one used to
    // escape the listener guard and fail allowed calls.
    for (Throwable t :
        List.of(
            new IllegalStateException(SECRET),
            new AssertionError(SECRET),
            new java.io.IOException(SECRET))) {
      try (LogCapture logs = new LogCapture();
          ProbeHarness h =
              harness(
                  b -> {
                    standard(b);
                    b.auditListener(throwing(t));
                  })) {
        call(h, md("authorization", "ok:alice"), s, Target.ANY_USER);
        call(h, new Metadata(), s, Target.OPEN);
        assertEquals(2, h.handlerRuns(), t.getClass().getName());
        StatusRuntimeException e =
            expectFailure(() -> call(h, md("authorization", "ok:alice"), s, Target.DENIED));
        assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
        assertEquals(AuthStatus.DENIED_TEXT, e.getStatus().getDescription());
        StatusRuntimeException missing =
            expectFailure(() -> call(h, new Metadata(), s, Target.WORKER));
        assertEquals(Status.Code.UNAUTHENTICATED, missing.getStatus().getCode());
        assertEquals(AuthStatus.MISSING_TEXT, missing.getStatus().getDescription());
        assertEquals(2, h.handlerRuns());
        assertFalse(logs.anyContains(SECRET), () -> String.join("\n", logs.lines()));
      }
    }
  }

  // ---- dry-run ---------------------------------------------------------------------------------

  @Test
  void dryRun_build_logsOneWarning() throws Exception {
    try (LogCapture logs = new LogCapture()) {
      Gatehouse.Builder b = Gatehouse.newBuilder().addService(new ProbeGrpc.ProbeImplBase() {});
      standard(b);
      b.dryRun(true).build();
      long warnings =
          logs.records().stream()
              .filter(r -> Level.WARNING.equals(r.getLevel()))
              .filter(r -> r.getMessage().contains("DRY-RUN"))
              .count();
      assertEquals(1, warnings, () -> String.join("\n", logs.lines()));
    }
    try (LogCapture logs = new LogCapture()) {
      Gatehouse.Builder b = Gatehouse.newBuilder().addService(new ProbeGrpc.ProbeImplBase() {});
      standard(b);
      b.build();
      assertFalse(logs.anyContains("DRY-RUN"));
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void dryRun_refusedCredentials_goThroughWithoutAuthContext(Shape s) throws Exception {
    List<AuditEvent> events = new CopyOnWriteArrayList<>();
    try (ProbeHarness h =
        harness(
            b -> {
              standard(b);
              b.dryRun(true).auditListener(events::add);
            })) {
      call(h, new Metadata(), s, Target.ANY_USER);
      call(h, md("authorization", "bad"), s, Target.ANY_USER);
      call(h, md("authorization", "down"), s, Target.ANY_USER);
      call(h, md("authorization", "ok:alice"), s, Target.WORKER);
      call(h, md("x-svc", "bad", "authorization", "ok:alice"), s, Target.WORKER);
      call(h, ProbeHarness.headers("authorization", "ok:a", "ok:b"), s, Target.ANY_USER);
      assertEquals(6, h.handlerRuns());
      for (ProbeHarness.Seen seen : h.seen()) {
        assertTrue(seen.context().isEmpty(), () -> seen.method() + " saw " + seen.context());
      }
    }
    assertEquals(6, events.size());
    for (AuditEvent e : events) {
      assertEquals(AuditEvent.Outcome.WOULD_DENY, e.outcome(), e::toString);
      assertTrue(e.principal().isEmpty(), e::toString);
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void dryRun_permissionDenied_goesThroughKeepingPrincipal(Shape s) throws Exception {
    List<AuditEvent> events = new CopyOnWriteArrayList<>();
    try (ProbeHarness h =
        harness(
            b -> {
              standard(b);
              b.dryRun(true).auditListener(events::add);
            })) {
      List<String> out = call(h, md("authorization", "ok:alice"), s, Target.DENIED);
      assertEquals(s == Shape.STREAM ? "alice" : "Denied", out.get(0));
      assertEquals("alice", h.seen().get(0).context().orElseThrow().subject());
      call(h, md("x-svc", "ok:worker"), s, Target.FINISHER);
      assertEquals("worker", h.seen().get(1).context().orElseThrow().subject());
    }
    assertEquals(AuditEvent.Outcome.WOULD_DENY, events.get(0).outcome());
    assertEquals(Status.Code.PERMISSION_DENIED, events.get(0).status());
  }

  // ---- AuthContext propagation -----------------------------------------------------------------

  /** Records AuthContext.current() in every listener callback and every ServerCall method. */
  private static final class ContextRecorder implements ServerInterceptor {
    final List<String> seen = new CopyOnWriteArrayList<>();

    private void note(String where) {
      seen.add(where + "=" + AuthContext.current().map(AuthContext::subject).orElse("none"));
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      note("start");
      ServerCall<ReqT, RespT> recording =
          new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendMessage(RespT message) {
              note("sendMessage");
              super.sendMessage(message);
            }

            @Override
            public void close(Status status, Metadata trailers) {
              note("close");
              super.close(status, trailers);
            }
          };
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
          next.startCall(recording, headers)) {
        @Override
        public void onMessage(ReqT message) {
          note("onMessage");
          super.onMessage(message);
        }

        @Override
        public void onHalfClose() {
          note("onHalfClose");
          super.onHalfClose();
        }

        @Override
        public void onReady() {
          note("onReady");
          super.onReady();
        }

        @Override
        public void onComplete() {
          note("onComplete");
          super.onComplete();
        }

        @Override
        public void onCancel() {
          note("onCancel");
          super.onCancel();
        }
      };
    }
  }

  @ParameterizedTest
  @EnumSource(Shape.class)
  void authContext_visibleInEveryListenerCallback(Shape s) throws Exception {
    ContextRecorder recorder = new ContextRecorder();
    try (ProbeHarness h =
        ProbeHarness.start(
            hh -> {
              Gatehouse.Builder b =
                  Gatehouse.newBuilder()
                      .addService(ServerInterceptors.intercept(hh.service(), recorder));
              standard(b);
              return b.build();
            })) {
      List<String> out = call(h, md("authorization", "ok:alice"), s, Target.ANY_USER);
      if (s == Shape.STREAM) {
        assertEquals(List.of("alice", "alice", "alice"), out);
      }
    }
    List<String> callbacks = new ArrayList<>(recorder.seen);
    assertTrue(callbacks.contains("start=alice"), callbacks::toString);
    assertTrue(callbacks.contains("onMessage=alice"), callbacks::toString);
    assertTrue(callbacks.contains("onHalfClose=alice"), callbacks::toString);
    assertTrue(callbacks.contains("sendMessage=alice"), callbacks::toString);
    assertTrue(callbacks.contains("onComplete=alice"), callbacks::toString);
    for (String c : callbacks) {
      assertTrue(c.endsWith("=alice"), callbacks::toString);
    }
  }

  @Test
  void authContext_afterAuthenticatedCallOnSameThread_noneVisible() throws Exception {
    try (ProbeHarness h = harness(ChainBehaviourTest::standard)) {
      Thread caller = Thread.currentThread();
      call(h, md("authorization", "ok:alice"), Shape.UNARY, Target.ANY_USER);
      call(h, md("x-svc", "ok:worker"), Shape.STREAM, Target.WORKER);
      assertTrue(AuthContext.current().isEmpty(), "leaked into the calling thread");
      call(h, new Metadata(), Shape.UNARY, Target.OPEN);
      call(h, new Metadata(), Shape.STREAM, Target.OPEN);
      assertSame(caller, Thread.currentThread());
      assertEquals(4, h.handlerRuns());
      assertTrue(h.seen().get(2).context().isEmpty(), "public call saw the previous caller");
      assertTrue(h.seen().get(3).context().isEmpty(), "public call saw the previous caller");
    }
  }

  @Test
  void authContext_nestedCallFromAuthenticatedCall_calleeSeesNone() throws Exception {
    // A handler of server A (authenticated as alice) calls server B in-process on the same
    // thread: B's public handler must not see alice, nor may B's gated method accept her.
    try (ProbeHarness b = harness(ChainBehaviourTest::standard)) {
      List<String> nested = new CopyOnWriteArrayList<>();
      ServerInterceptor callsB =
          new ServerInterceptor() {
            @Override
            public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
                ServerCall<ReqT, RespT> call,
                Metadata headers,
                ServerCallHandler<ReqT, RespT> next) {
              nested.add("a=" + AuthContext.current().map(AuthContext::subject).orElse("none"));
              b.stub().open(REQ);
              StatusRuntimeException e = expectFailure(() -> b.stub().anyUser(REQ));
              nested.add("b-gated=" + e.getStatus().getCode());
              return next.startCall(call, headers);
            }
          };
      try (ProbeHarness a =
          ProbeHarness.start(
              hh -> {
                Gatehouse.Builder gb =
                    Gatehouse.newBuilder()
                        .addService(ServerInterceptors.intercept(hh.service(), callsB));
                standard(gb);
                return gb.build();
              })) {
        call(a, md("authorization", "ok:alice"), Shape.UNARY, Target.ANY_USER);
        assertEquals("alice", a.seen().get(0).context().orElseThrow().subject());
      }
      assertEquals(List.of("a=alice", "b-gated=UNAUTHENTICATED"), nested);
      assertEquals(1, b.handlerRuns());
      assertTrue(b.seen().get(0).context().isEmpty(), "callee saw the caller's AuthContext");
    }
  }

  @Test
  void authContext_200ConcurrentCalls_eachHandlerSeesOnlyItsOwnSubject() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (ProbeHarness h =
        ProbeHarness.start(
            hh -> {
              Gatehouse.Builder b = Gatehouse.newBuilder().addService(hh.service());
              standard(b);
              return b.build();
            },
            pool)) {
      int n = 200;
      CountDownLatch done = new CountDownLatch(n);
      List<String> problems = new CopyOnWriteArrayList<>();
      for (int i = 0; i < n; i++) {
        String subject = "user-" + i;
        Metadata md;
        boolean service = i % 4 == 3;
        md = service ? md("x-svc", "ok:" + subject) : md("authorization", "ok:" + subject);
        ProbeGrpc.ProbeStub stub =
            ProbeGrpc.newStub(h.channel())
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
        StreamObserver<Resp> observer =
            new StreamObserver<>() {
              @Override
              public void onNext(Resp r) {
                if (!r.getText().equals(subject) && !r.getText().equals("AnyUser")) {
                  problems.add(subject + " got " + r.getText());
                }
              }

              @Override
              public void onError(Throwable t) {
                problems.add(subject + " failed " + t);
                done.countDown();
              }

              @Override
              public void onCompleted() {
                done.countDown();
              }
            };
        switch (i % 4) {
          case 0 -> stub.anyUser(REQ, observer);
          case 1 -> stub.streamAnyUser(REQ, observer);
          case 2 -> stub.streamDriver(REQ, observer);
          default -> stub.streamWorker(REQ, observer);
        }
      }
      assertTrue(done.await(60, TimeUnit.SECONDS), "calls did not finish");
      // StreamDriver needs roles this caller lacks: those 50 are refused, and must be refused.
      long refused = problems.stream().filter(p -> p.contains("PERMISSION_DENIED")).count();
      assertEquals(50, refused, problems::toString);
      assertEquals(50, problems.size(), problems::toString);
      assertEquals(150, h.handlerRuns());
      for (ProbeHarness.Seen seen : h.seen()) {
        String header =
            Optional.ofNullable(seen.headers().get(IncomingCall.key("authorization")))
                .orElseGet(() -> seen.headers().get(IncomingCall.key("x-svc")));
        String expected = header.substring("ok:".length());
        assertEquals(
            expected, seen.context().orElseThrow().subject(), () -> seen.method() + " leaked");
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // ---- a method the chain did not resolve
  // --------------------------------------------------------

  @Test
  void unresolvedMethodAtCallTime_permissionDeniedHandlerNotRun() throws Exception {
    // build() refuses such a method; this drives the interceptor directly to prove the per-call
    // guard still denies.
    List<AuditEvent> events = new CopyOnWriteArrayList<>();
    FakeAuthenticator user = FakeAuthenticator.user("authorization");
    GatehouseInterceptor chain =
        new GatehouseInterceptor(
            Map.of(), user, List.<TrustSource>of(), events::add, false, new Object(), false);
    List<String> ran = new CopyOnWriteArrayList<>();
    String name = InProcessServerBuilder.generateName();
    Server server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                ServerInterceptors.intercept(
                    new ProbeGrpc.ProbeImplBase() {
                      @Override
                      public void anyUser(dev.gatehouse.test.v1.Req r, StreamObserver<Resp> o) {
                        ran.add("AnyUser");
                        o.onNext(Resp.getDefaultInstance());
                        o.onCompleted();
                      }
                    },
                    chain))
            .build()
            .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      StatusRuntimeException e =
          expectFailure(
              () ->
                  ProbeGrpc.newBlockingStub(channel)
                      .withInterceptors(
                          MetadataUtils.newAttachHeadersInterceptor(
                              md("authorization", "ok:alice")))
                      .anyUser(REQ));
      assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
      assertEquals(AuthStatus.DENIED_TEXT, e.getStatus().getDescription());
      assertTrue(ran.isEmpty());
      assertEquals(0, user.calls.get());
      assertEquals(Reason.UNRESOLVED_METHOD, events.get(0).reason());
      assertTrue(events.get(0).mode().isEmpty());
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }

  // ---- AuthContext value -----------------------------------------------------------------------

  @Test
  void authContext_claimsAreCopied_immutableAfterBuild() {
    List<Object> roles = new ArrayList<>(List.of("a"));
    Map<String, Object> nested = new java.util.HashMap<>(Map.of("roles", roles));
    AuthContext ctx =
        AuthContext.stamp(
            Principal.newBuilder()
                .subject("s")
                .claim("list", roles)
                .claim("realm_access", nested)
                .build(),
            PrincipalKind.USER,
            "fake_user");
    roles.add("admin");
    nested.put("x", "y");
    assertEquals(List.of("a"), ctx.claims().get("list"));
    assertEquals(Map.of("roles", List.of("a")), ctx.claims().get("realm_access"));
    assertThrowsUoe(() -> ((List<?>) ctx.claims().get("list")).add(null));
    assertThrowsUoe(() -> ctx.roles().add("x"));
    assertFalse(ctx.toString().contains("admin"));
    assertFalse(ctx.toString().contains("\"a\""));
  }

  private static void assertThrowsUoe(Runnable r) {
    org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class, r::run);
  }

  @Test
  void authContext_toString_showsNoClaimValues() {
    AuthContext ctx =
        AuthContext.stamp(
            Principal.newBuilder()
                .subject("alice")
                .claim("email", "alice@example.test")
                .roles(Set.of("driver"))
                .build(),
            PrincipalKind.USER,
            "fake_user");
    assertTrue(ctx.toString().contains("alice"));
    assertTrue(ctx.toString().contains("email"));
    assertFalse(ctx.toString().contains("alice@example.test"));
  }

  @Test
  void authContext_outsideCall_requireThrows() {
    assertTrue(AuthContext.current().isEmpty());
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalStateException.class, AuthContext::require);
  }
}
