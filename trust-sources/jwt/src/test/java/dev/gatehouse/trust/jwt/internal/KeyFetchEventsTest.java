package dev.gatehouse.trust.jwt.internal;

import static dev.gatehouse.testing.TestTokens.claims;
import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.KeyFetchEvents;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The key cache reports each fetch of an issuer's JWKS, failed or not, to KeyFetchEvents. */
class KeyFetchEventsTest {
  static final Instant NOW = Instant.parse("2026-04-01T00:00:00Z");
  static final String ISS = "https://fetch-events.idp.test";
  static final ECKey K1 = TestTokens.ecKey("k1");

  @Test
  void keyCache_reportsFailedThenSuccessfulFetchOfItsIssuer() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    MutableClock clock = new MutableClock(NOW);
    String token = sign(K1, header("ES256", "k1"), claims(ISS, "u", "api", NOW, 3600));
    KeyFetchEvents.Registration registration =
        KeyFetchEvents.register(
            (keySet, ok) -> {
              if (keySet.equals(ISS)) {
                seen.add(ok ? "ok" : "failed");
              }
            });
    try (JwksServer jwks = JwksServer.start(new JWKSet(K1))) {
      jwks.down(true);
      try (JwtVerifier v =
          VerifierFixture.newBuilder()
              .clock(clock)
              .addIssuer(
                  TrustedIssuer.newBuilder(ISS)
                      .keys(JwksSource.uri(jwks.url()))
                      .audience("api")
                      .build())
              .build()) {
        assertTrue(v.verify(token).isUnavailable());
        waitFor(() -> seen.contains("failed"));
        assertTrue(!seen.contains("ok"), seen::toString);

        jwks.down(false);
        clock.advance(Duration.ofSeconds(2)); // past the longest backoff step
        assertTrue(v.verify(token).isVerified());
        waitFor(() -> seen.contains("ok"));
      }
    } finally {
      registration.close();
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "condition not met within 10 s");
      Thread.sleep(10);
    }
  }
}
