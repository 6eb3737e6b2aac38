package dev.gatehouse.trust.spiffe;

import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import io.grpc.Attributes;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A JWT-SVID's {@code sub} must name a workload: a bare trust-domain ID (no path) is refused by
 * {@link SpiffeJwtTrustSource}, as it is for X.509-SVIDs.
 */
class SpiffeJwtSubjectRulesTest {
  private static final Instant NOW = Instant.parse("2026-06-01T08:00:00Z");
  private static final ECKey KEY = TestTokens.ecKey("k");
  private SpiffeJwtTrustSource source;

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
  }

  /**
   * The trust domain's own ID ({@code spiffe://example.org}, no path) names the trust domain, not a
   * workload; the X.509-SVID rule (non-root path required, X509-SVID §5.2) applies to the JWT-SVID
   * subject as well (rust spiffe and the X.509 side of go-spiffe refuse it). A trust-domain allow
   * entry must not turn it into a SERVICE principal.
   */
  @Test
  void authenticate_subIsTrustDomainIdWithoutPath_refused() {
    source =
        SpiffeJwtTrustSource.newBuilder()
            .serviceAudience("trips")
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .addBundle("example.org", JwksSource.of(new JWKSet(KEY.toPublicJWK())))
            .allowTrustDomain("example.org", Set.of("member"), Set.of())
            .build();
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("sub", "spiffe://example.org");
    claims.put("aud", "trips");
    claims.put("exp", NOW.getEpochSecond() + 300);
    AuthResult r =
        source.authenticate(
            IncomingCall.of(
                "gatehouse.test.v1.Probe/Worker",
                ProbeHarness.headers(
                    "authorization", "Bearer " + sign(KEY, header("ES256", "k"), claims)),
                Attributes.EMPTY));
    assertEquals(AuthResult.Outcome.REJECTED, r.outcome(), r.toString());
  }
}
