package dev.gatehouse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reported case, wired from the file: adding an audience to a {@code user_jwt} issuer while its
 * identity provider is down keeps that issuer's cached keys (same {@code jwks_uri}, same
 * algorithms), so user calls keep being served instead of turning {@code UNAVAILABLE}.
 */
class ReloadKeepsKeysOfEditedIssuerTest {
  @TempDir Path dir;

  private static String config(String jwksUri, String audiences) {
    return "service_name: trips\n"
        + "user_jwt:\n"
        + "  issuers:\n"
        + "    - { issuer: \"https://idp.test\", jwks_uri: \""
        + jwksUri
        + "\", audiences: ["
        + audiences
        + "] }\n"
        + "internal:\n"
        + "  signed_token:\n"
        + "    issuers:\n"
        + "      - { issuer: billing, jwks_file: billing.jwks.json, roles: [payer] }\n";
  }

  private static Metadata bearer(ECKey key, String audience) {
    String token =
        TestTokens.sign(
            key,
            TestTokens.header("ES256", key.getKeyID()),
            TestTokens.claims("https://idp.test", "alice", audience, Instant.now(), 300));
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return md;
  }

  @Test
  void reload_audienceAddedDuringJwksOutage_userCallsStillServed() throws Exception {
    ECKey idp = TestTokens.ecKey("idp-1");
    Files.writeString(
        dir.resolve("billing.jwks.json"),
        new JWKSet(TestTokens.ecKey("b-1").toPublicJWK()).toString());
    Path file = dir.resolve("gatehouse.yaml");
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (JwksServer jwks = JwksServer.start(new JWKSet(idp))) {
      Files.writeString(file, config(jwks.url(), "trips-api"));
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
        h.stub(bearer(idp, "trips-api")).anyUser(Req.getDefaultInstance());
        jwks.down(true); // the identity provider goes down

        Files.writeString(file, config(jwks.url(), "trips-api, trips-admin"));
        assertTrue(g.get().reloadNow());
        h.stub(bearer(idp, "trips-admin")).anyUser(Req.getDefaultInstance());
        h.stub(bearer(idp, "trips-api")).anyUser(Req.getDefaultInstance());
        assertEquals(3, h.handlerRuns());
      } finally {
        if (g.get() != null) {
          g.get().close();
        }
      }
    }
  }
}
