package dev.gatehouse.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

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
import dev.gatehouse.testing.TestTokens;
import java.util.List;
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
