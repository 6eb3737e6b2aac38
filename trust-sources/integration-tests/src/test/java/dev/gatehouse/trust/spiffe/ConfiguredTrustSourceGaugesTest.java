package dev.gatehouse.trust.spiffe;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.config.TestSections;
import dev.gatehouse.micrometer.GatehouseMetrics;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay-cache and certificate-expiry gauges of a chain built from the configuration file read
 * the trust sources serving now: they follow accepted tokens, show the configured CA's days left,
 * and after a reload that rebuilt the sources, read the rebuilt ones.
 */
class ConfiguredTrustSourceGaugesTest {
  @TempDir Path dir;

  private ECKey worker;

  private void writeConfig(String workerRoles) throws Exception {
    Files.writeString(
        dir.resolve("gatehouse.yaml"),
        "service_name: trips\n"
            + "user_jwt:\n"
            + "  issuers: [{ issuer: \"https://idp.test\", jwks_file: idp.jwks.json,"
            + " audiences: [trips-api] }]\n"
            + "internal:\n"
            + "  signed_token:\n"
            + "    replay_protection: true\n"
            + "    issuers:\n"
            + "      - { issuer: worker, jwks_file: worker.jwks.json, roles: ["
            + workerRoles
            + "] }\n"
            + "  peer_certificate:\n"
            + "    trust_bundles: [{ trust_domain: cluster.local, ca_file: ca.pem }]\n"
            + "    allow:\n"
            + "      - { identity: \"spiffe://cluster.local/ns/trips/sa/worker\","
            + " roles: [trip-finisher] }\n");
  }

  private void writeCa(Duration validFor) throws Exception {
    TestPki.Issued ca =
        TestPki.issue(
            null,
            "CN=root cluster.local",
            new TestPki.Spec()
                .uri("spiffe://cluster.local")
                .ca(true)
                .keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign, true)
                .validity(TestPki.NOW.minus(Duration.ofDays(1)), TestPki.NOW.plus(validFor)));
    Files.writeString(
        dir.resolve("ca.pem"),
        PeerCertificateTrustSourceTest.pem(ca.cert()),
        StandardCharsets.US_ASCII);
  }

  private Metadata token(String jti) throws Exception {
    Map<String, Object> claims = TestTokens.claims("worker", "worker", "trips", Instant.now(), 300);
    claims.put("jti", jti);
    Metadata md = new Metadata();
    md.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + TestTokens.sign(worker, TestTokens.header("ES256", "w-1"), claims));
    return md;
  }

  @Test
  void gauges_followLiveSourcesAcrossReload() throws Exception {
    worker = TestTokens.ecKey("w-1");
    Files.writeString(dir.resolve("worker.jwks.json"), new JWKSet(worker.toPublicJWK()).toString());
    Files.writeString(
        dir.resolve("idp.jwks.json"),
        new JWKSet(TestTokens.ecKey("idp-1").toPublicJWK()).toString());
    writeCa(Duration.ofDays(30));
    writeConfig("trip-finisher");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    GatehouseMetrics metrics =
        GatehouseMetrics.newBuilder(registry)
            .keyFetches(false)
            .clock(Clock.fixed(TestPki.NOW, ZoneOffset.UTC))
            .build();
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h =
        ProbeHarness.start(
            x -> {
              ConfiguredGatehouse c =
                  ConfiguredGatehouse.newBuilder()
                      .addSections(TestSections.ALL)
                      .configFile(dir.resolve("gatehouse.yaml"))
                      .addService(x.service())
                      .auditListener(metrics)
                      .build();
              g.set(c);
              return c.gatehouse();
            })) {
      metrics.trustSourcesOf(g.get());
      assertEquals(0.0, replayCache(registry));
      assertEquals(30.0, expiryDays(registry), 0.001);

      Metadata first = token("jti-1");
      h.stub(first).worker(Req.getDefaultInstance());
      h.stub(token("jti-2")).worker(Req.getDefaultInstance());
      assertEquals(2, h.handlerRuns());
      assertEquals(2.0, replayCache(registry));
      StatusRuntimeException replayed =
          expectFailure(() -> h.stub(first).worker(Req.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, replayed.getStatus().getCode());
      assertEquals(AuthStatus.INVALID_TEXT, replayed.getStatus().getDescription());
      assertEquals(2.0, replayCache(registry), "a refused replay adds no entry");

      // Both sections change: signed_token's roles and peer_certificate's CA file (90 days).
      writeCa(Duration.ofDays(90));
      writeConfig("trip-finisher, auditor");
      assertTrue(g.get().reloadNow(), "reload applied");

      assertEquals(90.0, expiryDays(registry), 0.001);
      // The rebuilt signed_token continues the replay cache, and its gauge follows its tokens.
      assertEquals(2.0, replayCache(registry));
      h.stub(token("jti-3")).worker(Req.getDefaultInstance());
      assertEquals(3, h.handlerRuns());
      assertEquals(3.0, replayCache(registry));
    } finally {
      metrics.close();
      if (g.get() != null) {
        g.get().close();
      }
    }
  }

  private static double replayCache(SimpleMeterRegistry r) {
    return r.get(GatehouseMetrics.REPLAY_CACHE_SIZE)
        .tag("trust.source", "signed_token")
        .gauge()
        .value();
  }

  private static double expiryDays(SimpleMeterRegistry r) {
    return r.get(GatehouseMetrics.CERTIFICATE_EXPIRY_DAYS)
        .tag("trust.source", "peer_certificate")
        .gauge()
        .value();
  }
}
