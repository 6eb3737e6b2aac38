package dev.gatehouse.trust.spiffe;

import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
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
import org.junit.jupiter.api.Test;

/**
 * {@link SpiffeJwtTrustSource} builds the result of a JWT-SVID once and serves it with the token
 * from the verified-token cache: the same principal for every call, a refusal repeated with the
 * same reason and detail, and a source built by a reload (another allow-list) never served the old
 * result.
 */
class SpiffeJwtCachedResultTest {
  private static final Instant NOW = Instant.parse("2026-06-01T08:00:00Z");
  private static final String ID = "spiffe://example.org/ns/trips/sa/worker";
  private static final ECKey KEY = TestTokens.ecKey("k");

  private static SpiffeJwtTrustSource.Builder source() {
    return SpiffeJwtTrustSource.newBuilder()
        .serviceAudience("trips")
        .clock(Clock.fixed(NOW, ZoneOffset.UTC))
        .addBundle("example.org", JwksSource.of(new JWKSet(KEY.toPublicJWK())));
  }

  private static String svid(String sub) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("sub", sub);
    c.put("aud", "trips");
    c.put("exp", NOW.getEpochSecond() + 300);
    return sign(KEY, header("ES256", "k"), c);
  }

  private static AuthResult call(SpiffeJwtTrustSource s, String token) {
    return s.authenticate(
        IncomingCall.of(
            "gatehouse.test.v1.Probe/Worker",
            ProbeHarness.headers("authorization", "Bearer " + token),
            Attributes.EMPTY));
  }

  private static Principal principal(AuthResult r) {
    assertEquals(AuthResult.Outcome.AUTHENTICATED, r.outcome(), r.toString());
    return r.principal().orElseThrow();
  }

  @Test
  void sameSvid_principalBuiltOnceAndServedToEveryCall() {
    String t = svid(ID);
    try (SpiffeJwtTrustSource s = source().allow(ID, Set.of("trip-finisher"), Set.of()).build()) {
      Principal first = principal(call(s, t));
      assertSame(first, principal(call(s, t)));
      assertEquals(ID, first.subject());
      assertEquals(Set.of("trip-finisher"), first.roles());
    }
  }

  @Test
  void cachedSvidNotOnAllowList_refusedOnEveryCall() {
    String t = svid("spiffe://example.org/ns/trips/sa/other");
    try (SpiffeJwtTrustSource s = source().allow(ID, Set.of("r"), Set.of()).build()) {
      for (int n = 0; n < 2; n++) {
        AuthResult r = call(s, t);
        assertEquals(Reason.IDENTITY_NOT_ALLOWED, r.reason());
        assertEquals(
            "spiffe://example.org/ns/trips/sa/other is not on the spiffe_jwt allow-list",
            r.detail());
      }
    }
  }

  @Test
  void reload_otherGrant_newSourceNeverServesOldPrincipal() {
    String t = svid(ID);
    SpiffeJwtTrustSource before = source().allow(ID, Set.of("old-role"), Set.of()).build();
    try (SpiffeJwtTrustSource after =
        source().reuseKeysOf(before).allow(ID, Set.of("new-role"), Set.of()).build()) {
      Principal old = principal(call(before, t));
      assertSame(old, principal(call(before, t)));
      Principal reloaded = principal(call(after, t));
      assertNotSame(old, reloaded);
      assertEquals(Set.of("new-role"), reloaded.roles());
      assertEquals(Set.of("old-role"), principal(call(before, t)).roles());
    } finally {
      before.close();
    }
  }

  @Test
  void reload_identityDropped_refusedIdentityNotAllowed() {
    String t = svid(ID);
    SpiffeJwtTrustSource before = source().allow(ID, Set.of("r"), Set.of()).build();
    try (SpiffeJwtTrustSource after =
        source()
            .reuseKeysOf(before)
            .allow("spiffe://example.org/ns/trips/sa/other", Set.of("r"), Set.of())
            .build()) {
      principal(call(before, t));
      principal(call(before, t));
      assertEquals(Reason.IDENTITY_NOT_ALLOWED, call(after, t).reason());
      assertEquals(Reason.IDENTITY_NOT_ALLOWED, call(after, t).reason());
    } finally {
      before.close();
    }
  }
}
