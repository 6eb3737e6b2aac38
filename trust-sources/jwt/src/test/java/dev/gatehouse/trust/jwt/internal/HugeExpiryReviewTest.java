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
 * Security review: JwtVerifier.verify documents "Never throws for bad input". A signed token whose
 * integer exp lies beyond java.time.Instant's range passes every check and then throws
 * DateTimeException from Instant.ofEpochSecond (now in ClaimsPolicy.check), which the chain maps to
 * INTERNAL and a SEVERE log instead of UNAUTHENTICATED "invalid credentials". The same path lets a
 * lifetime (exp - iat) that overflows a long slip past the max-TTL check.
 */
class HugeExpiryReviewTest {
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
