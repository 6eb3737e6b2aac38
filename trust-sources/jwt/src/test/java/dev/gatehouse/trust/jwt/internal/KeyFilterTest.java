package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.OctetSequenceKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.gatehouse.testing.TestTokens;
import java.math.BigInteger;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class KeyFilterTest {
  static final List<String> DEFAULT = List.of("ES256", "RS256", "PS256");

  private static Set<String> kept(List<String> algs, JWK... keys) {
    return KeyFilter.filter("iss", algs, new JWKSet(List.of(keys))).getKeys().stream()
        .map(k -> k.getKeyID() + ":" + k.getAlgorithm())
        .collect(Collectors.toSet());
  }

  @Test
  void filter_unusableKeys_dropped() throws Exception {
    ECKey good = TestTokens.ecKey("good");
    OctetSequenceKey oct = new OctetSequenceKeyGenerator(256).keyID("oct").generate();
    ECKey enc = new ECKey.Builder(TestTokens.ecKey("enc")).keyUse(KeyUse.ENCRYPTION).build();
    ECKey encryptOps =
        new ECKey.Builder(TestTokens.ecKey("ops"))
            .keyOperations(Set.of(KeyOperation.ENCRYPT))
            .build();
    RSAKey small = new RSAKeyGenerator(1024, true).keyID("small").generate();
    ECKey k256 =
        ECKey.parse(
            "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"kid\":\"k1\","
                + "\"x\":\"eb5mfvncu6xVoGKVzocLBwKb_NstzijZWfKBWxb4F5g\","
                + "\"y\":\"SDradyajxGVdpPv8DhEIqP0XtEimhVQZnEfQj_sQ1Lg\"}");
    JWK okp =
        JWK.parse(
            "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"kid\":\"ed\","
                + "\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}");
    assertEquals(Set.of("good:ES256"), kept(DEFAULT, good, oct, enc, encryptOps, small, k256, okp));
  }

  @SuppressWarnings("unchecked")
  private static RSAKey wycheproofRocaKey() throws Exception {
    Map<String, Object> doc =
        JSONObjectUtils.parse(
            Files.readString(
                KnownAnswerTest.vectors().resolve("wycheproof/json_web_key_test.json")));
    for (Object g : (List<Object>) doc.get("testGroups")) {
      for (Object t : (List<Object>) ((Map<String, Object>) g).get("tests")) {
        if (((Number) ((Map<String, Object>) t).get("tcId")).intValue() == 7) {
          Map<String, Object> keys = (Map<String, Object>) ((Map<String, Object>) g).get("public");
          return (RSAKey) JWKSet.parse(keys).getKeys().get(0);
        }
      }
    }
    throw new AssertionError("Wycheproof JWK tcId 7 not found");
  }

  @Test
  void filter_rocaFingerprintedRsaKey_dropped() throws Exception {
    RSAKey roca = wycheproofRocaKey();
    assertTrue(roca.size() >= KeyFilter.MIN_RSA_BITS, "dropped for size, not for ROCA");
    assertTrue(KeyFilter.hasRocaFingerprint(roca.getModulus().decodeToBigInteger()));
    assertEquals(
        "RSA key has the ROCA fingerprint (CVE-2017-15361, weak key generation)",
        KeyFilter.unusable(roca));
    assertEquals(Set.of("good:ES256"), kept(DEFAULT, TestTokens.ecKey("good"), roca));
  }

  @Test
  void filter_ordinaryGenerated2048BitRsaKey_kept() throws Exception {
    RSAKey rsa = new RSAKeyGenerator(2048).keyID("rsa").generate();
    assertFalse(KeyFilter.hasRocaFingerprint(rsa.getModulus().decodeToBigInteger()));
    assertNull(KeyFilter.unusable(rsa.toPublicJWK()));
    assertEquals(Set.of("rsa:RS256"), kept(DEFAULT, rsa));
  }

  @Test
  void hasRocaFingerprint_residueOutsideSubgroupForOnePrime_false() {
    // 65537^5 mod M for M the product of all test primes is in every subgroup; changing the residue
    // mod 11 only (CRT) to 2, which is not a power of 65537 = 10 (mod 11), removes the fingerprint.
    int[] primes = {
      3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
      101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167
    };
    BigInteger m = BigInteger.ONE;
    for (int p : primes) {
      m = m.multiply(BigInteger.valueOf(p));
    }
    BigInteger fingerprinted = BigInteger.valueOf(65537).modPow(BigInteger.valueOf(5), m);
    assertTrue(KeyFilter.hasRocaFingerprint(fingerprinted));
    assertTrue(KeyFilter.hasRocaFingerprint(fingerprinted.add(m.shiftLeft(2000))));
    BigInteger eleven = BigInteger.valueOf(11);
    BigInteger rest = m.divide(eleven);
    // x = fingerprinted (mod rest), x = 2 (mod 11)
    BigInteger x =
        fingerprinted
            .add(
                rest.multiply(
                    BigInteger.TWO
                        .subtract(fingerprinted)
                        .multiply(rest.modInverse(eleven))
                        .mod(eleven)))
            .mod(m);
    assertEquals(2, x.mod(eleven).intValue());
    assertFalse(KeyFilter.hasRocaFingerprint(x));
  }

  @Test
  void filter_duplicateKid_allCopiesDropped() {
    assertEquals(
        Set.of("other:ES256"),
        kept(DEFAULT, TestTokens.ecKey("dup"), TestTokens.ecKey("dup"), TestTokens.ecKey("other")));
  }

  @Test
  void filter_algNotAllowedOrNotMatchingKey_dropped() {
    RSAKey rs512 =
        new RSAKey.Builder(TestTokens.rsaKey("rs512")).algorithm(JWSAlgorithm.RS512).build();
    ECKey wrongCurveAlg =
        new ECKey.Builder(TestTokens.ecKey("ec384")).algorithm(JWSAlgorithm.ES384).build();
    RSAKey esOnRsa =
        new RSAKey.Builder(TestTokens.rsaKey("rsa-es")).algorithm(JWSAlgorithm.ES256).build();
    RSAKey hsOnRsa =
        new RSAKey.Builder(TestTokens.rsaKey("rsa-hs")).algorithm(JWSAlgorithm.HS256).build();
    assertEquals(Set.of(), kept(DEFAULT, rs512, wrongCurveAlg, esOnRsa, hsOnRsa));
  }

  @Test
  void filter_keysWithoutAlg_pinned() {
    RSAKey rsa = TestTokens.rsaKey("rsa");
    ECKey ec = TestTokens.ecKey("ec");
    assertEquals(Set.of("rsa:RS256", "ec:ES256"), kept(DEFAULT, rsa, ec));
    assertEquals(
        Set.of("rsa:PS256", "ec:ES256"), kept(List.of("PS256", "ES256", "RS256"), rsa, ec));
    assertEquals(Set.of("rsa:PS384"), kept(List.of("PS384"), rsa, ec));
  }

  @Test
  void filter_privateParts_discarded() {
    JWKSet out = KeyFilter.filter("iss", DEFAULT, new JWKSet(TestTokens.ecKey("ec")));
    assertEquals(false, out.getKeys().get(0).isPrivate());
  }

  @Test
  void pin_rsaWithoutRsaAlgorithmAllowed_null() {
    assertNull(KeyFilter.pin(TestTokens.rsaKey("r"), List.of("ES256")));
  }
}
