package dev.gatehouse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testkit.TestIdentityProvider;
import io.grpc.Metadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reported case, wired from the file: adding an audience to a {@code user_jwt} issuer while its
 * identity provider is down keeps that issuer's cached keys (same {@code jwks_uri}, same
 * algorithms), so user calls keep being served instead of turning {@code UNAVAILABLE}.
 */
class ReloadKeepsKeysOfEditedIssuerTest {
  @TempDir Path dir;

  @RegisterExtension
  final TestIdentityProvider idp = TestIdentityProvider.newBuilder("https://idp.test").build();

  @RegisterExtension
  final TestIdentityProvider billing = TestIdentityProvider.newBuilder("billing").build();

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

  private Metadata bearer(String audience) {
    Metadata md = new Metadata();
    md.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        idp.userToken("alice").audience(audience).bearer());
    return md;
  }

  @Test
  void reload_audienceAddedDuringJwksOutage_userCallsStillServed() throws Exception {
    Files.writeString(dir.resolve("billing.jwks.json"), billing.publicKeys().toString());
    Path file = dir.resolve("gatehouse.yaml");
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    Files.writeString(file, config(idp.jwksUri(), "trips-api"));
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
      h.stub(bearer("trips-api")).anyUser(Req.getDefaultInstance());
      idp.outage(TestIdentityProvider.Outage.HTTP_500); // the identity provider goes down

      Files.writeString(file, config(idp.jwksUri(), "trips-api, trips-admin"));
      assertTrue(g.get().reloadNow());
      h.stub(bearer("trips-admin")).anyUser(Req.getDefaultInstance());
      h.stub(bearer("trips-api")).anyUser(Req.getDefaultInstance());
      assertEquals(3, h.handlerRuns());
    } finally {
      if (g.get() != null) {
        g.get().close();
      }
    }
  }
}
