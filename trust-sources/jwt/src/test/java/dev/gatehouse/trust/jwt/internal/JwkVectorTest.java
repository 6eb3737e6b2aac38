package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.text.ParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Wycheproof {@code json_web_key_test.json}, one JUnit test per {@code tcId}: the group's key set
 * (its public form when the group has one) goes through Gatehouse's JWKS acceptance rules ({@link
 * KeyFilter}) and becomes a single issuer's key set; the case's JWS is then verified against it.
 * Invalid cases are refused; valid ones verify unless listed in {@link #VALID_BUT_REFUSED}. Keys
 * the rules must drop (encryption use, ROCA, short RSA, alg not matching the key, symmetric) are
 * checked to be dropped, not only to fail the signature.
 */
class JwkVectorTest {
  private static final String HMAC =
      "HMAC key set: Gatehouse accepts asymmetric keys only, oct keys are dropped";

  /** Labelled valid, refused by Gatehouse, with the reason. */
  static final Map<Integer, String> VALID_BUT_REFUSED =
      Map.of(2, HMAC, 13, HMAC, 14, HMAC, 15, HMAC);

  /** Cases whose key set must come out of the acceptance rules with no usable key. */
  static final Set<Integer> NO_KEY_KEPT =
      Set.of(2, 3, 4, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26);

  @TestFactory
  Stream<DynamicTest> verify_wycheproofJwkCase_keyRulesAndSignatureDecide() throws Exception {
    List<WycheproofCases.Case> cases = WycheproofCases.read("json_web_key_test.json");
    assertEquals(26, cases.size());
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.displayName(), () -> check(c)));
  }

  private static void check(WycheproofCases.Case c) throws Exception {
    int id = c.tcId();
    Map<String, Object> keys = c.groupObject("public");
    if (keys == null) {
      keys = c.groupObject("private");
    }
    JWKSet set;
    try {
      set =
          keys.containsKey("keys")
              ? JWKSet.parse(keys)
              : new JWKSet(JWKSet.parse(Map.of("keys", List.of(keys))).getKeys());
    } catch (ParseException e) {
      set = null;
    }
    boolean expectVerified = "valid".equals(c.result()) && !VALID_BUT_REFUSED.containsKey(id);
    if (set == null) {
      assertFalse(expectVerified, "tcId " + id + ": a labelled-valid key set does not parse");
      return;
    }
    JWKSet kept = KeyFilter.filter("wycheproof", Algorithms.SUPPORTED, set);
    assertEquals(
        NO_KEY_KEPT.contains(id), kept.getKeys().isEmpty(), () -> "tcId " + id + " kept " + kept);
    JWKSet issuerKeys = set;
    try (JwtVerifier v =
        VerifierFixture.newBuilder()
            .addIssuer(
                TrustedIssuer.newBuilder("wycheproof")
                    .keys(JwksSource.of(issuerKeys))
                    .audience("any")
                    .algorithms(Algorithms.SUPPORTED)
                    .build())
            .build()) {
      String token = c.string("jws");
      JwtVerification result = assertDoesNotThrow(() -> v.verifySignatureOnly(token, "wycheproof"));
      assertEquals(expectVerified, result.isVerified(), () -> "tcId " + id + ": " + result);
      assertFalse(assertDoesNotThrow(() -> v.verify(token)).isVerified());
    }
  }

  @TestFactory
  Stream<DynamicTest> validButRefused_listedCasesAreLabelledValid() throws Exception {
    List<WycheproofCases.Case> cases = WycheproofCases.read("json_web_key_test.json");
    return VALID_BUT_REFUSED.keySet().stream()
        .sorted()
        .map(
            id ->
                DynamicTest.dynamicTest(
                    "tcId " + id,
                    () ->
                        assertTrue(
                            cases.stream()
                                .anyMatch(x -> x.tcId() == id && "valid".equals(x.result())))));
  }
}
