package dev.gatehouse.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.testing.MutableClock;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwksPublisherTest {
  private static final Set<String> PRIVATE_MEMBERS =
      Set.of("d", "p", "q", "dp", "dq", "qi", "oth", "k");

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T12:00:00Z"));

  @Test
  void jwksBytes_ecKey_publicMembersOnlyWithKidAlgUse() throws Exception {
    KeyPair kp = TestKeys.ec();
    JwksPublisher publisher =
        JwksPublisher.create(SigningKeySource.newBuilder().keyPair(kp).kid("ec-1").build());
    String json = new String(publisher.jwksBytes(), StandardCharsets.UTF_8);

    List<Object> keys = JSONObjectUtils.getJSONArray(JSONObjectUtils.parse(json), "keys");
    assertEquals(1, keys.size());
    @SuppressWarnings("unchecked")
    Map<String, Object> key = (Map<String, Object>) keys.get(0);
    assertEquals(Set.of("kty", "crv", "x", "y", "kid", "alg", "use"), key.keySet());
    assertEquals("ec-1", key.get("kid"));
    assertEquals("ES256", key.get("alg"));
    assertEquals("sig", key.get("use"));
    JWK parsed = JWKSet.parse(json).getKeyByKeyId("ec-1");
    assertFalse(parsed.isPrivate());
    assertEquals(((ECKey) parsed).toECPublicKey(), kp.getPublic());
    String d = TestKeys.ecJwk(kp, "ec-1").getD().toString();
    assertFalse(json.contains(d), "private scalar never published");
  }

  @Test
  void jwksBytes_rsaPrivateJwkFile_noPrivatePartsEvenIfFileHasExtras() throws Exception {
    KeyPair kp = TestKeys.rsa(2048);
    RSAKey full = TestKeys.rsaJwk(kp, "rsa-1");
    Path file = dir.resolve("k.jwk");
    Files.writeString(file, full.toJSONString());
    JwksPublisher publisher =
        JwksPublisher.create(
            SigningKeySource.newBuilder().jwkFile(file).algorithm(SigningAlgorithm.RS256).build());
    String json = new String(publisher.jwksBytes(), StandardCharsets.UTF_8);
    @SuppressWarnings("unchecked")
    Map<String, Object> key =
        (Map<String, Object>)
            JSONObjectUtils.getJSONArray(JSONObjectUtils.parse(json), "keys").get(0);
    assertEquals(Set.of("kty", "n", "e", "kid", "alg", "use"), key.keySet());
    for (String member : PRIVATE_MEMBERS) {
      assertFalse(key.containsKey(member), member);
    }
    for (String secret :
        List.of(
            full.getPrivateExponent().toString(),
            full.getFirstPrimeFactor().toString(),
            full.getSecondPrimeFactor().toString())) {
      assertFalse(json.contains(secret));
    }
    assertEquals(KeyUse.SIGNATURE, JWKSet.parse(json).getKeys().get(0).getKeyUse());
  }

  @Test
  void jwksBytes_afterRotation_currentAndPreviousPublished() throws Exception {
    KeyPair a = TestKeys.ec();
    KeyPair b = TestKeys.ec();
    Path file = dir.resolve("k.pem");
    Files.writeString(file, TestKeys.pemWithPublic(a));
    SigningKeySource source =
        SigningKeySource.newBuilder()
            .pemFile(file)
            .checkInterval(Duration.ofSeconds(5))
            .clock(clock)
            .build();
    JwksPublisher publisher = JwksPublisher.create(source);
    assertEquals(List.of(TestKeys.thumbprint(a)), kids(publisher));

    TestKeys.replace(file, TestKeys.pemWithPublic(b));
    clock.advance(Duration.ofSeconds(5));
    // the publisher checks the file itself: no call needed
    assertEquals(List.of(TestKeys.thumbprint(b), TestKeys.thumbprint(a)), kids(publisher));

    clock.advance(Duration.ofMinutes(66));
    assertEquals(List.of(TestKeys.thumbprint(b)), kids(publisher));
  }

  @Test
  void httpHandler_get_servesJwksWithTypeAndCacheControl() throws Exception {
    KeyPair kp = TestKeys.ec();
    JwksPublisher publisher =
        JwksPublisher.newBuilder()
            .keySource(SigningKeySource.newBuilder().keyPair(kp).kid("ec-1").build())
            .maxAge(Duration.ofMinutes(2))
            .build();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/jwks.json", publisher.httpHandler());
    server.start();
    try {
      URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json");
      HttpClient http =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .proxy(HttpClient.Builder.NO_PROXY)
              .connectTimeout(Duration.ofSeconds(5))
              .build();

      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(uri)
                  .timeout(Duration.ofSeconds(5))
                  .header("Accept", "application/json, application/jwk-set+json")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode());
      assertEquals("application/jwk-set+json", r.headers().firstValue("Content-Type").orElse(""));
      assertEquals("public, max-age=120", r.headers().firstValue("Cache-Control").orElse(""));
      assertEquals("nosniff", r.headers().firstValue("X-Content-Type-Options").orElse(""));
      JWK served = JWKSet.parse(r.body()).getKeyByKeyId("ec-1");
      assertFalse(served.isPrivate());
      assertEquals(((ECKey) served).toECPublicKey(), kp.getPublic());

      HttpResponse<String> plain =
          http.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, plain.statusCode());
      assertEquals("application/json", plain.headers().firstValue("Content-Type").orElse(""));
      assertEquals(r.body(), plain.body());

      for (String method : List.of("POST", "PUT", "DELETE", "HEAD")) {
        HttpResponse<String> refused =
            http.send(
                HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(5))
                    .method(method, HttpRequest.BodyPublishers.ofString("x"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, refused.statusCode(), method);
        assertEquals("GET", refused.headers().firstValue("Allow").orElse(""), method);
        assertTrue(refused.body().isEmpty(), method);
      }
    } finally {
      server.stop(0);
    }
  }

  @Test
  void build_invalidSettings_fail() {
    assertThrows(IllegalArgumentException.class, () -> JwksPublisher.newBuilder().build());
    SigningKeySource s = SigningKeySource.of(TestKeys.ec());
    assertThrows(
        IllegalArgumentException.class,
        () -> JwksPublisher.newBuilder().keySource(s).maxAge(Duration.ofHours(2)).build());
    assertEquals(60, JwksPublisher.create(s).maxAgeSeconds());
  }

  private static List<String> kids(JwksPublisher publisher) throws Exception {
    return JWKSet.parse(new String(publisher.jwksBytes(), StandardCharsets.UTF_8))
        .getKeys()
        .stream()
        .map(JWK::getKeyID)
        .toList();
  }
}
