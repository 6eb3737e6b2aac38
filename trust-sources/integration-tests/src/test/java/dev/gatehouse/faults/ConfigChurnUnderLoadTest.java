package dev.gatehouse.faults;

import static dev.gatehouse.faults.ProbeServer.bearer;
import static dev.gatehouse.faults.ProbeServer.headers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.config.TestSections;
import dev.gatehouse.faults.FaultyJwksEndpoint.Mode;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.UserJwtSection;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration file of a running server (polled every 100 ms) is replaced, under continuous
 * user and internal load over a real channel, by invalid files: garbage bytes, deeply nested
 * sequences, an unknown field, a file cut off mid-value. Each is refused (a WARNING), the last good
 * configuration keeps serving with zero failed valid calls, and the watcher lives on: a valid edit
 * afterwards (an audience added to the user-JWT issuer while its key endpoint is down) applies, and
 * the issuer's cached keys survive it.
 */
class ConfigChurnUnderLoadTest {
  static final String ISS = "https://idp.test";
  static final String WORKER = "spiffe://cluster.local/ns/trips/sa/worker";
  static final int CLIENTS = 4;

  private static final Req REQ = Req.getDefaultInstance();

  @TempDir Path dir;

  private static String config(String jwksUri, String audiences) {
    return "service_name: trips\n"
        + "user_jwt:\n"
        + "  issuers:\n"
        + "    - issuer: \""
        + ISS
        + "\"\n"
        + "      jwks_uri: \""
        + jwksUri
        + "\"\n"
        + "      audiences: ["
        + audiences
        + "]\n"
        + "internal:\n"
        + "  mesh_identity:\n"
        + "    trusted_proxies: [\"127.0.0.1/32\"]\n"
        + "    allow:\n"
        + "      - { identity: \""
        + WORKER
        + "\", roles: [trip-finisher] }\n";
  }

  /** Replaces the file the way a ConfigMap update does: write beside it, then rename over it. */
  private void replace(Path file, byte[] content) throws Exception {
    Path next = dir.resolve("next.yaml");
    Files.write(next, content);
    Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static String token(ECKey key, String audience) {
    return TestTokens.sign(
        key,
        TestTokens.header("ES256", key.getKeyID()),
        TestTokens.claims(ISS, "alice", audience, Instant.now(), 600));
  }

  @Test
  void configReplacedByInvalidFilesUnderLoad_lastGoodServesAndValidEditApplies() throws Exception {
    ECKey idp = TestTokens.ecKey("idp-1");
    Path file = dir.resolve("gatehouse.yaml");
    AtomicReference<ConfiguredGatehouse> configured = new AtomicReference<>();
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    Tally t = new Tally("config replaced by invalid files under load");
    try (FaultyJwksEndpoint jwks = FaultyJwksEndpoint.start(new JWKSet(idp.toPublicJWK()));
        LogRecords warnings = new LogRecords(ConfiguredGatehouse.class.getName(), Level.WARNING)) {
      String good = config(jwks.url(), "trips-api");
      Files.writeString(file, good);
      try (ProbeServer s =
          ProbeServer.startUnowned(
              svc -> {
                ConfiguredGatehouse c =
                    ConfiguredGatehouse.newBuilder()
                        .addSections(TestSections.ALL)
                        .configFile(file)
                        .pollInterval(Duration.ofMillis(100))
                        .addService(svc)
                        .build();
                configured.set(c);
                return c.gatehouse();
              })) {
        String user = token(idp, "trips-api");
        AtomicBoolean running = new AtomicBoolean(true);
        List<Future<?>> load = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
          boolean internal = i % 2 == 1;
          load.add(
              clients.submit(
                  () -> {
                    while (running.get()) {
                      Status st =
                          internal
                              ? t.call(
                                  () ->
                                      s.stub(headers("x-forwarded-client-cert", "URI=" + WORKER))
                                          .worker(REQ))
                              : t.call(() -> s.stub(bearer(user)).anyUser(REQ));
                      if (!st.isOk()) {
                        System.out.println("[faults] config churn: failed valid call " + st);
                      }
                    }
                  }));
        }
        assertNotNull(Conditions.await(Duration.ofSeconds(60), 10, () -> t.ok() >= 20));
        // The key endpoint goes down: from here on, user calls are served from cached keys only.
        jwks.mode(Mode.DOWN);

        // Each invalid file, and what the WARNING refusing it says.
        Map<String, byte[]> invalid = new LinkedHashMap<>();
        Map<String, String> refusal =
            Map.of(
                "garbage", "cannot read config file",
                "deep nesting", "nested more than",
                "unknown field", "bogus_field",
                "truncated", "not valid YAML");
        byte[] garbage = new byte[4096];
        new java.util.Random(42).nextBytes(garbage);
        invalid.put("garbage", garbage);
        invalid.put(
            "deep nesting",
            ("service_name: " + "[".repeat(50_000) + "]".repeat(50_000) + "\n")
                .getBytes(StandardCharsets.UTF_8));
        invalid.put("unknown field", (good + "bogus_field: 1\n").getBytes(StandardCharsets.UTF_8));
        String truncated = good.substring(0, good.indexOf("jwks_uri") + 20);
        invalid.put("truncated", truncated.getBytes(StandardCharsets.UTF_8));

        List<String> figures = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : invalid.entrySet()) {
          String says = refusal.get(e.getKey());
          long callsBefore = t.calls();
          replace(file, e.getValue());
          // Wait for the watcher to refuse it, and for load to run against it meanwhile.
          assertNotNull(
              Conditions.await(
                  Duration.ofSeconds(30),
                  20,
                  () -> warnings.count(r -> r.getMessage().contains(says)) > 0),
              e.getKey() + " was never refused");
          assertNotNull(
              Conditions.await(Duration.ofSeconds(60), 10, () -> t.calls() >= callsBefore + 20),
              "load stalled");
          assertEquals(
              List.of("trips-api"), audiences(configured.get()), e.getKey() + " replaced config");
          figures.add(e.getKey() + " refused");
        }
        assertEquals(0, t.failed(), "failed valid calls: " + t.outcomes());

        // A valid edit afterwards applies (the watcher lives on), keys kept through it.
        replace(
            file, config(jwks.url(), "trips-api, trips-admin").getBytes(StandardCharsets.UTF_8));
        assertNotNull(
            Conditions.await(
                Duration.ofSeconds(30),
                20,
                () -> audiences(configured.get()).contains("trips-admin")),
            "the valid edit was never applied");
        String admin = token(idp, "trips-admin");
        for (int i = 0; i < 20; i++) {
          Status st = t.call(() -> s.stub(bearer(admin)).anyUser(REQ));
          assertTrue(st.isOk(), "new audience with cached keys: " + st);
        }
        long callsBefore = t.calls();
        assertNotNull(
            Conditions.await(Duration.ofSeconds(60), 10, () -> t.calls() >= callsBefore + 20));
        running.set(false);
        for (Future<?> f : load) {
          f.get(30, TimeUnit.SECONDS);
        }
        t.print(
            String.join(", ", figures)
                + ", refusal warnings="
                + warnings.size()
                + ", valid edit applied, handler runs="
                + s.handlerRuns());
        assertEquals(t.calls(), t.ok(), "failed valid calls: " + t.outcomes());
        assertEquals(t.ok(), s.handlerRuns());
      } finally {
        clients.shutdownNow();
        if (configured.get() != null) {
          configured.get().close();
        }
      }
    }
  }

  private static List<String> audiences(ConfiguredGatehouse g) {
    return g
        .currentConfig()
        .section(UserJwtSection.provider())
        .orElseThrow()
        .issuers()
        .get(0)
        .audiences()
        .stream()
        .sorted()
        .toList();
  }
}
