package dev.gatehouse.trust.jwt.internal;

import static dev.gatehouse.testing.TestTokens.claims;
import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A slow key refresh under a flood of unknown {@code kid}s: only a small bounded number of callers
 * per issuer may block on it; the rest are answered at once, and callers whose key is cached keep
 * being verified. Measured with the key set's own counter of blocked callers, not with timing.
 */
class KeyRefreshWaitersTest {
  static final Instant NOW = Instant.parse("2026-04-01T00:00:00Z");
  static final String ISS = "https://idp.test";
  static final ECKey K1 = TestTokens.ecKey("k1");
  static final int CALLERS = 200;
  static final int BOUND = 16;

  private static String token(ECKey key) {
    return sign(key, header("ES256", key.getKeyID()), claims(ISS, "u", "api", NOW, 3600));
  }

  @Test
  void verify_unknownKidFloodDuringSlowRefresh_blockedCallersBounded() throws Exception {
    MutableClock clock = new MutableClock(NOW);
    JwtSettings settings = JwtSettings.newBuilder().clock(clock).build();
    ExecutorService pool = Executors.newFixedThreadPool(CALLERS);
    try (JwksServer jwks = JwksServer.start(new JWKSet(K1))) {
      IssuerKeySelector selector =
          IssuerKeySelector.of(
              settings,
              List.of(
                  TrustAnchor.of(
                      ISS, JwksSource.uri(jwks.url()), Algorithms.DEFAULT, Set.of("api"))));
      IssuerKeys keys = selector.named(ISS).keys;
      try (JwtVerifier v =
          JwtVerifier.newBuilder(settings)
              .headerPolicy(HeaderPolicy.newBuilder().build())
              .keySelector(selector)
              .claimsPolicy(ClaimsPolicy.newBuilder().build())
              .build()) {
        String valid = token(K1);
        assertTrue(v.verify(valid).isVerified(), "keys cached");
        int before = jwks.requests();
        jwks.delay(Duration.ofMillis(1500)); // the refresh is slow

        List<String> floods = new ArrayList<>();
        for (int i = 0; i < CALLERS; i++) {
          floods.add(token(TestTokens.ecKey("random-" + i)));
        }
        CountDownLatch go = new CountDownLatch(1);
        List<Future<JwtVerification>> results = new ArrayList<>();
        for (String t : floods) {
          results.add(
              pool.submit(
                  () -> {
                    go.await();
                    return v.verify(t);
                  }));
        }
        go.countDown();
        // a caller whose key is cached is verified while the flood waits on the slow refresh
        assertTrue(v.verify(valid).isVerified());
        for (Future<JwtVerification> f : results) {
          JwtVerification r = f.get(30, TimeUnit.SECONDS);
          assertFalse(r.isVerified(), r.toString());
          assertTrue(
              r.isUnavailable() || r.reason() == Reason.UNKNOWN_KEY, "unexpected " + r.reason());
        }
        assertTrue(
            keys.peakBlocked() <= BOUND,
            "at most " + BOUND + " callers block on one refresh, saw " + keys.peakBlocked());
        assertTrue(keys.peakBlocked() >= 1, "the refresh was waited on");
        assertEquals(before + 1, jwks.requests(), "one refresh for the whole flood");
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
