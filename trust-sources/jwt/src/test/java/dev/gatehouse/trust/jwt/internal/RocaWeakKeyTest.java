package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Key sets drop RSA keys with the ROCA fingerprint (CVE-2017-15361): Wycheproof json_web_key_test
 * tcId 7 ("rejectsKeyWithRocaVulnerability") never verifies.
 */
class RocaWeakKeyTest {
  @SuppressWarnings("unchecked")
  @Test
  void verifySignatureOnly_rocaWeakRsaKey_refused() throws Exception {
    Map<String, Object> doc =
        JSONObjectUtils.parse(
            Files.readString(
                KnownAnswerTest.vectors().resolve("wycheproof/json_web_key_test.json")));
    Map<String, Object> group = null;
    Map<String, Object> test = null;
    for (Object g : (List<Object>) doc.get("testGroups")) {
      for (Object t : (List<Object>) ((Map<String, Object>) g).get("tests")) {
        if (((Number) ((Map<String, Object>) t).get("tcId")).intValue() == 7) {
          group = (Map<String, Object>) g;
          test = (Map<String, Object>) t;
        }
      }
    }
    assertEquals("rejectsKeyWithRocaVulnerability", test.get("comment"));
    assertEquals("invalid", test.get("result"));
    JWKSet keys = JWKSet.parse((Map<String, Object>) group.get("public"));
    JWK key = keys.getKeys().get(0);
    try (JwtVerifier v =
        VerifierFixture.newBuilder()
            .addIssuer(
                TrustedIssuer.newBuilder("wycheproof")
                    .keys(JwksSource.of(new JWKSet(key)))
                    .audience("any")
                    .algorithms(List.of("RS256"))
                    .build())
            .build()) {
      JwtVerification result = v.verifySignatureOnly((String) test.get("jws"), "wycheproof");
      assertFalse(result.isVerified(), "ROCA-weak key verified a token: " + result);
    }
  }
}
