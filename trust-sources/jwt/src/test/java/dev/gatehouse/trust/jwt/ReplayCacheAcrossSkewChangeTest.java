package dev.gatehouse.trust.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A replay cache carried over to a rebuilt {@code signed_token} source keeps every entry until the
 * token's {@code exp} plus the largest skew there can be, so raising {@code clock_skew_seconds} on
 * reload never lets a used {@code jti} through a second time.
 */
class ReplayCacheAcrossSkewChangeTest {
  private static final Instant START = Instant.parse("2026-06-01T08:00:00Z");
  private static final ECKey WORKER = TestTokens.ecKey("w-1");

  private static SignedTokenTrustSource source(
      MutableClock clock, Duration skew, SignedTokenTrustSource previous) {
    SignedTokenTrustSource.Builder b =
        SignedTokenTrustSource.newBuilder()
            .serviceName("trips")
            .clock(clock)
            .clockSkew(skew)
            .replayProtection(true)
            .addIssuer(
                ServiceTokenIssuer.newBuilder("worker")
                    .keys(JwksSource.of(new JWKSet(WORKER.toPublicJWK())))
                    .build());
    if (previous != null) {
      b.continueReplayCacheOf(previous);
    }
    return b.build();
  }

  private static AuthResult present(SignedTokenTrustSource s, String token) {
    Metadata md = new Metadata();
    md.put(IncomingCall.key("authorization"), "Bearer " + token);
    return s.authenticate(IncomingCall.of("gatehouse.test.v1.Probe/Worker", md, null, null));
  }

  @Test
  void reloadRaisingSkew_tokenUsedBefore_replayRefused() {
    MutableClock clock = new MutableClock(START);
    Map<String, Object> claims = TestTokens.claims("worker", "worker", "trips", START, 300);
    claims.put("jti", "review2-jti-1");
    String token = TestTokens.sign(WORKER, TestTokens.header("ES256", "w-1"), claims);

    SignedTokenTrustSource before = source(clock, Duration.ofSeconds(30), null);
    SignedTokenTrustSource after = null;
    try {
      assertEquals(AuthResult.Outcome.AUTHENTICATED, present(before, token).outcome());
      // Sanity: replay protection is on.
      assertEquals(Reason.REPLAYED, present(before, token).reason());

      // Config reload: clock_skew_seconds 30 -> 120; signed_token is rebuilt, cache carried over.
      after = source(clock, Duration.ofMinutes(2), before);
      // 60 s after exp: past the old entry's exp + 30 s, still inside exp + 120 s.
      clock.set(START.plusSeconds(300 + 60));

      AuthResult replay = present(after, token);
      assertEquals(AuthResult.Outcome.REJECTED, replay.outcome(), "replayed jti was accepted");
      assertEquals(Reason.REPLAYED, replay.reason());
    } finally {
      before.close();
      if (after != null) {
        after.close();
      }
    }
  }
}
