package dev.gatehouse.trust.mesh;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static dev.gatehouse.testing.ProbeHarness.headers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.spi.TrustSource;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.trust.insecure.InsecureDevMode;
import dev.gatehouse.trust.insecure.InsecureSharedSecretTrustSource;
import dev.gatehouse.trust.mesh.MeshIdentityTrustSource.Format;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * mesh_identity through the real chain (Gatehouse + ProbeHarness), on Worker and WorkerFinisher.
 */
class MeshIdentityEndToEndTest {
  private static final String XFCC = "x-forwarded-client-cert";
  private static final String WORKER = "spiffe://cluster.local/ns/trips/sa/worker";
  private static final String WEB = "spiffe://cluster.local/ns/dev/sa/web";
  private static final String ADMIN = "spiffe://cluster.local/ns/prod/sa/admin";
  private static final String BY = "spiffe://cluster.local/ns/trips/sa/trips";
  private static final String SECRET = "dev-q7Rk2mZp9xLw4vN8tB3yC6hJ1sD5fG0a";
  private static final Req REQ = Req.getDefaultInstance();

  private final List<AuditEvent> events = new CopyOnWriteArrayList<>();

  private static MeshIdentityTrustSource.Builder mesh() {
    return MeshIdentityTrustSource.newBuilder()
        .trustedProxies("127.0.0.1/32", "::1/128")
        .allow(WORKER, Set.of("trip-finisher"), Set.of("trips:finish"))
        .allow("cluster.local/ns/dev/sa/web", Set.of(), Set.of());
  }

  private ProbeHarness start(SocketAddress peer, TrustSource... sources) throws Exception {
    return start(peer, false, sources);
  }

  private ProbeHarness start(SocketAddress peer, boolean dryRun, TrustSource... sources)
      throws Exception {
    return ProbeHarness.start(
        h -> {
          Gatehouse.Builder b =
              Gatehouse.newBuilder()
                  .addService(h.service())
                  .userAuthenticator(TestSupport.noUsers())
                  .auditListener(events::add)
                  .dryRun(dryRun);
          for (TrustSource s : sources) {
            b.addTrustSource(s);
          }
          return b.build();
        },
        peer);
  }

  private static void assertRefused(
      ProbeHarness h, StatusRuntimeException e, Status.Code code, String text) {
    assertEquals(code, e.getStatus().getCode());
    assertEquals(text, e.getStatus().getDescription());
    assertEquals(0, h.handlerRuns(), "handler must not run");
  }

  private static void assertInvalid(ProbeHarness h, StatusRuntimeException e) {
    assertRefused(h, e, Status.Code.UNAUTHENTICATED, AuthStatus.INVALID_TEXT);
  }

  private static boolean sawHeader(ProbeHarness h, int index, String header) {
    return h.seen().get(index).headers().containsKey(IncomingCall.key(header));
  }

  private Reason lastReason() {
    return events.get(events.size() - 1).reason();
  }

  @Test
  void worker_untrustedPeer_invalidCredentialsHandlerNotRunAndHeaderStrippedOnPublicCall()
      throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("10.9.9.9"), mesh().build())) {
      StatusRuntimeException e =
          expectFailure(() -> h.stub(headers(XFCC, "URI=" + WORKER)).worker(REQ));
      assertInvalid(h, e);
      assertEquals(Reason.UNTRUSTED_PROXY, lastReason());
      // The same header on a public method: the call goes through, the header does not.
      h.stub(headers(XFCC, "URI=" + WORKER)).open(REQ);
      assertEquals(1, h.handlerRuns());
      assertFalse(sawHeader(h, 0, XFCC));
    }
  }

  @Test
  void worker_untrustedPeerInDryRun_letThroughWithoutPrincipalAndHeaderStripped() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("10.9.9.9"), true, mesh().build())) {
      h.stub(headers(XFCC, "URI=" + WORKER)).worker(REQ);
      assertEquals(1, h.handlerRuns());
      assertTrue(h.seen().get(0).context().isEmpty(), "refused credential never a principal");
      assertFalse(sawHeader(h, 0, XFCC));
      assertEquals(AuditEvent.Outcome.WOULD_DENY, events.get(0).outcome());
      assertEquals(Reason.UNTRUSTED_PROXY, events.get(0).reason());
    }
  }

  @Test
  void worker_untrustedIpv6Peer_invalidCredentials() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("2001:db8::1"), mesh().build())) {
      assertInvalid(h, expectFailure(() -> h.stub(headers(XFCC, "URI=" + WORKER)).worker(REQ)));
      assertEquals(Reason.UNTRUSTED_PROXY, lastReason());
    }
  }

  @Test
  void worker_inProcessPeerWithoutAllowNonIpPeer_invalidCredentials() throws Exception {
    try (ProbeHarness h = start(null, mesh().build())) {
      assertInvalid(h, expectFailure(() -> h.stub(headers(XFCC, "URI=" + WORKER)).worker(REQ)));
      assertEquals(Reason.UNTRUSTED_PROXY, lastReason());
    }
  }

  @Test
  void worker_trustedIpv4Peer_servicePrincipalAndHeaderStripped() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build())) {
      h.stub(headers(XFCC, "By=" + BY + ";URI=" + WORKER)).worker(REQ);
      assertEquals(1, h.handlerRuns());
      AuthContext ctx = h.seen().get(0).context().orElseThrow();
      assertEquals(WORKER, ctx.subject());
      assertEquals(PrincipalKind.SERVICE, ctx.kind());
      assertEquals("mesh_identity", ctx.trustSource());
      assertEquals(Set.of("trip-finisher"), ctx.roles());
      assertEquals(Set.of("trips:finish"), ctx.scopes());
      assertFalse(sawHeader(h, 0, XFCC));
    }
  }

  @Test
  void worker_trustedIpv6Peer_accepted() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("::1"), mesh().build())) {
      h.stub(headers(XFCC, "URI=" + WORKER)).worker(REQ);
      assertEquals(WORKER, h.seen().get(0).context().orElseThrow().subject());
    }
  }

  @Test
  void worker_ipv4MappedIpv6Peer_matchesIpv4Network() throws Exception {
    try (ProbeHarness h = start(TestSupport.mappedPeer("127.0.0.1"), mesh().build())) {
      h.stub(headers(XFCC, "URI=" + WORKER)).worker(REQ);
      assertEquals(WORKER, h.seen().get(0).context().orElseThrow().subject());
    }
  }

  @Test
  void worker_ipv4MappedIpv6PeerOutsideNetwork_invalidCredentials() throws Exception {
    try (ProbeHarness h = start(TestSupport.mappedPeer("10.0.0.1"), mesh().build())) {
      assertInvalid(h, expectFailure(() -> h.stub(headers(XFCC, "URI=" + WORKER)).worker(REQ)));
    }
  }

  @Test
  void workerFinisher_rightmostElementWins_leftInjectedIdentityIgnored() throws Exception {
    // The client injected WORKER (which holds trip-finisher); the trusted hop appended WEB.
    String xfcc = "URI=" + WORKER + ",By=" + BY + ";URI=" + WEB;
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build())) {
      StatusRuntimeException e =
          expectFailure(() -> h.stub(headers(XFCC, xfcc)).workerFinisher(REQ));
      assertRefused(h, e, Status.Code.PERMISSION_DENIED, AuthStatus.DENIED_TEXT);
      assertEquals(WEB, events.get(0).principal().orElseThrow().subject());
      h.stub(headers(XFCC, xfcc)).worker(REQ);
      assertEquals(WEB, h.seen().get(0).context().orElseThrow().subject());
    }
  }

  @Test
  void worker_requireSingleElementWithTwo_invalidCredentials() throws Exception {
    String xfcc = "URI=" + WORKER + ",URI=" + WEB;
    try (ProbeHarness h =
        start(TestSupport.peer("127.0.0.1"), mesh().requireSingleElement(true).build())) {
      assertInvalid(h, expectFailure(() -> h.stub(headers(XFCC, xfcc)).worker(REQ)));
    }
  }

  @Test
  void worker_quotedSubjectContainingUri_notMisparsed() throws Exception {
    String xfcc = "By=" + BY + ";Subject=\"CN=evil\\,URI=" + WORKER + "\";URI=" + WEB;
    String slashForm = "Subject=\"/CN=evil,URI=" + WORKER + "\";URI=" + WEB;
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build())) {
      h.stub(headers(XFCC, xfcc)).worker(REQ);
      h.stub(headers(XFCC, slashForm)).worker(REQ);
      assertEquals(WEB, h.seen().get(0).context().orElseThrow().subject());
      assertEquals(WEB, h.seen().get(1).context().orElseThrow().subject());
    }
  }

  @Test
  void worker_quotedUriHidingSecondUri_invalidCredentials() throws Exception {
    String xfcc = "URI=\"" + WEB + ",URI=" + WORKER + "\"";
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build())) {
      assertInvalid(h, expectFailure(() -> h.stub(headers(XFCC, xfcc)).worker(REQ)));
      assertEquals(Reason.INVALID_CLAIMS, lastReason());
    }
  }

  @Test
  void worker_twoUriKeys_invalidCredentials() throws Exception {
    String xfcc = "URI=" + WEB + ";URI=" + WORKER;
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build())) {
      assertInvalid(h, expectFailure(() -> h.stub(headers(XFCC, xfcc)).worker(REQ)));
      assertEquals(Reason.INVALID_CLAIMS, lastReason());
    }
  }

  @Test
  void worker_byMismatch_invalidCredentials() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().expectedBy(BY).build())) {
      String wrongBy = "By=spiffe://cluster.local/ns/other/sa/other;URI=" + WORKER;
      assertInvalid(h, expectFailure(() -> h.stub(headers(XFCC, wrongBy)).worker(REQ)));
      assertEquals(Reason.AUDIENCE_MISMATCH, lastReason());
      assertInvalid(h, expectFailure(() -> h.stub(headers(XFCC, "URI=" + WORKER)).worker(REQ)));
      h.stub(headers(XFCC, "By=" + BY + ";URI=" + WORKER)).worker(REQ);
      assertEquals(1, h.handlerRuns());
    }
  }

  @Test
  void worker_istioShortAndSpiffeForms_sameIdentity() throws Exception {
    // WEB is allowed in Istio short form; the XFCC carries the spiffe:// form.
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build())) {
      h.stub(headers(XFCC, "URI=" + WEB)).worker(REQ);
      assertEquals(WEB, h.seen().get(0).context().orElseThrow().subject());
    }
    MeshIdentityTrustSource principal =
        mesh().header("x-istio-principal").format(Format.PRINCIPAL).build();
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), principal)) {
      h.stub(headers("x-istio-principal", "cluster.local/ns/trips/sa/worker")).workerFinisher(REQ);
      h.stub(headers("x-istio-principal", WORKER)).workerFinisher(REQ);
      assertEquals(WORKER, h.seen().get(0).context().orElseThrow().subject());
      assertEquals(WORKER, h.seen().get(1).context().orElseThrow().subject());
      assertFalse(sawHeader(h, 0, "x-istio-principal"));
    }
  }

  @Test
  void worker_upperCaseTrustDomain_invalidCredentials() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build())) {
      assertInvalid(
          h,
          expectFailure(
              () ->
                  h.stub(headers(XFCC, "URI=spiffe://CLUSTER.LOCAL/ns/trips/sa/worker"))
                      .worker(REQ)));
    }
    MeshIdentityTrustSource principal =
        mesh().header("x-istio-principal").format(Format.PRINCIPAL).build();
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), principal)) {
      assertInvalid(
          h,
          expectFailure(
              () ->
                  h.stub(headers("x-istio-principal", "Cluster.local/ns/trips/sa/worker"))
                      .worker(REQ)));
    }
  }

  @Test
  void worker_identityNotAllowed_invalidCredentials() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build())) {
      assertInvalid(h, expectFailure(() -> h.stub(headers(XFCC, "URI=" + ADMIN)).worker(REQ)));
      assertEquals(Reason.IDENTITY_NOT_ALLOWED, lastReason());
    }
  }

  @Test
  void worker_malformedXfcc_invalidCredentialsNotInternal() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build())) {
      for (String bad : List.of("Hash", "URI=\"unterminated", "unknown=x", "URI=a;")) {
        StatusRuntimeException e = expectFailure(() -> h.stub(headers(XFCC, bad)).worker(REQ));
        assertInvalid(h, e);
        assertEquals(Reason.MALFORMED_CREDENTIALS, lastReason());
      }
    }
  }

  @Test
  void workerFinisher_rolesFromAllowEntry_onlyTripFinisherAllowed() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build())) {
      StatusRuntimeException e =
          expectFailure(() -> h.stub(headers(XFCC, "URI=" + WEB)).workerFinisher(REQ));
      assertRefused(h, e, Status.Code.PERMISSION_DENIED, AuthStatus.DENIED_TEXT);
      assertEquals(Reason.INSUFFICIENT_GRANTS, lastReason());
      h.stub(headers(XFCC, "URI=" + WORKER)).workerFinisher(REQ);
      assertEquals(1, h.handlerRuns());
      assertEquals("WorkerFinisher", h.seen().get(0).method());
    }
  }

  @Test
  void worker_duplicateXfccHeaders_invalidCredentials() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build())) {
      StatusRuntimeException e =
          expectFailure(() -> h.stub(headers(XFCC, "URI=" + WORKER, "URI=" + WEB)).worker(REQ));
      assertInvalid(h, e);
      assertEquals(Reason.DUPLICATE_CREDENTIALS, lastReason());
    }
  }

  @Test
  void worker_noHeader_missingCredentials() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build())) {
      StatusRuntimeException e = expectFailure(() -> h.stub().worker(REQ));
      assertRefused(h, e, Status.Code.UNAUTHENTICATED, AuthStatus.MISSING_TEXT);
    }
  }

  @Test
  void worker_emptyXfccFromTrustedProxy_missingCredentials() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build())) {
      StatusRuntimeException e = expectFailure(() -> h.stub(headers(XFCC, "")).worker(REQ));
      assertRefused(h, e, Status.Code.UNAUTHENTICATED, AuthStatus.MISSING_TEXT);
    }
  }

  private static InsecureSharedSecretTrustSource secret() {
    return InsecureSharedSecretTrustSource.newBuilder()
        .devMode(InsecureDevMode.acknowledge())
        .secret(SECRET.getBytes(StandardCharsets.US_ASCII))
        .roles(Set.of("trip-finisher"))
        .build();
  }

  private static Metadata both(String xfcc) {
    Metadata md = headers(XFCC, xfcc);
    md.put(IncomingCall.key("x-internal-secret"), SECRET);
    return md;
  }

  @Test
  void composition_sourceBeforeMeshAcceptsButXfccFromUntrustedPeer_refusedHandlerNotRun()
      throws Exception {
    // The secret source comes first and would accept: the spoofed header is still refused.
    try (ProbeHarness h = start(TestSupport.peer("10.9.9.9"), secret(), mesh().build())) {
      assertInvalid(h, expectFailure(() -> h.stub(both("URI=" + WORKER)).workerFinisher(REQ)));
      assertEquals(Reason.UNTRUSTED_PROXY, lastReason());
      assertEquals("mesh_identity", events.get(0).trustSource().orElseThrow());
    }
  }

  @Test
  void gated_validUserAndXfccFromUntrustedPeer_refusedHandlerNotRun() throws Exception {
    try (ProbeHarness h =
        ProbeHarness.start(
            hh ->
                Gatehouse.newBuilder()
                    .addService(hh.service())
                    .userAuthenticator(acceptingUser())
                    .addTrustSource(mesh().build())
                    .auditListener(events::add)
                    .build(),
            TestSupport.peer("10.9.9.9"))) {
      Metadata md = headers(XFCC, "URI=" + WORKER);
      md.put(IncomingCall.key("authorization"), "user alice");
      assertInvalid(h, expectFailure(() -> h.stub(md).anyUser(REQ)));
      assertEquals(Reason.UNTRUSTED_PROXY, lastReason());
      // Without the spoofed header the same user gets in: the refusal is about the header.
      h.stub(headers("authorization", "user alice")).anyUser(REQ);
      assertEquals("alice", h.seen().get(0).context().orElseThrow().subject());
    }
  }

  /** An end-user authenticator that accepts {@code authorization: user NAME}. */
  private static Authenticator acceptingUser() {
    return new Authenticator() {
      @Override
      public String name() {
        return "test_user";
      }

      @Override
      public Set<String> credentialHeaders() {
        return Set.of("authorization");
      }

      @Override
      public AuthResult authenticate(IncomingCall request) {
        return request
            .header("authorization")
            .filter(v -> v.startsWith("user "))
            .map(
                v ->
                    AuthResult.authenticated(
                        Principal.newBuilder().subject(v.substring(5)).build()))
            .orElse(AuthResult.noCredential());
      }
    };
  }

  @Test
  void composition_meshRejectedFromUntrustedPeer_stopsChainDespiteValidSecret() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("10.9.9.9"), mesh().build(), secret())) {
      assertInvalid(h, expectFailure(() -> h.stub(both("URI=" + WORKER)).workerFinisher(REQ)));
      assertEquals(Reason.UNTRUSTED_PROXY, lastReason());
      assertEquals("mesh_identity", events.get(0).trustSource().orElseThrow());
    }
  }

  @Test
  void composition_meshIdentityNotAllowed_stopsChainDespiteValidSecret() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build(), secret())) {
      assertInvalid(h, expectFailure(() -> h.stub(both("URI=" + ADMIN)).worker(REQ)));
      assertEquals(Reason.IDENTITY_NOT_ALLOWED, lastReason());
      assertInvalid(h, expectFailure(() -> h.stub(both("Hash")).worker(REQ)));
      assertEquals(Reason.MALFORMED_CREDENTIALS, lastReason());
    }
  }

  @Test
  void composition_noMeshHeader_passesOnToSharedSecret() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("10.9.9.9"), mesh().build(), secret())) {
      h.stub(headers("x-internal-secret", SECRET)).workerFinisher(REQ);
      AuthContext ctx = h.seen().get(0).context().orElseThrow();
      assertEquals("dev-shared-secret", ctx.subject());
      assertEquals("shared_secret", ctx.trustSource());
      assertNull(h.seen().get(0).headers().get(IncomingCall.key("x-internal-secret")));
      StatusRuntimeException e = expectFailure(() -> h.stub().worker(REQ));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals(AuthStatus.MISSING_TEXT, e.getStatus().getDescription());
      assertEquals(1, h.handlerRuns());
    }
  }

  @Test
  void composition_acceptedMesh_bothCredentialHeadersStripped() throws Exception {
    try (ProbeHarness h = start(TestSupport.peer("127.0.0.1"), mesh().build(), secret())) {
      h.stub(both("URI=" + WEB)).worker(REQ);
      assertEquals(WEB, h.seen().get(0).context().orElseThrow().subject());
      assertFalse(sawHeader(h, 0, XFCC));
      assertFalse(sawHeader(h, 0, "x-internal-secret"));
    }
  }
}
