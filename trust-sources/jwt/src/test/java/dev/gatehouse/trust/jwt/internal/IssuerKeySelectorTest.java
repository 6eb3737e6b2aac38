package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link IssuerKeySelector}: the key set is the one the unverified {@code iss} names. */
class IssuerKeySelectorTest {
  static final ECKey A = TestTokens.ecKey("a1");
  static final ECKey B = TestTokens.ecKey("b1");
  static final JwtSettings SETTINGS = JwtSettings.defaults();

  private IssuerKeySelector selector;

  @AfterEach
  void close() {
    if (selector != null) {
      selector.close();
    }
  }

  static TrustAnchor anchor(String name, JWK... keys) {
    return TrustAnchor.of(
        name, JwksSource.of(new JWKSet(List.of(keys))), Algorithms.DEFAULT, Set.of("api"));
  }

  private IssuerKeySelector twoIssuers() {
    selector =
        IssuerKeySelector.of(
            SETTINGS, List.of(anchor("https://a.test", A), anchor("https://b.test", B)));
    return selector;
  }

  @Test
  void select_byIss_thatIssuersKeysOnly() {
    KeySelection s = twoIssuers().select(Map.of("iss", "https://b.test", "sub", "https://a.test"));
    assertTrue(s.isFound());
    assertEquals("https://b.test", s.keys.issuer);
    assertEquals("issuer ", s.label);
    assertEquals(Reason.OK, s.reason);
    assertEquals(Set.of("api"), s.keys.anchor.audiences());
    IssuerKeys.Lookup own = s.keys.select("b1", "ES256", 0);
    assertSame(Reason.OK, own.reason);
    IssuerKeys.Lookup other = s.keys.select("a1", "ES256", 0);
    assertEquals(Reason.UNKNOWN_KEY, other.reason, "issuer A's key never serves issuer B");
  }

  @Test
  void select_issMissingOrNotString_invalidClaims() {
    twoIssuers();
    for (Map<String, Object> claims :
        List.<Map<String, Object>>of(
            Map.of(), Map.of("iss", 5L), Map.of("iss", List.of("https://a.test")))) {
      KeySelection s = selector.select(claims);
      assertFalse(s.isFound());
      assertEquals(Reason.INVALID_CLAIMS, s.reason);
      assertEquals("iss missing or not a string", s.detail);
    }
  }

  @Test
  void select_unknownIssuer_unknownIssuerQuoted() {
    KeySelection s = twoIssuers().select(Map.of("iss", "https://c.test\r\n"));
    assertFalse(s.isFound());
    assertEquals(Reason.UNKNOWN_ISSUER, s.reason);
    assertEquals("issuer \"https://c.test??\" not configured", s.detail);
  }

  @Test
  void select_subIsIgnored() {
    KeySelection s =
        twoIssuers().select(Map.of("iss", "https://a.test", "sub", "spiffe://b.test/x"));
    assertEquals("https://a.test", s.keys.issuer);
  }

  @Test
  void issuerJwks_jwtSvidUseAndKidlessKeys_issuerRules() throws Exception {
    ECKey svidUse =
        (ECKey)
            JWK.parse(
                new ECKey.Builder(TestTokens.ecKey("s1").toPublicJWK())
                    .keyUse(KeyUse.parse("jwt-svid"))
                    .build()
                    .toJSONString());
    ECKey noKid = new ECKey.Builder(TestTokens.ecKey("x").toPublicJWK()).keyID(null).build();
    selector = IssuerKeySelector.of(SETTINGS, List.of(anchor("https://a.test", svidUse, noKid)));
    IssuerKeys keys = selector.named("https://a.test").keys;
    assertEquals(Reason.UNKNOWN_KEY, keys.select("s1", "ES256", 0).reason, "use jwt-svid dropped");
    assertSame(Reason.OK, keys.select(null, "ES256", 0).reason, "a kid-less key is kept");
  }

  @Test
  void namesAndSettings_asConfigured() {
    twoIssuers();
    assertEquals(List.of("https://a.test", "https://b.test"), List.copyOf(selector.names()));
    assertSame(SETTINGS, selector.settings());
  }

  @Test
  void of_noIssuerOrDuplicate_throws() {
    IllegalArgumentException none =
        assertThrows(
            IllegalArgumentException.class, () -> IssuerKeySelector.of(SETTINGS, List.of()));
    assertTrue(none.getMessage().contains("no trusted issuer"), none.getMessage());
    List<TrustAnchor> twice = List.of(anchor("https://a.test", A), anchor("https://a.test", B));
    IllegalArgumentException dup =
        assertThrows(IllegalArgumentException.class, () -> IssuerKeySelector.of(SETTINGS, twice));
    assertTrue(dup.getMessage().contains("configured twice"), dup.getMessage());
  }
}
