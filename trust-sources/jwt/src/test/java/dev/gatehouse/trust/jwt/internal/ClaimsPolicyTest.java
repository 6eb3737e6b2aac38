package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link ClaimsPolicy} on its own: time claims with skew, lifetime, audience; Reason and detail.
 */
class ClaimsPolicyTest {
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  static final long NOW_S = NOW.getEpochSecond();
  static final long SKEW = 30;
  static final String WHO = "issuer https://a.test kid \"k1\"";
  static final String SECRET_AUD = "secret-audience-value";

  private static Map<String, Object> claims() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("iss", "https://a.test");
    c.put("sub", "u1");
    c.put("aud", "api");
    c.put("iat", NOW_S);
    c.put("exp", NOW_S + 60);
    return c;
  }

  private static JwtVerification check(ClaimsPolicy policy, Map<String, Object> c) {
    return policy.check(
        c, Set.of("api"), NOW.toEpochMilli(), SKEW, "https://a.test", "k1", "ES256", WHO);
  }

  private static JwtVerification check(Map<String, Object> c) {
    return check(ClaimsPolicy.newBuilder().build(), c);
  }

  private static void refused(JwtVerification r, Reason reason, String detailSuffix) {
    assertFalse(r.isVerified(), r.toString());
    assertEquals(reason, r.reason(), r.detail());
    assertEquals(WHO + " sub \"u1\": " + detailSuffix, r.detail());
  }

  @Test
  void check_valid_verifiedWithFields() {
    JwtVerification r = check(claims());
    assertTrue(r.isVerified(), r.toString());
    VerifiedJwt jwt = r.token();
    assertEquals("https://a.test", jwt.issuer());
    assertEquals("k1", jwt.keyId().orElseThrow());
    assertEquals("ES256", jwt.algorithm());
    assertEquals(List.of("api"), jwt.audiences());
    assertEquals(Instant.ofEpochSecond(NOW_S + 60), jwt.expiry());
    assertEquals(NOW, jwt.issuedAt().orElseThrow());
  }

  @Test
  void check_expMissingOrNotInteger_invalidClaims() {
    Map<String, Object> c = claims();
    c.remove("exp");
    refused(check(c), Reason.INVALID_CLAIMS, "exp missing");
    c.put("exp", 1.5e9);
    refused(check(c), Reason.INVALID_CLAIMS, "exp not an integer");
    c.put("exp", String.valueOf(NOW_S + 60));
    refused(check(c), Reason.INVALID_CLAIMS, "exp not an integer");
  }

  @Test
  void check_nbfOrIatNotInteger_invalidClaims() {
    Map<String, Object> c = claims();
    c.put("nbf", "soon");
    refused(check(c), Reason.INVALID_CLAIMS, "nbf not an integer");
    c = claims();
    c.put("iat", 1.0);
    refused(check(c), Reason.INVALID_CLAIMS, "iat not an integer");
  }

  @Test
  void check_numericDateOutOfRange_invalidClaims() {
    Map<String, Object> c = claims();
    c.put("nbf", -1L);
    refused(
        check(c), Reason.INVALID_CLAIMS, "nbf outside [0, " + ClaimsPolicy.MAX_NUMERIC_DATE + "]");
  }

  @Test
  void check_expiryHonoursSkew() {
    Map<String, Object> c = claims();
    c.put("exp", NOW_S - SKEW + 1);
    assertTrue(check(c).isVerified(), "inside the skew");
    c.put("exp", NOW_S - SKEW);
    refused(check(c), Reason.EXPIRED, "expired");
  }

  @Test
  void check_nbfAndIatInTheFutureHonourSkew() {
    Map<String, Object> c = claims();
    c.put("nbf", NOW_S + SKEW);
    assertTrue(check(c).isVerified(), "nbf at the edge of the skew");
    c.put("nbf", NOW_S + SKEW + 1);
    refused(check(c), Reason.NOT_YET_VALID, "nbf in the future");
    c = claims();
    c.put("iat", NOW_S + SKEW + 1);
    refused(check(c), Reason.NOT_YET_VALID, "iat in the future");
  }

  @Test
  void check_iatOptionalByDefault_requiredWhenAsked() {
    Map<String, Object> c = claims();
    c.remove("iat");
    assertTrue(check(c).isVerified());
    ClaimsPolicy strict = ClaimsPolicy.newBuilder().requireIssuedAt(true).build();
    assertTrue(strict.requiresIssuedAt());
    refused(check(strict, c), Reason.INVALID_CLAIMS, "iat missing");
  }

  @Test
  void check_maxLifetime_boundsExpMinusIatAndRequiresIat() {
    ClaimsPolicy p = ClaimsPolicy.newBuilder().maxLifetime(Duration.ofSeconds(60)).build();
    assertTrue(p.requiresIssuedAt(), "a lifetime bound implies iat");
    assertTrue(check(p, claims()).isVerified(), "exactly 60 s");
    Map<String, Object> c = claims();
    c.put("exp", NOW_S + 61);
    refused(check(p, c), Reason.LIFETIME_TOO_LONG, "lifetime longer than 60 s");
    c.remove("iat");
    refused(check(p, c), Reason.INVALID_CLAIMS, "iat missing");
  }

  @Test
  void check_audience_stringOrArrayNamingOneOfOurs() {
    Map<String, Object> c = claims();
    c.put("aud", List.of("other", "api"));
    assertTrue(check(c).isVerified());
    c.put("aud", SECRET_AUD);
    JwtVerification r = check(c);
    refused(r, Reason.AUDIENCE_MISMATCH, "aud does not name us; expected \"api\"");
    assertFalse(r.detail().contains(SECRET_AUD), "no claim value in the detail");
    c.put("aud", List.of("api", 3L));
    refused(check(c), Reason.INVALID_CLAIMS, "aud has a non-string");
    c.remove("aud");
    refused(
        check(c), Reason.AUDIENCE_MISMATCH, "aud missing or not a string/array; expected \"api\"");
    c.put("aud", Map.of("api", true));
    refused(
        check(c), Reason.AUDIENCE_MISMATCH, "aud missing or not a string/array; expected \"api\"");
  }

  @Test
  void check_timeRunsBeforeAudience() {
    Map<String, Object> c = claims();
    c.put("exp", NOW_S - 600);
    c.put("aud", "someone-else");
    refused(check(c), Reason.EXPIRED, "expired");
  }

  @Test
  void check_subjectOnlyNamedQuotedInDetail() {
    Map<String, Object> c = claims();
    c.put("sub", "evil\nline");
    c.remove("exp");
    JwtVerification r = check(c);
    assertEquals(Reason.INVALID_CLAIMS, r.reason());
    assertEquals(WHO + " sub \"evil?line\": exp missing", r.detail());
  }

  @Test
  void build_maxLifetimeNotPositive_throws() {
    for (Duration d : List.of(Duration.ZERO, Duration.ofSeconds(-1))) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> ClaimsPolicy.newBuilder().maxLifetime(d).build());
      assertTrue(e.getMessage().contains("positive"), e.getMessage());
    }
  }

  @Test
  void build_maxLifetimeWithIatDeclaredOptional_contradictionThrowsInEitherOrder() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ClaimsPolicy.newBuilder()
                    .requireIssuedAt(false)
                    .maxLifetime(Duration.ofMinutes(5))
                    .build());
    assertTrue(e.getMessage().contains("iat"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ClaimsPolicy.newBuilder()
                .maxLifetime(Duration.ofMinutes(5))
                .requireIssuedAt(false)
                .build());
    ClaimsPolicy ok =
        ClaimsPolicy.newBuilder().requireIssuedAt(true).maxLifetime(Duration.ofMinutes(5)).build();
    assertEquals(Duration.ofMinutes(5), ok.maxLifetime());
  }
}
