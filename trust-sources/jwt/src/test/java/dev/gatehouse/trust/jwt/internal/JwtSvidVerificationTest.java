package dev.gatehouse.trust.jwt.internal;

import static dev.gatehouse.testing.TestTokens.claims;
import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link TrustDomainKeySelector} composed into a {@link JwtVerifier} (key set chosen by the trust
 * domain of the unverified {@code sub}) and the JWT-SVID bundle rules of {@link KeyFilter}; the
 * issuer selector stays as it was.
 */
class JwtSvidVerificationTest {
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  static final List<String> DEFAULT = List.of("ES256", "RS256", "PS256");
  static final ECKey A = TestTokens.ecKey("a1");
  static final ECKey B = TestTokens.ecKey("b1");

  /** A deliberately simple reader for the test: "spiffe://TD/..." gives TD. */
  static final Function<String, Optional<String>> TD =
      sub -> {
        if (!sub.startsWith("spiffe://")) {
          return Optional.empty();
        }
        String rest = sub.substring("spiffe://".length());
        int slash = rest.indexOf('/');
        return Optional.of(slash < 0 ? rest : rest.substring(0, slash));
      };

  private JwtVerifier verifier;

  @AfterEach
  void close() {
    if (verifier != null) {
      verifier.close();
    }
  }

  private JwtVerifier svid(Function<String, Optional<String>> reader) {
    verifier =
        VerifierFixture.newBuilder()
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .keysBySubjectTrustDomain(reader)
            .addIssuer(
                TrustedIssuer.newBuilder("a.test")
                    .keys(JwksSource.of(new JWKSet(A)))
                    .audience("api")
                    .build())
            .addIssuer(
                TrustedIssuer.newBuilder("b.test")
                    .keys(JwksSource.of(new JWKSet(B)))
                    .audience("api")
                    .build())
            .build();
    return verifier;
  }

  private static Map<String, Object> svidClaims(String iss, String sub) {
    Map<String, Object> c = claims(iss, sub, "api", NOW, 60);
    if (iss == null) {
      c.remove("iss");
    }
    return c;
  }

  @Test
  void verify_subInAWithAsKey_verifiedWithTrustDomainAsIssuer() {
    JwtVerification v =
        svid(TD).verify(sign(A, header("ES256", "a1"), svidClaims(null, "spiffe://a.test/w")));
    assertTrue(v.isVerified(), v.toString());
    assertEquals("a.test", v.token().issuer());
  }

  @Test
  void verify_subInASignedWithBsKeyAndKid_unknownKey() {
    JwtVerification v =
        svid(TD).verify(sign(B, header("ES256", "b1"), svidClaims(null, "spiffe://a.test/w")));
    assertFalse(v.isVerified());
    assertEquals(Reason.UNKNOWN_KEY, v.reason());
  }

  @Test
  void verify_subInAWithAsKidButBsKey_badSignature() {
    JwtVerification v =
        svid(TD).verify(sign(B, header("ES256", "a1"), svidClaims(null, "spiffe://a.test/w")));
    assertEquals(Reason.BAD_SIGNATURE, v.reason());
  }

  @Test
  void verify_issNamesOtherTrustDomain_issIgnoredSubDecides() {
    // iss says b.test, the key is B's: the bundle is chosen by sub (a.test), so B's key is refused.
    JwtVerification v =
        svid(TD).verify(sign(B, header("ES256", "b1"), svidClaims("b.test", "spiffe://a.test/w")));
    assertEquals(Reason.UNKNOWN_KEY, v.reason());
  }

  @Test
  void verify_subMissingOrNotString_invalidClaims() {
    Map<String, Object> noSub = svidClaims(null, "x");
    noSub.remove("sub");
    assertEquals(
        Reason.INVALID_CLAIMS, svid(TD).verify(sign(A, header("ES256", "a1"), noSub)).reason());
    Map<String, Object> numeric = svidClaims(null, "x");
    numeric.put("sub", 42);
    assertEquals(
        Reason.INVALID_CLAIMS, verifier.verify(sign(A, header("ES256", "a1"), numeric)).reason());
  }

  @Test
  void verify_subRefusedByReader_invalidClaims() {
    JwtVerification v =
        svid(TD).verify(sign(A, header("ES256", "a1"), svidClaims(null, "https://a.test/w")));
    assertEquals(Reason.INVALID_CLAIMS, v.reason());
  }

  @Test
  void verify_readerThrowsOrReturnsNull_invalidClaims() {
    String token = sign(A, header("ES256", "a1"), svidClaims(null, "spiffe://a.test/w"));
    assertEquals(
        Reason.INVALID_CLAIMS,
        svid(s -> {
              throw new IllegalStateException("boom");
            })
            .verify(token)
            .reason());
    verifier.close();
    assertEquals(Reason.INVALID_CLAIMS, svid(s -> null).verify(token).reason());
  }

  @Test
  void verify_trustDomainWithoutBundle_unknownIssuer() {
    JwtVerification v =
        svid(TD).verify(sign(A, header("ES256", "a1"), svidClaims(null, "spiffe://c.test/w")));
    assertEquals(Reason.UNKNOWN_ISSUER, v.reason());
  }

  @Test
  void verify_issuerSelector_stillSelectsByIss() {
    verifier =
        VerifierFixture.newBuilder()
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .addIssuer(
                TrustedIssuer.newBuilder("a.test")
                    .keys(JwksSource.of(new JWKSet(A)))
                    .audience("api")
                    .build())
            .build();
    // With the issuer selector the sub is irrelevant to key selection and iss is required.
    assertTrue(
        verifier
            .verify(sign(A, header("ES256", "a1"), svidClaims("a.test", "spiffe://zz.test/w")))
            .isVerified());
    assertEquals(
        Reason.INVALID_CLAIMS,
        verifier
            .verify(sign(A, header("ES256", "a1"), svidClaims(null, "spiffe://a.test/w")))
            .reason());
  }

  @Test
  void trustDomainSelector_nullReader_throws() {
    JwtSettings settings = JwtSettings.defaults();
    List<TrustAnchor> none = List.of();
    assertThrows(NullPointerException.class, () -> TrustDomainKeySelector.of(settings, none, null));
  }

  // ---- KeyFilter: JWT-SVID bundle rules ----

  private static Set<String> kept(boolean bundle, JWK... keys) {
    KeyFilter rules =
        bundle ? KeyFilter.forJwtSvidBundle("td", DEFAULT) : KeyFilter.forIssuer("td", DEFAULT);
    return rules.apply(new JWKSet(List.of(keys))).getKeys().stream()
        .map(k -> k.getKeyID() + ":" + k.getAlgorithm())
        .collect(Collectors.toSet());
  }

  private static ECKey withUse(String kid, String use) throws Exception {
    return (ECKey)
        JWK.parse(
            new ECKey.Builder(TestTokens.ecKey(kid).toPublicJWK())
                .keyUse(KeyUse.parse(use))
                .build()
                .toJSONString());
  }

  @Test
  void filter_bundleUseJwtSvid_keptOnlyForBundles() throws Exception {
    ECKey svid = withUse("svid", "jwt-svid");
    assertEquals(Set.of("svid:ES256"), kept(true, svid));
    assertEquals(Set.of(), kept(false, svid), "default mode: use must be absent or sig");
  }

  @Test
  void filter_bundleUseX509SvidOrEncOrUnknown_dropped() throws Exception {
    assertEquals(
        Set.of("sig:ES256", "none:ES256"),
        kept(
            true,
            withUse("x509", "x509-svid"),
            withUse("enc", "enc"),
            withUse("upper", "JWT-SVID"),
            withUse("other", "jwt-svid2"),
            withUse("sig", "sig"),
            TestTokens.ecKey("none")));
  }

  @Test
  void filter_bundleKeyWithoutKid_droppedOnlyForBundles() throws Exception {
    ECKey noKid = new ECKey.Builder(TestTokens.ecKey("x").toPublicJWK()).keyID(null).build();
    assertEquals(Set.of("a1:ES256"), kept(true, A, noKid));
    assertEquals(Set.of("a1:ES256", "null:ES256"), kept(false, A, noKid));
  }

  @Test
  void unusable_defaultOverload_unchanged() throws Exception {
    assertEquals("use is not sig", KeyFilter.unusable(withUse("svid", "jwt-svid")));
    assertNull(KeyFilter.forJwtSvidBundle("td", DEFAULT).whyUnusable(withUse("svid", "jwt-svid")));
  }

  @Test
  void verify_bundleWithoutKidKey_tokenWithoutKidRefused() {
    ECKey noKid = new ECKey.Builder(TestTokens.ecKey("x")).keyID(null).build();
    verifier =
        VerifierFixture.newBuilder()
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .keysBySubjectTrustDomain(TD)
            .addIssuer(
                TrustedIssuer.newBuilder("a.test")
                    .keys(JwksSource.of(new JWKSet(noKid)))
                    .audience("api")
                    .build())
            .build();
    JwtVerification v =
        verifier.verify(sign(noKid, header("ES256", null), svidClaims(null, "spiffe://a.test/w")));
    assertEquals(Reason.UNKNOWN_KEY, v.reason(), "the kid-less bundle key was dropped");
  }
}
