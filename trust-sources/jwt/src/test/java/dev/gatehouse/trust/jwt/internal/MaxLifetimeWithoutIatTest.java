package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A maximum token lifetime needs {@code iat}: the claims-policy builder refuses a lifetime bound
 * with {@code requireIssuedAt(false)}, and a token without {@code iat} under a lifetime bound is
 * refused, never thrown.
 */
class MaxLifetimeWithoutIatTest {
  @Test
  void verify_maxLifetimeWithoutIat_rejectedNotThrown() {
    ECKey key = TestTokens.ecKey("k1");
    // The contradiction itself (a bounded lifetime without iat) is now refused when building.
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ClaimsPolicy.newBuilder()
                .maxLifetime(Duration.ofMinutes(15))
                .requireIssuedAt(false)
                .build());
    try (JwtVerifier v =
        VerifierFixture.newBuilder()
            .addIssuer(
                TrustedIssuer.newBuilder("https://idp.test")
                    .keys(JwksSource.of(new JWKSet(key.toPublicJWK())))
                    .audience("trips")
                    .build())
            .maxLifetime(Duration.ofMinutes(15))
            .build()) {
      Map<String, Object> claims =
          TestTokens.claims("https://idp.test", "alice", "trips", Instant.now(), 300);
      claims.remove("iat");
      String token = TestTokens.sign(key, TestTokens.header("ES256", "k1"), claims);
      JwtVerification r = v.verify(token);
      assertFalse(r.isVerified());
      Reason why = r.toFailure().reason();
      assertTrue(why == Reason.INVALID_CLAIMS || why == Reason.LIFETIME_TOO_LONG, why.toString());
    }
  }
}
