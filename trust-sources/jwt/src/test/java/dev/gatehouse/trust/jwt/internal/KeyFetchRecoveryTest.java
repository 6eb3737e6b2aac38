package dev.gatehouse.trust.jwt.internal;

import static dev.gatehouse.testing.TestTokens.claims;
import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Recovery after a key-endpoint outage: with no keys cached, failed fetches back off briefly
 * (capped at 2 s on the injected clock) instead of spending the 30 s unknown-kid refresh window;
 * with keys cached, an unknown {@code kid} still refreshes at most once per 30 s.
 */
class KeyFetchRecoveryTest {
  static final Instant NOW = Instant.parse("2026-04-01T00:00:00Z");
  static final String ISS = "https://idp.test";
  static final ECKey K1 = TestTokens.ecKey("k1");

  private static JwtVerifier verifier(JwksServer jwks, MutableClock clock) {
    return VerifierFixture.newBuilder()
        .clock(clock)
        .addIssuer(
            TrustedIssuer.newBuilder(ISS).keys(JwksSource.uri(jwks.url())).audience("api").build())
        .build();
  }

  private static String token(ECKey key) {
    return sign(key, header("ES256", key.getKeyID()), claims(ISS, "u", "api", NOW, 3600));
  }

  @Test
  void verify_providerBackAfterFailedFetchesWithEmptyCache_verifiedWithinBackoffCap()
      throws Exception {
    MutableClock clock = new MutableClock(NOW);
    try (JwksServer jwks = JwksServer.start(new JWKSet(K1))) {
      jwks.down(true);
      try (JwtVerifier v = verifier(jwks, clock)) {
        for (int i = 0; i < 6; i++) {
          JwtVerification r = v.verify(token(K1));
          assertTrue(r.isUnavailable(), r.toString());
          clock.advance(Duration.ofMillis(300));
        }
        jwks.down(false);
        clock.advance(Duration.ofSeconds(2)); // the longest backoff step
        JwtVerification r = v.verify(token(K1));
        assertTrue(r.isVerified(), r.toString());
      }
    }
  }

  @Test
  void verify_providerDownEmptyCacheManyCallsAtOneInstant_fetchesBounded() throws Exception {
    MutableClock clock = new MutableClock(NOW);
    try (JwksServer jwks = JwksServer.start(new JWKSet(K1))) {
      jwks.down(true);
      try (JwtVerifier v = verifier(jwks, clock)) {
        for (int i = 0; i < 50; i++) {
          assertTrue(v.verify(token(K1)).isUnavailable());
        }
        // the background prefetch and at most one fetch by a caller: no hammering while down
        assertTrue(jwks.requests() <= 2, "requests " + jwks.requests());
      }
    }
  }

  @Test
  void verify_unknownKidWithKeysCached_stillOneRefreshPer30s() throws Exception {
    MutableClock clock = new MutableClock(NOW);
    try (JwksServer jwks = JwksServer.start(new JWKSet(K1));
        JwtVerifier v = verifier(jwks, clock)) {
      assertTrue(v.verify(token(K1)).isVerified());
      int before = jwks.requests();
      for (int i = 0; i < 10; i++) {
        ECKey k = TestTokens.ecKey("random-" + i);
        assertEquals(Reason.UNKNOWN_KEY, v.verify(token(k)).reason());
        clock.advance(Duration.ofSeconds(2));
      }
      assertEquals(before + 1, jwks.requests(), "one refresh within the 30 s window");
    }
  }
}
