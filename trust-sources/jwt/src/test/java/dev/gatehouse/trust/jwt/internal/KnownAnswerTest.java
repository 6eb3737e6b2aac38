package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * RFC 7515 appendix A and RFC 7520 (JOSE cookbook) tokens: their signatures verify with the key
 * pinned to the header's algorithm, and the JWT policy still refuses them.
 */
class KnownAnswerTest {
  static Path vectors() {
    return Path.of(System.getProperty("gatehouse.vectors", "../testdata"));
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> rfc7515Case(String id) throws Exception {
    Map<String, Object> doc =
        JSONObjectUtils.parse(
            Files.readString(vectors().resolve("rfc7515/rfc7515_appendix_a.json")));
    for (Object c : (List<Object>) doc.get("cases")) {
      Map<String, Object> m = (Map<String, Object>) c;
      if (id.equals(m.get("id"))) {
        return m;
      }
    }
    throw new AssertionError("no case " + id);
  }

  private static JwtVerifier single(String issuer, JWK key, List<String> algs) {
    return VerifierFixture.newBuilder()
        .addIssuer(
            TrustedIssuer.newBuilder(issuer)
                .keys(JwksSource.of(new JWKSet(key)))
                .audience("any")
                .algorithms(algs)
                .build())
        .build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"RFC7515-A.2", "RFC7515-A.3"})
  @SuppressWarnings("unchecked")
  void verify_rfc7515Token_signatureVerifiesButExpired(String id) throws Exception {
    Map<String, Object> c = rfc7515Case(id);
    JWK key = JWK.parse((Map<String, Object>) c.get("jwk"));
    String compact = (String) c.get("compact");
    try (JwtVerifier v = single("joe", key, List.of("ES256", "RS256", "PS256"))) {
      assertTrue(v.verifySignatureOnly(compact, "joe").isVerified(), "signature must verify");
      JwtVerification result = v.verify(compact);
      assertFalse(result.isVerified());
      assertEquals(Reason.EXPIRED, result.reason(), result.detail());
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void verify_rfc7515A4Es512_signatureVerifiesButPayloadIsNotClaims() throws Exception {
    Map<String, Object> c = rfc7515Case("RFC7515-A.4");
    JWK key = JWK.parse((Map<String, Object>) c.get("jwk"));
    try (JwtVerifier v = single("joe", key, List.of("ES512"))) {
      assertTrue(v.verifySignatureOnly((String) c.get("compact"), "joe").isVerified());
      assertEquals(Reason.MALFORMED_CREDENTIALS, v.verify((String) c.get("compact")).reason());
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void verify_rfc7515A1HmacAndA5None_refused() throws Exception {
    JWK es = JWK.parse((Map<String, Object>) rfc7515Case("RFC7515-A.3").get("jwk"));
    try (JwtVerifier v = single("joe", es, List.of("ES256"))) {
      assertEquals(
          Reason.ALGORITHM_NOT_ALLOWED,
          v.verify((String) rfc7515Case("RFC7515-A.1").get("compact")).reason());
      assertFalse(v.verify((String) rfc7515Case("RFC7515-A.5").get("compact")).isVerified());
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "4_1.rsa_v15_signature.json",
        "4_2.rsa-pss_signature.json",
        "4_3.ecdsa_signature.json"
      })
  @SuppressWarnings("unchecked")
  void verify_rfc7520Cookbook_signatureVerifiesButPolicyRefuses(String file) throws Exception {
    Map<String, Object> doc =
        JSONObjectUtils.parse(Files.readString(vectors().resolve("jose-cookbook/jws/" + file)));
    Map<String, Object> input = (Map<String, Object>) doc.get("input");
    String alg = (String) input.get("alg");
    JWK full = JWK.parse((Map<String, Object>) input.get("key"));
    String compact = (String) ((Map<String, Object>) doc.get("output")).get("compact");
    // Nimbus alone, with the verifier pinned to the header's algorithm: the signature is genuine.
    JWSObject jws = JWSObject.parse(compact);
    assertEquals(alg, jws.getHeader().getAlgorithm().getName());
    assertTrue(
        jws.verify(
            full instanceof RSAKey rSAKey
                ? new RSASSAVerifier(rSAKey)
                : new ECDSAVerifier((ECKey) full)));
    // Gatehouse: the key's alg is pinned from the header family; the signature layer accepts it.
    JWK pinnedKey = full.toPublicJWK();
    try (JwtVerifier v = single("bilbo", pinnedKey, List.of(alg))) {
      assertTrue(v.verifySignatureOnly(compact, "bilbo").isVerified());
      // ...but the payload is prose, not a claims set: the JWT policy refuses it.
      JwtVerification result = v.verify(compact);
      assertFalse(result.isVerified());
      assertEquals(Reason.MALFORMED_CREDENTIALS, result.reason(), result.detail());
    }
  }
}
