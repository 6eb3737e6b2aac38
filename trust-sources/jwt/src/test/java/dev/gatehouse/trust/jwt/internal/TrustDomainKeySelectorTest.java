package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.TestTokens;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link TrustDomainKeySelector}: the bundle is the one of the trust domain of {@code sub}. */
class TrustDomainKeySelectorTest {
  static final ECKey A = TestTokens.ecKey("a1");
  static final ECKey B = TestTokens.ecKey("b1");
  static final JwtSettings SETTINGS = JwtSettings.defaults();

  /** "spiffe://TD/path" gives TD; anything else is refused. */
  static final Function<String, Optional<String>> TD =
      sub -> {
        if (!sub.startsWith("spiffe://")) {
          return Optional.empty();
        }
        String rest = sub.substring("spiffe://".length());
        int slash = rest.indexOf('/');
        return slash <= 0 ? Optional.empty() : Optional.of(rest.substring(0, slash));
      };

  private TrustDomainKeySelector selector;

  @AfterEach
  void close() {
    if (selector != null) {
      selector.close();
    }
  }

  private TrustDomainKeySelector twoDomains(Function<String, Optional<String>> reader) {
    selector =
        TrustDomainKeySelector.of(
            SETTINGS,
            List.of(
                IssuerKeySelectorTest.anchor("a.test", A),
                IssuerKeySelectorTest.anchor("b.test", B)),
            reader);
    return selector;
  }

  @Test
  void select_bySubTrustDomain_issIgnored() {
    KeySelection s = twoDomains(TD).select(Map.of("iss", "b.test", "sub", "spiffe://a.test/w"));
    assertTrue(s.isFound());
    assertEquals("a.test", s.keys.issuer);
    assertEquals("trust domain ", s.label);
    assertEquals(Reason.UNKNOWN_KEY, s.keys.select("b1", "ES256", 0).reason);
    assertSame(Reason.OK, s.keys.select("a1", "ES256", 0).reason);
  }

  @Test
  void select_subMissingOrNotString_invalidClaims() {
    twoDomains(TD);
    for (Map<String, Object> claims :
        List.<Map<String, Object>>of(Map.of("iss", "a.test"), Map.of("sub", 42L))) {
      KeySelection s = selector.select(claims);
      assertFalse(s.isFound());
      assertEquals(Reason.INVALID_CLAIMS, s.reason);
      assertEquals("sub missing or not a string", s.detail);
    }
  }

  @Test
  void select_readerRefusesThrowsOrReturnsNullOrEmptyName_invalidClaims() {
    List<Function<String, Optional<String>>> readers =
        List.of(
            TD,
            s -> {
              throw new IllegalStateException("boom");
            },
            s -> null,
            s -> Optional.of(""));
    for (Function<String, Optional<String>> reader : readers) {
      KeySelection s = twoDomains(reader).select(Map.of("sub", "https://a.test/w"));
      assertEquals(Reason.INVALID_CLAIMS, s.reason);
      assertEquals("sub is not a valid SPIFFE ID", s.detail);
      selector.close();
    }
  }

  @Test
  void select_trustDomainWithoutBundle_unknownIssuer() {
    KeySelection s = twoDomains(TD).select(Map.of("sub", "spiffe://c.test/w"));
    assertEquals(Reason.UNKNOWN_ISSUER, s.reason);
    assertEquals("trust domain \"c.test\" not configured", s.detail);
  }

  @Test
  void bundle_jwtSvidUseKept_kidlessKeyDropped() throws Exception {
    ECKey svidUse =
        (ECKey)
            JWK.parse(
                new ECKey.Builder(TestTokens.ecKey("s1").toPublicJWK())
                    .keyUse(KeyUse.parse("jwt-svid"))
                    .build()
                    .toJSONString());
    ECKey noKid = new ECKey.Builder(TestTokens.ecKey("x").toPublicJWK()).keyID(null).build();
    selector =
        TrustDomainKeySelector.of(
            SETTINGS, List.of(IssuerKeySelectorTest.anchor("a.test", svidUse, noKid)), TD);
    IssuerKeys keys = selector.named("a.test").keys;
    assertSame(Reason.OK, keys.select("s1", "ES256", 0).reason, "use jwt-svid kept");
    assertSame(
        Reason.OK, keys.select(null, "ES256", 0).reason, "no kid: the one remaining key fits");
    assertSame(keys.select("s1", "ES256", 0).key, keys.select(null, "ES256", 0).key);
  }

  @Test
  void of_nullReaderNoBundleOrDuplicate_throws() {
    List<TrustAnchor> one = List.of(IssuerKeySelectorTest.anchor("a.test", A));
    assertThrows(NullPointerException.class, () -> TrustDomainKeySelector.of(SETTINGS, one, null));
    assertThrows(
        IllegalArgumentException.class, () -> TrustDomainKeySelector.of(SETTINGS, List.of(), TD));
    List<TrustAnchor> twice =
        List.of(
            IssuerKeySelectorTest.anchor("a.test", A), IssuerKeySelectorTest.anchor("a.test", B));
    IllegalArgumentException dup =
        assertThrows(
            IllegalArgumentException.class, () -> TrustDomainKeySelector.of(SETTINGS, twice, TD));
    assertTrue(dup.getMessage().contains("twice"), dup.getMessage());
  }
}
