package dev.gatehouse.trust.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The sources over the verified-token cache: a token served from the cache still meets every
 * per-call check of its source, and a reload with other rules never serves the old verdicts.
 */
class VerifiedTokenCacheSourcesTest {
  private static final Instant START = Instant.parse("2026-06-01T08:00:00Z");
  private static final ECKey WORKER = TestTokens.ecKey("w-1");
  private static final ECKey IDP = TestTokens.ecKey("idp-1");

  private static AuthResult present(Authenticator a, String token) {
    Metadata md = new Metadata();
    md.put(IncomingCall.key("authorization"), "Bearer " + token);
    return a.authenticate(IncomingCall.of("gatehouse.test.v1.Probe/Worker", md, null, null));
  }

  @Test
  void signedToken_replayedJtiOfCachedToken_refusedReplayed() {
    MutableClock clock = new MutableClock(START);
    Map<String, Object> claims = TestTokens.claims("worker", "worker", "trips", START, 300);
    claims.put("jti", "jti-1");
    String token = TestTokens.sign(WORKER, TestTokens.header("ES256", "w-1"), claims);
    Map<String, Object> other = TestTokens.claims("worker", "worker", "trips", START, 300);
    other.put("jti", "jti-2");
    String second = TestTokens.sign(WORKER, TestTokens.header("ES256", "w-1"), other);
    try (SignedTokenTrustSource s =
        SignedTokenTrustSource.newBuilder()
            .serviceName("trips")
            .clock(clock)
            .replayProtection(true)
            .addIssuer(
                ServiceTokenIssuer.newBuilder("worker")
                    .keys(JwksSource.of(new JWKSet(WORKER.toPublicJWK())))
                    .build())
            .build()) {
      assertEquals(AuthResult.Outcome.AUTHENTICATED, present(s, token).outcome());
      // The same bytes again: the verifier serves them from its cache; the jti check still runs.
      AuthResult replay = present(s, token);
      assertEquals(AuthResult.Outcome.REJECTED, replay.outcome());
      assertEquals(Reason.REPLAYED, replay.reason());
      assertEquals(Reason.REPLAYED, present(s, token).reason());
      assertEquals(AuthResult.Outcome.AUTHENTICATED, present(s, second).outcome());
    }
  }

  @Test
  void userJwt_reloadChangingAudienceKeepingKeys_oldAudienceTokenRefused() throws Exception {
    MutableClock clock = new MutableClock(START);
    String token =
        TestTokens.sign(
            IDP,
            TestTokens.header("ES256", "idp-1"),
            TestTokens.claims("https://idp.test", "alice", "old-api", START, 600));
    try (JwksServer jwks = JwksServer.start(new JWKSet(IDP))) {
      UserJwtAuthenticator before =
          UserJwtAuthenticator.newBuilder()
              .clock(clock)
              .addIssuer("https://idp.test", jwks.url(), List.of("old-api"))
              .build();
      UserJwtAuthenticator after = null;
      try {
        assertEquals(AuthResult.Outcome.AUTHENTICATED, present(before, token).outcome());
        assertEquals(AuthResult.Outcome.AUTHENTICATED, present(before, token).outcome());
        after =
            UserJwtAuthenticator.newBuilder()
                .clock(clock)
                .reuseKeysOf(before)
                .addIssuer("https://idp.test", jwks.url(), List.of("new-api"))
                .build();
        AuthResult r = present(after, token);
        assertEquals(AuthResult.Outcome.REJECTED, r.outcome());
        assertEquals(Reason.AUDIENCE_MISMATCH, r.reason());
        assertEquals(1, jwks.requests(), "the reload kept the fetched keys");
      } finally {
        before.close();
        if (after != null) {
          after.close();
        }
      }
    }
  }

  @Test
  void userJwt_cachedTokenWithoutSub_refusedEveryTime() {
    MutableClock clock = new MutableClock(START);
    Map<String, Object> claims = TestTokens.claims("https://idp.test", "x", "api", START, 600);
    claims.remove("sub");
    String token = TestTokens.sign(IDP, TestTokens.header("ES256", "idp-1"), claims);
    try (UserJwtAuthenticator a =
        UserJwtAuthenticator.newBuilder()
            .clock(clock)
            .addIssuer(
                "https://idp.test", JwksSource.of(new JWKSet(IDP.toPublicJWK())), List.of("api"))
            .build()) {
      assertEquals(Reason.INVALID_CLAIMS, present(a, token).reason());
      assertEquals(Reason.INVALID_CLAIMS, present(a, token).reason());
    }
  }
}
