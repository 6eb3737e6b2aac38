package dev.gatehouse.trust.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * {@link SignedTokenTrustSource} works out what a token comes to once and serves it with the token
 * from the verified-token cache; every check that reads the call (the peer certificate of a bound
 * token, the jti register) still runs on every call, in the order it always ran, and a source built
 * by a reload never serves another source's verdict, even over a shared verifier.
 */
class SignedTokenCachedVerdictTest {
  private static final Instant START = Instant.parse("2026-06-01T08:00:00Z");
  private static final ECKey WORKER = TestTokens.ecKey("w-1");
  private static final X509Certificate BOUND_PEER = PeerCertificates.selfSigned("CN=worker");
  private static final X509Certificate OTHER_PEER = PeerCertificates.selfSigned("CN=thief");

  private final MutableClock clock = new MutableClock(START);

  private SignedTokenTrustSource.Builder source(UnaryOperator<ServiceTokenIssuer.Builder> issuer) {
    return SignedTokenTrustSource.newBuilder()
        .serviceName("trips")
        .clock(clock)
        .addIssuer(
            issuer
                .apply(
                    ServiceTokenIssuer.newBuilder("worker")
                        .keys(JwksSource.of(new JWKSet(WORKER.toPublicJWK()))))
                .build());
  }

  private static String token(Consumer<Map<String, Object>> edit) {
    Map<String, Object> claims = TestTokens.claims("worker", "worker", "trips", START, 300);
    edit.accept(claims);
    return TestTokens.sign(WORKER, TestTokens.header("ES256", "w-1"), claims);
  }

  private static String bound(X509Certificate peer, Consumer<Map<String, Object>> edit) {
    return token(
        c -> {
          c.put("cnf", Map.of("x5t#S256", CertificateThumbprint.x5tS256(peer)));
          edit.accept(c);
        });
  }

  private static AuthResult call(SignedTokenTrustSource s, String token, X509Certificate peer) {
    Metadata md = new Metadata();
    md.put(IncomingCall.key("authorization"), "Bearer " + token);
    return s.authenticate(
        IncomingCall.of(
            "gatehouse.test.v1.Probe/Worker", md, null, PeerCertificates.session(peer)));
  }

  private static Principal principal(AuthResult r) {
    assertEquals(AuthResult.Outcome.AUTHENTICATED, r.outcome(), r.toString());
    return r.principal().orElseThrow();
  }

  @Test
  void sameToken_principalBuiltOnceAndServedToEveryCall() {
    String t = token(c -> c.put("roles", List.of("trip-finisher")));
    try (SignedTokenTrustSource s = source(i -> i.roles(List.of("trip-finisher", "x"))).build()) {
      Principal first = principal(call(s, t, null));
      assertSame(first, principal(call(s, t, null)));
      assertEquals(Set.of("trip-finisher"), first.roles());
    }
  }

  @Test
  void cachedToken_pastItsExpiry_refusedExpiredNotServedFromTheStoredVerdict() {
    String t = token(c -> c.put("roles", List.of("trip-finisher")));
    try (SignedTokenTrustSource s = source(i -> i.roles(List.of("trip-finisher"))).build()) {
      principal(call(s, t, null));
      principal(call(s, t, null));
      clock.advance(java.time.Duration.ofHours(1)); // past exp (300 s) and any skew
      AuthResult late = call(s, t, null);
      assertEquals(Reason.EXPIRED, late.reason(), late.toString());
    }
  }

  @Test
  void reloadSharingTheVerifier_newSourcesPrincipalKeptAndServedFromTheSecondCallOn() {
    String t = token(c -> c.put("roles", List.of("trip-finisher")));
    try (SignedTokenTrustSource first = source(i -> i.roles(List.of("trip-finisher"))).build()) {
      principal(call(first, t, null));
      try (SignedTokenTrustSource second =
          source(i -> i.roles(List.of("trip-finisher"))).shareVerifierOf(first).build()) {
        Principal once = principal(call(second, t, null));
        assertSame(once, principal(call(second, t, null)), "kept for the new source");
      }
    }
  }

  @Test
  void cachedBoundToken_fromAnotherPeerOrWithoutTls_refusedOnEveryCall() {
    String t = bound(BOUND_PEER, c -> {});
    try (SignedTokenTrustSource s = source(i -> i).build()) {
      Principal accepted = principal(call(s, t, BOUND_PEER));
      AuthResult thief = call(s, t, OTHER_PEER);
      assertEquals(Reason.BINDING_MISMATCH, thief.reason());
      assertEquals(
          "issuer worker sub worker: token bound to another client certificate", thief.detail());
      assertEquals(Reason.BINDING_MISMATCH, call(s, t, null).reason());
      assertEquals(Reason.BINDING_MISMATCH, call(s, t, OTHER_PEER).reason());
      assertSame(accepted, principal(call(s, t, BOUND_PEER)));
    }
  }

  @Test
  void cachedBoundTokenOfDisallowedCluster_fromAnotherPeer_refusedBindingMismatchFirst() {
    String t = bound(BOUND_PEER, c -> c.put("cluster_id", "cluster-b"));
    try (SignedTokenTrustSource s = source(i -> i.clusterIds(List.of("cluster-a"))).build()) {
      // The peer check ran before the cluster check, and still does with the verdict cached.
      assertEquals(Reason.CLUSTER_MISMATCH, call(s, t, BOUND_PEER).reason());
      assertEquals(Reason.BINDING_MISMATCH, call(s, t, OTHER_PEER).reason());
      assertEquals(Reason.BINDING_MISMATCH, call(s, t, null).reason());
      AuthResult r = call(s, t, BOUND_PEER);
      assertEquals(Reason.CLUSTER_MISMATCH, r.reason());
      assertEquals("issuer worker sub worker: cluster_id missing or not allowed", r.detail());
    }
  }

  @Test
  void cachedBoundReplayProtectedToken_replayFromItsPeer_refusedReplayed() {
    String t = bound(BOUND_PEER, c -> c.put("jti", "jti-1"));
    try (SignedTokenTrustSource s = source(i -> i.replayProtection(true)).build()) {
      // A thief's attempt is refused on the binding and does not use up the jti.
      assertEquals(Reason.BINDING_MISMATCH, call(s, t, OTHER_PEER).reason());
      principal(call(s, t, BOUND_PEER));
      AuthResult replay = call(s, t, BOUND_PEER);
      assertEquals(Reason.REPLAYED, replay.reason());
      assertEquals("issuer worker sub worker: jti already used", replay.detail());
      assertEquals(Reason.REPLAYED, call(s, t, BOUND_PEER).reason());
    }
  }

  @Test
  void cachedTokenWithoutJti_replayProtectionOn_refusedOnEveryCall() {
    String t = token(c -> {});
    try (SignedTokenTrustSource s = source(i -> i.replayProtection(true)).build()) {
      for (int n = 0; n < 2; n++) {
        AuthResult r = call(s, t, null);
        assertEquals(Reason.INVALID_CLAIMS, r.reason());
        assertEquals("issuer worker sub worker: jti missing (replay protection)", r.detail());
      }
    }
  }

  @Test
  void cachedTokenWithoutCnf_bindingRequired_refusedOnEveryCallFromAnyPeer() {
    String t = token(c -> {});
    try (SignedTokenTrustSource s = source(i -> i.requireCertificateBinding(true)).build()) {
      for (X509Certificate peer : new X509Certificate[] {null, BOUND_PEER, null}) {
        AuthResult r = call(s, t, peer);
        assertEquals(Reason.BINDING_MISMATCH, r.reason());
        assertEquals("issuer worker sub worker: cnf missing, binding required", r.detail());
      }
    }
  }

  @Test
  void cachedDelegationFromIssuerNotAllowedToPropagate_refusedOnEveryCall() {
    String t = token(c -> c.put(UserDelegation.CLAIM, Map.of("sub", "alice")));
    try (SignedTokenTrustSource s = source(i -> i).build()) {
      for (int n = 0; n < 2; n++) {
        assertEquals(Reason.DELEGATION_NOT_ALLOWED, call(s, t, null).reason());
      }
    }
    try (SignedTokenTrustSource s =
        source(i -> i.propagatesUsers(UserDelegation.directUsers())).build()) {
      Principal p = principal(call(s, t, null));
      assertEquals("alice", p.delegatingUser().orElseThrow().subject());
      assertSame(p, principal(call(s, t, null)));
    }
  }

  @Test
  void reloadSharingVerifier_otherRoles_newSourceNeverServesOldPrincipal() {
    String t = token(c -> {});
    SignedTokenTrustSource before = source(i -> i.roles(List.of("old-role"))).build();
    try (SignedTokenTrustSource after =
        source(i -> i.roles(List.of("new-role"))).shareVerifierOf(before).build()) {
      Principal old = principal(call(before, t, null));
      assertSame(old, principal(call(before, t, null)));
      Principal reloaded = principal(call(after, t, null));
      assertNotSame(old, reloaded);
      assertEquals(Set.of("new-role"), reloaded.roles());
      assertEquals(Set.of("new-role"), principal(call(after, t, null)).roles());
      assertEquals(Set.of("old-role"), principal(call(before, t, null)).roles());
    } finally {
      before.close();
    }
  }

  @Test
  void reloadSharingVerifier_subjectNoLongerListed_refusedSubjectMismatch() {
    String t = token(c -> c.put("sub", "alice"));
    SignedTokenTrustSource before =
        source(i -> i.addSubject(ServiceSubject.newBuilder("alice").build())).build();
    try (SignedTokenTrustSource after =
        source(i -> i.addSubject(ServiceSubject.newBuilder("bob").build()))
            .shareVerifierOf(before)
            .build()) {
      principal(call(before, t, null));
      principal(call(before, t, null));
      for (int n = 0; n < 2; n++) {
        AuthResult r = call(after, t, null);
        assertEquals(Reason.SUBJECT_MISMATCH, r.reason());
        assertEquals("issuer worker: sub is not an allowed subject", r.detail());
      }
    } finally {
      before.close();
    }
  }

  @Test
  void reloadSharingVerifier_subjectNewlyListed_acceptedDespiteOldRefusal() {
    String t = token(c -> c.put("sub", "bob"));
    SignedTokenTrustSource before =
        source(i -> i.addSubject(ServiceSubject.newBuilder("alice").build())).build();
    try (SignedTokenTrustSource after =
        source(i -> i.addSubject(ServiceSubject.newBuilder("bob").build()))
            .shareVerifierOf(before)
            .build()) {
      assertEquals(Reason.SUBJECT_MISMATCH, call(before, t, null).reason());
      assertEquals(Reason.SUBJECT_MISMATCH, call(before, t, null).reason());
      assertEquals("bob", principal(call(after, t, null)).subject());
    } finally {
      before.close();
    }
  }

  @Test
  void reloadSharingVerifierAndReplayCache_tokenUsedBefore_refusedReplayedAfter() {
    String t = token(c -> c.put("jti", "jti-9"));
    SignedTokenTrustSource before = source(i -> i.replayProtection(true)).build();
    try (SignedTokenTrustSource after =
        source(i -> i.replayProtection(true).roles(List.of("new-role")))
            .shareVerifierOf(before)
            .continueReplayCacheOf(before)
            .build()) {
      principal(call(before, t, null));
      assertEquals(Reason.REPLAYED, call(after, t, null).reason());
      assertEquals(Reason.REPLAYED, call(before, t, null).reason());
    } finally {
      before.close();
    }
  }
}
