package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Wycheproof {@code json_web_signature_test.json} and {@code json_web_encryption_test.json}, one
 * JUnit test per {@code tcId}.
 *
 * <p>Groups with an asymmetric public key: a single-key issuer is built from the group's JWK (every
 * supported algorithm allowed, so the key's own {@code alg} or curve pins it) and each case runs
 * through the verifier's signature layer (strict framing, header policy, algorithm pinning, key
 * selection, signature) and through the full JWT path. Invalid cases are refused; valid ones are
 * accepted by the signature layer unless listed in {@link #VALID_BUT_REFUSED} with the reason.
 * Groups without a public key are HMAC groups: Gatehouse never accepts HMAC, so every case is
 * refused, whatever its label. Every JWE is refused as not a JWS.
 */
class JwsVectorSweepTest {
  private static final String EMPTY_PAYLOAD =
      "empty payload: a JWT carries a claims object, so framing refuses an empty payload segment";

  /**
   * Labelled valid, refused by Gatehouse, each for a stated reason (known data defects and
   * deliberate policy). Every other labelled-valid asymmetric case must verify.
   */
  static final Map<Integer, String> VALID_BUT_REFUSED =
      Map.ofEntries(
          Map.entry(259, EMPTY_PAYLOAD),
          Map.entry(264, EMPTY_PAYLOAD),
          Map.entry(268, EMPTY_PAYLOAD),
          Map.entry(272, EMPTY_PAYLOAD),
          Map.entry(320, EMPTY_PAYLOAD),
          Map.entry(325, EMPTY_PAYLOAD),
          Map.entry(
              346,
              "RFC 7520 group: the key says alg PS256 but the JWS uses PS384; the key's alg pins"
                  + " it"),
          Map.entry(
              347,
              "RFC 7520 group: the key says alg \"ES521\" (no such algorithm) on P-521; the key"
                  + " is dropped"),
          Map.entry(350, "RFC 7520 group (key_ops): the key says alg PS256 but the JWS uses PS384"),
          Map.entry(
              351,
              "RFC 7520 group (key_ops): the key says alg \"ES521\" on P-521; the key is"
                  + " dropped"));

  /**
   * HMAC-group cases with a data defect, listed so the reason is on record (all HMAC cases are
   * refused anyway): 357/367/370 are byte-identical but labelled valid/invalid/invalid; 372/373 are
   * labelled valid although a '?' was inserted into header / payload, so the MAC does not match the
   * received signing input.
   */
  static final Map<Integer, String> HMAC_DATA_DEFECTS =
      Map.of(
          357, "byte-identical to 367 and 370, labelled valid",
          367, "byte-identical to 357, labelled invalid",
          370, "byte-identical to 357, labelled invalid",
          372, "labelled valid, but '?' inserted into the header: the MAC does not match",
          373, "labelled valid, but '?' inserted into the payload: the MAC does not match");

  private static final IdentityHashMap<Map<String, Object>, JwtVerifier> verifiers =
      new IdentityHashMap<>();

  /** An issuer whose only key is a fresh EC key: for HMAC groups and JWE, nothing can verify. */
  private static JwtVerifier unrelatedIssuer;

  private static synchronized JwtVerifier verifierFor(WycheproofCases.Case c) throws Exception {
    Map<String, Object> pub = c.groupObject("public");
    if (pub == null) {
      if (unrelatedIssuer == null) {
        unrelatedIssuer = singleKeyIssuer(TestTokens.ecKey("k"));
      }
      return unrelatedIssuer;
    }
    JwtVerifier v = verifiers.get(c.group());
    if (v == null) {
      v = singleKeyIssuer(JWK.parse(pub));
      verifiers.put(c.group(), v);
    }
    return v;
  }

  private static JwtVerifier singleKeyIssuer(JWK key) {
    return VerifierFixture.newBuilder()
        .addIssuer(
            TrustedIssuer.newBuilder("wycheproof")
                .keys(JwksSource.of(new JWKSet(key)))
                .audience("any")
                .algorithms(Algorithms.SUPPORTED)
                .build())
        .build();
  }

  @AfterAll
  static synchronized void close() {
    verifiers.values().forEach(JwtVerifier::close);
    if (unrelatedIssuer != null) {
      unrelatedIssuer.close();
    }
  }

  @TestFactory
  Stream<DynamicTest> verify_wycheproofJwsCase_invalidRefusedValidVerifiedUnlessListed()
      throws Exception {
    List<WycheproofCases.Case> cases = WycheproofCases.read("json_web_signature_test.json");
    assertTrue(cases.size() >= 401, "every case of the file: " + cases.size());
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.displayName(), () -> check(c)));
  }

  private static void check(WycheproofCases.Case c) throws Exception {
    int id = c.tcId();
    String token = c.string("jws");
    JwtVerifier v = verifierFor(c);
    JwtVerification signature =
        assertDoesNotThrow(() -> v.verifySignatureOnly(token, "wycheproof"));
    JwtVerification full = assertDoesNotThrow(() -> v.verify(token));
    assertFalse(full.isVerified(), "not a token of a configured issuer, audience and lifetime");
    if (c.groupObject("public") == null) {
      assertFalse(signature.isVerified(), "HMAC is never accepted");
      return;
    }
    boolean expectVerified = "valid".equals(c.result()) && !VALID_BUT_REFUSED.containsKey(id);
    assertEquals(
        expectVerified,
        signature.isVerified(),
        () -> "tcId " + id + " (" + c.comment() + "): " + signature);
  }

  @TestFactory
  Stream<DynamicTest> verify_wycheproofJweCase_refusedAsNotAJws() throws Exception {
    List<WycheproofCases.Case> cases = WycheproofCases.read("json_web_encryption_test.json");
    assertTrue(cases.size() >= 139, "every case of the file: " + cases.size());
    return cases.stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.displayName(),
                    () -> {
                      String jwe = c.string("jwe");
                      JwtVerifier v = verifierFor(c);
                      JwtVerification full = assertDoesNotThrow(() -> v.verify(jwe));
                      JwtVerification sig =
                          assertDoesNotThrow(() -> v.verifySignatureOnly(jwe, "wycheproof"));
                      assertFalse(full.isVerified());
                      assertFalse(sig.isVerified());
                      assertEquals(Reason.MALFORMED_CREDENTIALS, full.reason(), full::toString);
                      assertEquals(Reason.MALFORMED_CREDENTIALS, sig.reason(), sig::toString);
                    }));
  }

  @TestFactory
  Stream<DynamicTest> knownDefects_listedCasesExistWithTheLabelTheyAreListedFor() throws Exception {
    List<WycheproofCases.Case> cases = WycheproofCases.read("json_web_signature_test.json");
    Set<Integer> validLabelled =
        Set.of(259, 264, 268, 272, 320, 325, 346, 347, 350, 351, 357, 372, 373);
    return Stream.concat(VALID_BUT_REFUSED.keySet().stream(), HMAC_DATA_DEFECTS.keySet().stream())
        .sorted()
        .map(
            id ->
                DynamicTest.dynamicTest(
                    "tcId " + id,
                    () -> {
                      WycheproofCases.Case c =
                          cases.stream().filter(x -> x.tcId() == id).findFirst().orElseThrow();
                      assertEquals(validLabelled.contains(id) ? "valid" : "invalid", c.result());
                    }));
  }
}
