package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Verification never throws for bad input: a signed token whose integer {@code exp} lies beyond
 * {@code java.time.Instant}'s range, or whose lifetime overflows a long, is refused as invalid
 * claims, never an exception (which the chain would answer with {@code INTERNAL}).
 */
class ExpiryBeyondInstantRangeTest {
  @Test
  void verify_expBeyondInstantRange_refusedWithoutException() {
    ECKey key = TestTokens.ecKey("k1");
    try (JwtVerifier v =
        VerifierFixture.newBuilder()
            .addIssuer(
                TrustedIssuer.newBuilder("https://idp.test")
                    .keys(JwksSource.of(new JWKSet(key.toPublicJWK())))
                    .audience("trips-api")
                    .build())
            .build()) {
      Map<String, Object> claims =
          TestTokens.claims("https://idp.test", "alice", "trips-api", Instant.now(), 300);
      claims.put("exp", 100_000_000_000_000_000L);
      String token = TestTokens.sign(key, TestTokens.header("ES256", "k1"), claims);
      JwtVerification r = assertDoesNotThrow(() -> v.verify(token));
      assertFalse(r.isVerified());
    }
  }
}
