package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The signature cache memoises only the signature; every other check still runs. */
class SignatureCacheTest {
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");

  @Test
  void cache_sameTokenSameKey_hitsOnlyForThatKeyObject() throws Exception {
    ECKey key = TestTokens.ecKey("k");
    ECKey other = TestTokens.ecKey("k");
    SignatureCache cache = new SignatureCache(2);
    assertFalse(cache.verifiedBefore("a.b.c", key));
    cache.remember("a.b.c", key);
    assertTrue(cache.verifiedBefore("a.b.c", key));
    assertFalse(cache.verifiedBefore("a.b.c", other), "another key object never hits");
    assertFalse(cache.verifiedBefore("a.b.d", key), "another token never hits");
    cache.remember("x.y.z", key);
    cache.remember("p.q.r", key); // full: emptied, then this one stored
    assertEquals(1, cache.size());
    assertFalse(cache.verifiedBefore("a.b.c", key));
  }

  @Test
  void verify_cachedTokenAfterExpiry_stillRefusedExpired() throws Exception {
    ECKey key = TestTokens.ecKey("k1");
    MutableClock clock = new MutableClock(NOW);
    JwtVerifier v =
        VerifierFixture.newBuilder()
            .clock(clock)
            .addIssuer(
                TrustedIssuer.newBuilder("iss")
                    .keys(JwksSource.of(new JWKSet(key.toPublicJWK())))
                    .audience("aud")
                    .build())
            .build();
    try {
      Map<String, Object> claims = TestTokens.claims("iss", "sub", "aud", NOW, 60);
      String token = TestTokens.sign(key, TestTokens.header("ES256", "k1"), claims);
      assertTrue(v.verify(token).isVerified());
      assertTrue(v.verify(token).isVerified());
      clock.advance(java.time.Duration.ofSeconds(60 + 31));
      JwtVerification late = v.verify(token);
      assertFalse(late.isVerified());
      assertEquals(Reason.EXPIRED, late.reason());
    } finally {
      v.close();
    }
  }

  @Test
  void verify_tamperedCopyOfCachedToken_refused() throws Exception {
    ECKey key = TestTokens.ecKey("k1");
    JwtVerifier v =
        VerifierFixture.newBuilder()
            .addIssuer(
                TrustedIssuer.newBuilder("iss")
                    .keys(JwksSource.of(new JWKSet(key.toPublicJWK())))
                    .audience("aud")
                    .build())
            .build();
    try {
      String token =
          TestTokens.sign(
              key,
              TestTokens.header("ES256", "k1"),
              TestTokens.claims("iss", "sub", "aud", Instant.now(), 300));
      assertTrue(v.verify(token).isVerified());
      String[] parts = token.split("\\.", -1);
      Map<String, Object> widened = TestTokens.claims("iss", "admin", "aud", Instant.now(), 300);
      String forged = parts[0] + "." + TestTokens.encode(widened) + "." + parts[2];
      JwtVerification r = v.verify(forged);
      assertFalse(r.isVerified());
      assertEquals(Reason.BAD_SIGNATURE, r.reason());
    } finally {
      v.close();
    }
  }
}
