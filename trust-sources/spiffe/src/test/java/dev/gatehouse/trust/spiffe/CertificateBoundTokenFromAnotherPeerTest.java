package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.CertificateThumbprint;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.ServiceTokenIssuer;
import dev.gatehouse.trust.jwt.SignedTokenTrustSource;
import io.grpc.Metadata;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A service token bound to a certificate ({@code cnf.x5t#S256}, RFC 8705) is accepted only from the
 * mTLS peer whose certificate has that thumbprint: from another client certificate, or without TLS,
 * it is refused.
 */
class CertificateBoundTokenFromAnotherPeerTest {
  private static final Instant START = Instant.parse("2026-06-01T08:00:00Z");
  private static final ECKey WORKER = TestTokens.ecKey("w-1");

  @Test
  void signedToken_cnfThumbprintOfAnotherPeer_refused() {
    TestPki.Issued ca = TestPki.rootCa("example.org");
    TestPki.Issued boundPeer =
        TestPki.leaf(ca, TestPki.Spec.svid("spiffe://example.org/ns/trips/sa/worker"));
    TestPki.Issued thief =
        TestPki.leaf(ca, TestPki.Spec.svid("spiffe://example.org/ns/trips/sa/thief"));
    Map<String, Object> claims = TestTokens.claims("worker", "worker", "trips", START, 300);
    claims.put("cnf", Map.of("x5t#S256", CertificateThumbprint.x5tS256(boundPeer.cert())));
    String token = TestTokens.sign(WORKER, TestTokens.header("ES256", "w-1"), claims);

    SignedTokenTrustSource source =
        SignedTokenTrustSource.newBuilder()
            .serviceName("trips")
            .clock(new MutableClock(START))
            .addIssuer(
                ServiceTokenIssuer.newBuilder("worker")
                    .keys(JwksSource.of(new JWKSet(WORKER.toPublicJWK())))
                    .build())
            .build();
    try {
      Metadata md = new Metadata();
      md.put(IncomingCall.key("authorization"), "Bearer " + token);
      AuthResult r =
          source.authenticate(
              IncomingCall.of(
                  "gatehouse.test.v1.Probe/Worker", md, null, TestPki.session(thief.presented())));
      assertEquals(AuthResult.Outcome.REJECTED, r.outcome(), "bound token accepted from " + r);
    } finally {
      source.close();
    }
  }
}
