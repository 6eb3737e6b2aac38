package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64URL;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Wycheproof signature primitive files, one JUnit test per {@code tcId}: each group's public key
 * goes through Gatehouse's key acceptance rules ({@link KeyFilter}, which pins its algorithm) and
 * each case's signature over its message is checked with the verifier Gatehouse uses for that key
 * ({@link JwtVerifier#newVerifier}). Valid signatures verify, invalid ones never do.
 *
 * <p>Ed25519: Gatehouse supports no EdDSA, so the key is dropped and no case can verify. {@code
 * acceptable} RSA cases may go either way. Labelled-valid ECDSA cases that the JDK itself refuses
 * are listed in {@link #JDK_REFUSES_VALID_ECDSA}. Groups without a JWK (the edge-case groups) are
 * read from their DER public key.
 */
class SignaturePrimitiveVectorTest {
  private static final String LARGE_X =
      "k*G has an x-coordinate above the group order (r = x mod n): the JDK's ECDSA refuses it";

  private static final String SMALLEST_REDUCTION =
      "x = n + r, the smallest x that needs the reduction mod n: the JDK's ECDSA refuses it";

  /**
   * Labelled-valid ECDSA cases the JDK's own ECDSA ({@code SHAxxxwithECDSAinP1363Format}, SunEC)
   * refuses, by file and tcId, with the reason; {@link #jdkRefuses_listedValidEcdsaCases} checks
   * that the JDK alone refuses each of them, so the refusal is not Gatehouse's or Nimbus's.
   */
  static final Map<String, Map<Integer, String>> JDK_REFUSES_VALID_ECDSA =
      Map.of(
          "ecdsa_secp256r1_sha256_p1363_test.json", Map.of(115, LARGE_X, 257, SMALLEST_REDUCTION),
          "ecdsa_secp384r1_sha384_p1363_test.json", Map.of(147, LARGE_X, 275, SMALLEST_REDUCTION),
          "ecdsa_secp521r1_sha512_p1363_test.json", Map.of(184, LARGE_X, 313, SMALLEST_REDUCTION));

  private static final Map<String, String> JDK_ALGORITHM =
      Map.of(
          "ecdsa_secp256r1_sha256_p1363_test.json", "SHA256withECDSAinP1363Format",
          "ecdsa_secp384r1_sha384_p1363_test.json", "SHA384withECDSAinP1363Format",
          "ecdsa_secp521r1_sha512_p1363_test.json", "SHA512withECDSAinP1363Format");

  /** The kept, pinned key of each group (null when dropped), computed once per group. */
  private static final IdentityHashMap<Map<String, Object>, Optional<JWK>> keptKeys =
      new IdentityHashMap<>();

  private static final HexFormat HEX = HexFormat.of();

  @TestFactory
  Stream<DynamicTest> ecdsaP256() throws Exception {
    return cases("ecdsa_secp256r1_sha256_p1363_test.json", "publicKeyJwk", "ES256");
  }

  @TestFactory
  Stream<DynamicTest> ecdsaP384() throws Exception {
    return cases("ecdsa_secp384r1_sha384_p1363_test.json", "publicKeyJwk", "ES384");
  }

  @TestFactory
  Stream<DynamicTest> ecdsaP521() throws Exception {
    return cases("ecdsa_secp521r1_sha512_p1363_test.json", "publicKeyJwk", "ES512");
  }

  @TestFactory
  Stream<DynamicTest> rsaPkcs1Sha256() throws Exception {
    return cases("rsa_signature_2048_sha256_test.json", "keyJwk", "RS256");
  }

  @TestFactory
  Stream<DynamicTest> rsaPssSha256() throws Exception {
    return cases("rsa_pss_2048_sha256_mgf1_32_test.json", "publicKeyJwk", "PS256");
  }

  @TestFactory
  Stream<DynamicTest> ed25519_keyDroppedSoNothingVerifies() throws Exception {
    return cases("ed25519_test.json", "publicKeyJwk", null);
  }

  /**
   * The cases of one file; {@code alg} is the algorithm the kept key must be pinned to, or null
   * when the acceptance rules must drop the key.
   */
  private static Stream<DynamicTest> cases(String file, String keyMember, String alg)
      throws Exception {
    List<WycheproofCases.Case> cases = WycheproofCases.read("primitives/" + file);
    assertTrue(cases.size() > 100, file + ": " + cases.size());
    Map<Integer, String> jdkRefuses = JDK_REFUSES_VALID_ECDSA.getOrDefault(file, Map.of());
    return cases.stream()
        .map(
            c ->
                DynamicTest.dynamicTest(
                    c.displayName(), () -> check(c, keyMember, alg, jdkRefuses)));
  }

  private static synchronized Optional<JWK> keptKey(WycheproofCases.Case c, String keyMember)
      throws Exception {
    Optional<JWK> kept = keptKeys.get(c.group());
    if (kept == null) {
      Map<String, Object> jwk = c.groupObject(keyMember);
      JWK key = jwk != null ? JWK.parse(jwk) : fromDer((String) c.group().get("publicKeyDer"));
      List<JWK> keys =
          KeyFilter.filter("wycheproof", Algorithms.SUPPORTED, new JWKSet(key)).getKeys();
      assertTrue(keys.size() <= 1);
      kept = keys.stream().findFirst();
      keptKeys.put(c.group(), kept);
    }
    return kept;
  }

  /** An EC public key from its X.509 SubjectPublicKeyInfo (groups that carry no JWK). */
  private static JWK fromDer(String hex) throws Exception {
    ECPublicKey pub =
        (ECPublicKey)
            KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(HEX.parseHex(hex)));
    return new ECKey.Builder(Curve.forECParameterSpec(pub.getParams()), pub).build();
  }

  @TestFactory
  Stream<DynamicTest> jdkRefuses_listedValidEcdsaCases() throws Exception {
    Stream.Builder<DynamicTest> out = Stream.builder();
    for (Map.Entry<String, Map<Integer, String>> file : JDK_REFUSES_VALID_ECDSA.entrySet()) {
      for (WycheproofCases.Case c : WycheproofCases.read("primitives/" + file.getKey())) {
        if (file.getValue().containsKey(c.tcId())) {
          out.add(
              DynamicTest.dynamicTest(
                  file.getKey() + " " + c.displayName(),
                  () -> {
                    assertEquals("valid", c.result());
                    JWK jwk = keptKey(c, "publicKeyJwk").orElseThrow();
                    Signature jdk = Signature.getInstance(JDK_ALGORITHM.get(file.getKey()));
                    jdk.initVerify(jwk.toECKey().toECPublicKey());
                    jdk.update(HEX.parseHex(c.string("msg")));
                    assertFalse(jdk.verify(HEX.parseHex(c.string("sig"))));
                  }));
        }
      }
    }
    return out.build();
  }

  private static void check(
      WycheproofCases.Case c, String keyMember, String alg, Map<Integer, String> jdkRefuses)
      throws Exception {
    Optional<JWK> kept = keptKey(c, keyMember);
    if (alg == null) {
      assertTrue(kept.isEmpty(), "key must be dropped: " + kept);
      return;
    }
    assertTrue(kept.isPresent(), "key kept");
    JWK pinned = kept.get();
    assertEquals(alg, pinned.getAlgorithm().getName());
    boolean verified;
    try {
      verified =
          JwtVerifier.newVerifier(pinned)
              .verify(
                  new JWSHeader(JWSAlgorithm.parse(alg)),
                  HEX.parseHex(c.string("msg")),
                  Base64URL.encode(HEX.parseHex(c.string("sig"))));
    } catch (JOSEException e) {
      verified = false;
    }
    switch (c.result()) {
      case "valid" ->
          assertEquals(
              !jdkRefuses.containsKey(c.tcId()), verified, "tcId " + c.tcId() + " " + c.comment());
      case "invalid" -> assertEquals(false, verified, "tcId " + c.tcId() + " " + c.comment());
      default -> {
        // "acceptable": legacy encodings a verifier may accept; either outcome is allowed.
      }
    }
  }
}
