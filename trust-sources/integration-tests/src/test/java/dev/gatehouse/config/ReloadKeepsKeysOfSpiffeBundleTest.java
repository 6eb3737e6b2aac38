package dev.gatehouse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testkit.TestIdentityProvider;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Editing the {@code spiffe_jwt} allow-list while a trust domain's bundle endpoint is down keeps
 * that trust domain's cached bundle (same {@code jwks_uri}, same algorithms): JWT-SVID calls keep
 * being served under the new allow-list instead of turning {@code UNAVAILABLE}.
 */
class ReloadKeepsKeysOfSpiffeBundleTest {
  private static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  private static final String BILLING = "spiffe://example.org/ns/billing/sa/payer";
  private static final String ORDERS = "spiffe://example.org/ns/orders/sa/api";

  @TempDir Path dir;

  @RegisterExtension
  final TestIdentityProvider bundle = TestIdentityProvider.newBuilder("example.org").build();

  @RegisterExtension
  final TestIdentityProvider idp = TestIdentityProvider.newBuilder("https://idp.test").build();

  private static String config(String jwksUri, String... allowed) {
    StringBuilder yaml =
        new StringBuilder("service_name: trips\n")
            .append("user_jwt:\n")
            .append("  issuers:\n")
            .append("    - { issuer: \"https://idp.test\", jwks_file: idp.jwks.json,")
            .append(" audiences: [trips-api] }\n")
            .append("internal:\n")
            .append("  spiffe_jwt:\n")
            .append("    header: x-jwt-svid\n")
            .append("    bundles: [{ trust_domain: example.org, jwks_uri: \"")
            .append(jwksUri)
            .append("\" }]\n")
            .append("    allow:\n");
    for (String id : allowed) {
      yaml.append("      - { identity: \"").append(id).append("\", roles: [trip-finisher] }\n");
    }
    return yaml.toString();
  }

  private Metadata svid(String spiffeId) {
    Metadata md = new Metadata();
    md.put(
        Metadata.Key.of("x-jwt-svid", Metadata.ASCII_STRING_MARSHALLER),
        bundle.jwtSvid(spiffeId, "trips").bearer());
    return md;
  }

  @Test
  void reload_allowListEditedDuringBundleOutage_svidCallsStillServed() throws Exception {
    Files.writeString(dir.resolve("idp.jwks.json"), idp.publicKeys().toString());
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config(bundle.jwksUri(), WORKER, ORDERS));
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
      h.stub(svid(WORKER)).workerFinisher(Req.getDefaultInstance());
      bundle.outage(TestIdentityProvider.Outage.HTTP_500); // the bundle endpoint goes down

      // Drop worker, keep orders, add billing.
      Files.writeString(file, config(bundle.jwksUri(), ORDERS, BILLING));
      assertTrue(g.get().reloadNow());
      h.stub(svid(ORDERS)).workerFinisher(Req.getDefaultInstance());
      h.stub(svid(BILLING)).workerFinisher(Req.getDefaultInstance());
      assertEquals(3, h.handlerRuns());
      assertEquals(BILLING, h.seen().get(2).context().orElseThrow().subject());

      StatusRuntimeException removed =
          ProbeHarness.expectFailure(
              () -> h.stub(svid(WORKER)).workerFinisher(Req.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, removed.getStatus().getCode());
      assertEquals(AuthStatus.INVALID_TEXT, removed.getStatus().getDescription());
      assertEquals(3, h.handlerRuns());
    } finally {
      if (g.get() != null) {
        g.get().close();
      }
    }
  }
}
