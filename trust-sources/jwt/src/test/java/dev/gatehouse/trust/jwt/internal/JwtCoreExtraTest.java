package dev.gatehouse.trust.jwt.internal;

import static dev.gatehouse.testing.TestTokens.claims;
import static dev.gatehouse.testing.TestTokens.encode;
import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JWKS files, rotation under concurrent load, kid tricks, nesting and size limits. */
class JwtCoreExtraTest {
  static final Instant NOW = Instant.parse("2026-04-01T00:00:00Z");
  static final String ISS = "https://idp.test";

  private static JwtVerifier verifier(JwksSource keys, MutableClock clock) {
    return VerifierFixture.newBuilder()
        .clock(clock)
        .addIssuer(TrustedIssuer.newBuilder(ISS).keys(keys).audience("api").build())
        .build();
  }

  @Test
  void verify_jwksFileRotated_newKeyFoundByRefresh(@TempDir Path dir) throws Exception {
    ECKey k1 = TestTokens.ecKey("k1");
    ECKey k2 = TestTokens.ecKey("k2");
    Path file = dir.resolve("jwks.json");
    Files.writeString(file, new JWKSet(k1).toPublicJWKSet().toString());
    MutableClock clock = new MutableClock(NOW);
    try (JwtVerifier v = verifier(JwksSource.file(file), clock)) {
      assertTrue(
          v.verify(sign(k1, header("ES256", "k1"), claims(ISS, "u", "api", NOW, 60))).isVerified());
      Files.writeString(file, new JWKSet(List.of(k1, k2)).toPublicJWKSet().toString());
      JwtVerification r =
          v.verify(sign(k2, header("ES256", "k2"), claims(ISS, "u", "api", NOW, 60)));
      assertTrue(r.isVerified(), r.toString());
    }
  }

  @Test
  void verify_jwksFileMissing_unavailable(@TempDir Path dir) {
    ECKey k1 = TestTokens.ecKey("k1");
    try (JwtVerifier v =
        verifier(JwksSource.file(dir.resolve("absent.json")), new MutableClock(NOW))) {
      JwtVerification r =
          v.verify(sign(k1, header("ES256", "k1"), claims(ISS, "u", "api", NOW, 60)));
      assertTrue(r.isUnavailable(), r.toString());
    }
  }

  @Test
  void verify_rotationUnderConcurrentLoad_noFailedCalls() throws Exception {
    ECKey k1 = TestTokens.ecKey("k1");
    ECKey k2 = TestTokens.ecKey("k2");
    MutableClock clock = new MutableClock(NOW);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try (JwksServer jwks = JwksServer.start(new JWKSet(k1));
        JwtVerifier v = verifier(JwksSource.uri(jwks.url()), clock)) {
      assertTrue(
          v.verify(sign(k1, header("ES256", "k1"), claims(ISS, "u", "api", NOW, 60))).isVerified());
      jwks.delay(Duration.ofMillis(100));
      jwks.publish(new JWKSet(List.of(k1, k2)));
      String token = sign(k2, header("ES256", "k2"), claims(ISS, "u", "api", NOW, 60));
      List<Callable<JwtVerification>> calls = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        calls.add(() -> v.verify(token));
      }
      for (Future<JwtVerification> f : pool.invokeAll(calls)) {
        assertTrue(f.get().isVerified(), f.get().toString());
      }
      assertEquals(2, jwks.requests());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void verify_kidPathTricks_unknownKey() {
    ECKey k1 = TestTokens.ecKey("k1");
    try (JwtVerifier v = verifier(JwksSource.of(new JWKSet(k1)), new MutableClock(NOW))) {
      for (String kid : List.of("../k1", "k1/", "K1", "k1\u0000", " k1", "k1%00")) {
        JwtVerification r =
            v.verify(sign(k1, header("ES256", kid), claims(ISS, "u", "api", NOW, 60)));
        assertEquals(Reason.UNKNOWN_KEY, r.reason(), kid);
      }
      Map<String, Object> h = header("ES256", null);
      h.put("kid", 42);
      assertEquals(
          Reason.MALFORMED_CREDENTIALS,
          v.verify(sign(k1, h, claims(ISS, "u", "api", NOW, 60))).reason());
    }
  }

  @Test
  void verify_deepNestingAndHugePayload_refusedWithoutCrash() {
    ECKey k1 = TestTokens.ecKey("k1");
    try (JwtVerifier v = verifier(JwksSource.of(new JWKSet(k1)), new MutableClock(NOW))) {
      String nested = "[".repeat(2500) + "]".repeat(2500);
      String payload =
          com.nimbusds.jose.util.Base64URL.encode("{\"iss\":\"" + ISS + "\",\"x\":" + nested + "}")
              .toString();
      String header = encode(header("ES256", "k1"));
      String input = header + "." + payload;
      String deep = input + "." + TestTokens.signature(k1, "ES256", input);
      JwtVerification r = v.verify(deep);
      assertFalse(r.isVerified());
      assertEquals(Reason.MALFORMED_CREDENTIALS, r.reason());
      Map<String, Object> big = claims(ISS, "u", "api", NOW, 60);
      big.put("pad", "x".repeat(2 * 1024 * 1024));
      String hugeToken = sign(k1, header("ES256", "k1"), big);
      long t0 = System.nanoTime();
      JwtVerification huge = v.verify(hugeToken);
      assertEquals(Reason.MALFORMED_CREDENTIALS, huge.reason());
      assertTrue(huge.detail().contains("longer than"));
      assertTrue(System.nanoTime() - t0 < 1_000_000_000L);
    }
  }

  @Test
  void verify_randomMutations_neverThrowNeverAccept() {
    ECKey k1 = TestTokens.ecKey("k1");
    java.util.Random random = new java.util.Random(7);
    String alphabet = "ABCxyz019-_.=+/ {}\"\u00e9";
    try (JwtVerifier v = verifier(JwksSource.of(new JWKSet(k1)), new MutableClock(NOW))) {
      String good = sign(k1, header("ES256", "k1"), claims(ISS, "u", "api", NOW, 60));
      assertTrue(v.verify(good).isVerified());
      for (int i = 0; i < 3000; i++) {
        StringBuilder t = new StringBuilder(good);
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits; e++) {
          int pos = random.nextInt(t.length());
          switch (random.nextInt(3)) {
            case 0 -> t.setCharAt(pos, alphabet.charAt(random.nextInt(alphabet.length())));
            case 1 -> t.deleteCharAt(pos);
            default -> t.insert(pos, alphabet.charAt(random.nextInt(alphabet.length())));
          }
        }
        String mutated = t.toString();
        if (mutated.equals(good)) {
          continue;
        }
        JwtVerification r = v.verify(mutated);
        assertFalse(r.isVerified() && !mutated.equals(good), "mutation accepted: #" + i);
      }
    }
  }

  @Test
  void verify_typCaseInsensitiveWithApplicationPrefix_accepted() {
    ECKey k1 = TestTokens.ecKey("k1");
    try (JwtVerifier v = verifier(JwksSource.of(new JWKSet(k1)), new MutableClock(NOW))) {
      for (String typ : List.of("JWT", "jwt", "application/jwt")) {
        Map<String, Object> h = header("ES256", "k1");
        h.put("typ", typ);
        assertTrue(v.verify(sign(k1, h, claims(ISS, "u", "api", NOW, 60))).isVerified(), typ);
      }
      Map<String, Object> h = header("ES256", "k1");
      h.put("typ", "JOSE+JSON");
      assertEquals(
          Reason.DISALLOWED_HEADER,
          v.verify(sign(k1, h, claims(ISS, "u", "api", NOW, 60))).reason());
    }
  }
}
