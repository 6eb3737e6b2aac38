package dev.gatehouse.trust.jwt.internal;

import static dev.gatehouse.testing.TestTokens.claims;
import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.TestTokens;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@link JwtVerifier.Builder}: every part exactly once, contradictions refused at build time, and
 * the parts always run in the fixed order (framing, header, key set, key, signature, claims)
 * whatever order the builder calls came in.
 */
class JwtVerifierCompositionTest {
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  static final ECKey A = TestTokens.ecKey("a1");
  static final ECKey OTHER = TestTokens.ecKey("a1");
  static final JwtSettings SETTINGS =
      JwtSettings.newBuilder().clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();

  private static IssuerKeySelector selector(JwtSettings settings) {
    return IssuerKeySelector.of(
        settings, List.of(IssuerKeySelectorTest.anchor("https://a.test", A)));
  }

  /** Built claims first, key selector second, header last: the run order must not care. */
  private static JwtVerifier verifier() {
    return JwtVerifier.newBuilder(SETTINGS)
        .claimsPolicy(ClaimsPolicy.newBuilder().build())
        .keySelector(selector(SETTINGS))
        .headerPolicy(HeaderPolicy.newBuilder().build())
        .build();
  }

  @Test
  void build_missingPart_throwsNamingIt() {
    IllegalStateException noHeader =
        assertThrows(
            IllegalStateException.class,
            () ->
                JwtVerifier.newBuilder(SETTINGS)
                    .keySelector(selector(SETTINGS))
                    .claimsPolicy(ClaimsPolicy.newBuilder().build())
                    .build());
    assertTrue(noHeader.getMessage().contains("header policy"), noHeader.getMessage());
    IllegalStateException noKeys =
        assertThrows(
            IllegalStateException.class,
            () ->
                JwtVerifier.newBuilder(SETTINGS)
                    .headerPolicy(HeaderPolicy.newBuilder().build())
                    .claimsPolicy(ClaimsPolicy.newBuilder().build())
                    .build());
    assertTrue(noKeys.getMessage().contains("key selector"), noKeys.getMessage());
    IllegalStateException noClaims =
        assertThrows(
            IllegalStateException.class,
            () ->
                JwtVerifier.newBuilder(SETTINGS)
                    .headerPolicy(HeaderPolicy.newBuilder().build())
                    .keySelector(selector(SETTINGS))
                    .build());
    assertTrue(noClaims.getMessage().contains("claims policy"), noClaims.getMessage());
  }

  @Test
  void build_partSetTwice_throws() {
    JwtVerifier.Builder b =
        JwtVerifier.newBuilder(SETTINGS).headerPolicy(HeaderPolicy.newBuilder().build());
    assertThrows(
        IllegalStateException.class, () -> b.headerPolicy(HeaderPolicy.newBuilder().build()));
    b.claimsPolicy(ClaimsPolicy.newBuilder().build());
    assertThrows(
        IllegalStateException.class, () -> b.claimsPolicy(ClaimsPolicy.newBuilder().build()));
    try (IssuerKeySelector first = selector(SETTINGS);
        IssuerKeySelector second = selector(SETTINGS)) {
      b.keySelector(first);
      assertThrows(IllegalStateException.class, () -> b.keySelector(second));
    }
  }

  @Test
  void build_selectorStartedWithOtherSettings_contradictionThrows() {
    JwtSettings other = JwtSettings.newBuilder().clock(Clock.systemUTC()).build();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                JwtVerifier.newBuilder(SETTINGS)
                    .headerPolicy(HeaderPolicy.newBuilder().build())
                    .keySelector(selector(other))
                    .claimsPolicy(ClaimsPolicy.newBuilder().build())
                    .build());
    assertTrue(e.getMessage().contains("other settings"), e.getMessage());
  }

  @Test
  void newBuilder_nullSettingsOrPart_throwsNpe() {
    assertThrows(NullPointerException.class, () -> JwtVerifier.newBuilder(null));
    JwtVerifier.Builder b = JwtVerifier.newBuilder(SETTINGS);
    assertThrows(NullPointerException.class, () -> b.headerPolicy(null));
    assertThrows(NullPointerException.class, () -> b.keySelector(null));
    assertThrows(NullPointerException.class, () -> b.claimsPolicy(null));
  }

  @Test
  void verify_sharesSettings() {
    try (JwtVerifier v = verifier()) {
      assertSame(SETTINGS, v.settings());
      assertSame(SETTINGS.clock(), v.clock());
      assertEquals(List.of("https://a.test"), List.copyOf(v.issuers()));
    }
  }

  @Test
  void verify_headerRunsBeforeKeySelection() {
    Map<String, Object> h = header("ES256", "a1");
    h.put("jku", "https://evil.example/jwks");
    String token = sign(A, h, claims("https://unknown.test", "u", "api", NOW, 60));
    try (JwtVerifier v = verifier()) {
      assertEquals(Reason.DISALLOWED_HEADER, v.verify(token).reason());
    }
  }

  @Test
  void verify_keySelectionRunsBeforeSignature() {
    String token =
        sign(OTHER, header("ES256", "a1"), claims("https://c.test", "u", "api", NOW, 60));
    try (JwtVerifier v = verifier()) {
      assertEquals(Reason.UNKNOWN_ISSUER, v.verify(token).reason());
    }
  }

  @Test
  void verify_signatureRunsBeforeClaims() {
    Map<String, Object> expired = claims("https://a.test", "u", "other", NOW.minusSeconds(900), 60);
    try (JwtVerifier v = verifier()) {
      JwtVerification forged = v.verify(sign(OTHER, header("ES256", "a1"), expired));
      assertEquals(Reason.BAD_SIGNATURE, forged.reason());
      assertEquals("issuer https://a.test kid \"a1\": signature does not verify", forged.detail());
      assertEquals(Reason.EXPIRED, v.verify(sign(A, header("ES256", "a1"), expired)).reason());
    }
  }

  @Test
  void verify_framingRunsFirst() {
    try (JwtVerifier v = verifier()) {
      JwtVerification r = v.verify("a.b");
      assertEquals(Reason.MALFORMED_CREDENTIALS, r.reason());
      assertEquals("expected 3 segments, found 2", r.detail());
    }
  }

  @Test
  void verify_algorithmOutsideKeySetAllowList_algorithmNotAllowed() {
    JwtSettings s = SETTINGS;
    TrustAnchor esOnly =
        TrustAnchor.of(
            "https://a.test",
            dev.gatehouse.trust.jwt.JwksSource.of(new com.nimbusds.jose.jwk.JWKSet(A)),
            List.of("ES256"),
            List.of("api"));
    try (JwtVerifier v =
        JwtVerifier.newBuilder(s)
            .headerPolicy(HeaderPolicy.newBuilder().build())
            .keySelector(IssuerKeySelector.of(s, List.of(esOnly)))
            .claimsPolicy(ClaimsPolicy.newBuilder().build())
            .build()) {
      String rs =
          sign(
              TestTokens.rsaKey("r1"),
              header("RS256", "r1"),
              claims("https://a.test", "u", "api", NOW, 60));
      JwtVerification r = v.verify(rs);
      assertEquals(Reason.ALGORITHM_NOT_ALLOWED, r.reason());
      assertEquals("algorithm RS256 not allowed for issuer https://a.test", r.detail());
    }
  }
}
