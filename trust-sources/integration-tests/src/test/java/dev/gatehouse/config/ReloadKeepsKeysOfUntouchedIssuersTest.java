package dev.gatehouse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An edit inside {@code signed_token} that changes only another issuer's grants keeps every
 * issuer's cached keys: during one issuer's key-endpoint outage its calls keep being served.
 */
class ReloadKeepsKeysOfUntouchedIssuersTest {
  @TempDir Path dir;

  private static String config(String jwksUri, String billingRoles) {
    return "service_name: trips\n"
        + "user_jwt:\n"
        + "  issuers:\n"
        + "    - { issuer: \"https://idp.test\", jwks_file: idp.jwks.json, audiences: [trips-api] }\n"
        + "internal:\n"
        + "  signed_token:\n"
        + "    issuers:\n"
        + "      - { issuer: worker, jwks_uri: \""
        + jwksUri
        + "\", roles: [trip-finisher] }\n"
        + "      - { issuer: billing, jwks_file: billing.jwks.json, roles: ["
        + billingRoles
        + "] }\n";
  }

  @Test
  void reload_otherIssuerEditedDuringJwksOutage_cachedKeysKeepServing() throws Exception {
    ECKey worker = TestTokens.ecKey("w-1");
    Files.writeString(
        dir.resolve("idp.jwks.json"),
        new JWKSet(TestTokens.ecKey("idp-1").toPublicJWK()).toString());
    Files.writeString(
        dir.resolve("billing.jwks.json"),
        new JWKSet(TestTokens.ecKey("b-1").toPublicJWK()).toString());
    byte[] jwks = new JWKSet(worker.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
    HttpServer http =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    http.createContext(
        "/jwks.json",
        ex -> {
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(200, jwks.length);
          ex.getResponseBody().write(jwks);
          ex.close();
        });
    http.start();
    String uri = "http://127.0.0.1:" + http.getAddress().getPort() + "/jwks.json";
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config(uri, "payer"));

    Map<String, Object> claims = TestTokens.claims("worker", "worker", "trips", Instant.now(), 300);
    String token = TestTokens.sign(worker, TestTokens.header("ES256", "w-1"), claims);
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);

    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h =
        ProbeHarness.start(
            x -> {
              ConfiguredGatehouse c =
                  ConfiguredGatehouse.newBuilder()
                      .addSections(TestSections.ALL)
                      .configFile(file)
                      .addService(x.service())
                      .build();
              g.set(c);
              return c.gatehouse();
            })) {
      h.stub(md).worker(Req.getDefaultInstance());
      http.stop(0); // worker's JWKS outage: cached keys must keep serving
      h.stub(md).worker(Req.getDefaultInstance());

      Files.writeString(file, config(uri, "payer, refunder")); // edit another issuer
      assertTrue(g.get().reloadNow());
      h.stub(md).worker(Req.getDefaultInstance());
      assertEquals(3, h.handlerRuns());
    } finally {
      http.stop(0);
      if (g.get() != null) {
        g.get().close();
      }
    }
  }
}
