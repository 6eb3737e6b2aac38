package dev.gatehouse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code shared_secret} changes only on restart: an unrelated reload keeps the secret that was live
 * at startup, even when the secret file now holds another one.
 */
class SharedSecretRestartOnlyTest {
  @TempDir Path dir;

  private static final String OLD = "old-q7Rk2mZp9xLw4vN8tB3yC6hJ1sD5fG0a";
  private static final String NEW = "new-Zk3Pq8Wm1Xr6Ty0Uv5Sn9Lb2Hc7Jd4Fg";

  private static String config(String userAudiences) {
    return "service_name: trips\n"
        + "dev_mode: true\n"
        + "user_jwt:\n"
        + "  issuers:\n"
        + "    - { issuer: \"https://idp.test\", jwks_file: idp.jwks.json, audiences: ["
        + userAudiences
        + "] }\n"
        + "internal:\n"
        + "  shared_secret:\n"
        + "    secret_file: secret.txt\n";
  }

  private static Metadata secret(String s) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("x-internal-secret", Metadata.ASCII_STRING_MARSHALLER), s);
    return md;
  }

  @Test
  void reload_unrelatedChange_sharedSecretUnchangedUntilRestart() throws Exception {
    Files.writeString(
        dir.resolve("idp.jwks.json"),
        new JWKSet(TestTokens.ecKey("idp-1").toPublicJWK()).toString());
    Files.writeString(dir.resolve("secret.txt"), OLD + "\n");
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("trips-api"));
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
      h.stub(secret(OLD)).worker(Req.getDefaultInstance());
      // The secret file changes (e.g. someone with write access to it), then an unrelated edit.
      Files.writeString(dir.resolve("secret.txt"), NEW + "\n");
      Files.writeString(file, config("trips-api, trips-web"));
      g.get().reloadNow();
      // shared_secret is restart-only: the secret that was live at startup still works.
      h.stub(secret(OLD)).worker(Req.getDefaultInstance());
      assertEquals(2, h.handlerRuns());
    } finally {
      if (g.get() != null) {
        g.get().close();
      }
    }
  }
}
