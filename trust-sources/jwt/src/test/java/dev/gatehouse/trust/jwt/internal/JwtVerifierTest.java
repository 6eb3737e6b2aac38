package dev.gatehouse.trust.jwt.internal;

import static dev.gatehouse.testing.TestTokens.claims;
import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class JwtVerifierTest {
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  static final ECKey A = TestTokens.ecKey("a1");
  static final ECKey B = TestTokens.ecKey("b1");
  static final RSAKey R = TestTokens.rsaKey("r1");

  private JwtVerifier verifier;

  @AfterEach
  void close() {
    if (verifier != null) {
      verifier.close();
    }
  }

  private JwtVerifier verifier(List<String> algs, JWKSet a, JWKSet b) {
    verifier =
        VerifierFixture.newBuilder()
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .addIssuer(
                TrustedIssuer.newBuilder("https://a.test")
                    .keys(JwksSource.of(a))
                    .audience("api")
                    .algorithms(algs)
                    .build())
            .addIssuer(
                TrustedIssuer.newBuilder("https://b.test")
                    .keys(JwksSource.of(b))
                    .audience("api")
                    .build())
            .build();
    return verifier;
  }

  private JwtVerifier defaults() {
    return verifier(List.of("ES256", "RS256", "PS256"), new JWKSet(List.of(A, R)), new JWKSet(B));
  }

  @Test
  void verify_validEs256_verified() {
    JwtVerification v =
        defaults()
            .verify(sign(A, header("ES256", "a1"), claims("https://a.test", "u1", "api", NOW, 60)));
    assertTrue(v.isVerified(), v.toString());
    assertEquals("u1", v.token().subject().orElseThrow());
    assertEquals("https://a.test", v.token().issuer());
  }

  @Test
  void verify_claimsIssuerBSignedWithAsKeyAndKid_unknownKey() {
    JwtVerification v =
        defaults()
            .verify(sign(A, header("ES256", "a1"), claims("https://b.test", "u1", "api", NOW, 60)));
    assertFalse(v.isVerified());
    assertEquals(Reason.UNKNOWN_KEY, v.reason());
  }

  @Test
  void verify_unknownIssuer_unknownIssuer() {
    JwtVerification v =
        defaults()
            .verify(sign(A, header("ES256", "a1"), claims("https://c.test", "u1", "api", NOW, 60)));
    assertEquals(Reason.UNKNOWN_ISSUER, v.reason());
  }

  @Test
  void verify_expired_expired() {
    JwtVerification v =
        defaults()
            .verify(
                sign(
                    A,
                    header("ES256", "a1"),
                    claims("https://a.test", "u1", "api", NOW.minusSeconds(600), 60)));
    assertEquals(Reason.EXPIRED, v.reason());
  }

  @Test
  void verify_rsaKeyWithoutAlg_pinnedToFirstRsaAlgorithm() throws Exception {
    RSAKey noAlg = new RSAKey.Builder(R.toRSAPublicKey()).keyID("r1").build();
    defaults();
    verifier.close();
    verifier(List.of("ES256", "PS256", "RS256"), new JWKSet(noAlg), new JWKSet(B));
    Map<String, Object> c = claims("https://a.test", "u1", "api", NOW, 60);
    assertTrue(verifier.verify(sign(R, header("PS256", "r1"), c)).isVerified());
    assertEquals(
        Reason.ALGORITHM_NOT_ALLOWED, verifier.verify(sign(R, header("RS256", "r1"), c)).reason());
  }

  @Test
  void verify_numericDateOutsideRange_invalidClaimsWithoutException() {
    defaults();
    for (String name : List.of("exp", "iat", "nbf")) {
      for (long value :
          List.of(
              100_000_000_000_000_000L,
              ClaimsPolicy.MAX_NUMERIC_DATE + 1,
              Long.MAX_VALUE,
              -1L,
              Long.MIN_VALUE)) {
        Map<String, Object> c = claims("https://a.test", "u1", "api", NOW, 60);
        c.put(name, value);
        String token = sign(A, header("ES256", "a1"), c);
        JwtVerification v = assertDoesNotThrow(() -> verifier.verify(token), name + "=" + value);
        assertFalse(v.isVerified(), name + "=" + value);
        assertEquals(Reason.INVALID_CLAIMS, v.reason(), name + "=" + value);
      }
    }
  }

  @Test
  void verify_expAtUpperBound_verified() {
    Map<String, Object> c = claims("https://a.test", "u1", "api", NOW, 60);
    c.put("exp", ClaimsPolicy.MAX_NUMERIC_DATE);
    JwtVerification v = defaults().verify(sign(A, header("ES256", "a1"), c));
    assertTrue(v.isVerified(), v.toString());
    assertEquals(Instant.ofEpochSecond(ClaimsPolicy.MAX_NUMERIC_DATE), v.token().expiry());
  }

  @Test
  void verify_maxLifetimeWithIatZeroAndExpAtBound_lifetimeTooLong() {
    verifier =
        VerifierFixture.newBuilder()
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .maxLifetime(Duration.ofHours(1))
            .addIssuer(
                TrustedIssuer.newBuilder("https://a.test")
                    .keys(JwksSource.of(new JWKSet(A)))
                    .audience("api")
                    .build())
            .build();
    Map<String, Object> c = claims("https://a.test", "u1", "api", NOW, 60);
    c.put("iat", 0L);
    c.put("exp", ClaimsPolicy.MAX_NUMERIC_DATE);
    JwtVerification v = verifier.verify(sign(A, header("ES256", "a1"), c));
    assertEquals(Reason.LIFETIME_TOO_LONG, v.reason());
  }

  @Test
  void verify_paddedSegment_malformed() {
    String t = sign(A, header("ES256", "a1"), claims("https://a.test", "u1", "api", NOW, 60));
    String[] p = t.split("\\.", -1);
    JwtVerification v = defaults().verify(p[0] + "=." + p[1] + "." + p[2]);
    assertEquals(Reason.MALFORMED_CREDENTIALS, v.reason());
  }

  @Test
  void build_noIssuer_throws() {
    assertThrows(IllegalArgumentException.class, () -> VerifierFixture.newBuilder().build());
  }

  @Test
  void jwksUri_plainHttpNonLoopback_throws() {
    assertThrows(IllegalArgumentException.class, () -> JwksSource.uri("http://idp.example/jwks"));
    JwksSource.uri("http://127.0.0.1:1/jwks");
    JwksSource.uri("http://127.255.0.9:1/jwks");
    JwksSource.uri("http://[::1]:1/jwks");
    JwksSource.uri("https://idp.example/jwks");
    JwksSource.uri("https://localhost/jwks");
  }

  @Test
  void jwksUri_plainHttpLoopbackName_throws() {
    for (String uri :
        List.of(
            "http://localhost:1/jwks",
            "http://LOCALHOST/jwks",
            "http://localhost./jwks",
            "http://127.0.0.1.nip.io/jwks",
            "http://localtest.me/jwks",
            "http://128.0.0.1/jwks",
            "http://10.0.0.1/jwks",
            "http://[::2]/jwks",
            "http://[::]/jwks")) {
      assertThrows(IllegalArgumentException.class, () -> JwksSource.uri(uri), uri);
    }
  }

  @Test
  void jwksUri_plainHttpLocalhost_messageAdvises127001() {
    for (String uri : List.of("http://localhost:1/jwks", "http://LocalHost./jwks")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> JwksSource.uri(uri), uri);
      assertTrue(e.getMessage().contains("write 127.0.0.1 instead of localhost"), e.getMessage());
    }
  }
}
