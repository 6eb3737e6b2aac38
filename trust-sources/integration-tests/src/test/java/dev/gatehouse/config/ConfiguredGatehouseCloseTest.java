package dev.gatehouse.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.testing.ProbeHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ConfiguredGatehouse#close()} closes the live authenticators behind every slot (their key
 * refresh executors and schedulers), not only the slots.
 */
class ConfiguredGatehouseCloseTest {
  @TempDir Path dir;

  @Test
  void close_liveAuthenticators_closed() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(
        file,
        """
        service_name: trips
        user_jwt: {}
        internal:
          mesh_identity:
            trusted_proxies: ["127.0.0.1/32"]
            allow:
              - { identity: "spiffe://cluster.local/ns/a/sa/worker", roles: [r] }
        """);
    AtomicReference<ConfiguredGatehouseReloadTest.AllowListSource> mesh = new AtomicReference<>();
    AtomicReference<Boolean> userClosed = new AtomicReference<>(false);
    Authenticator user =
        new Authenticator() {
          @Override
          public String name() {
            return "user_jwt";
          }

          @Override
          public Set<String> credentialHeaders() {
            return Set.of("authorization");
          }

          @Override
          public AuthResult authenticate(IncomingCall request) {
            return AuthResult.noCredential();
          }

          @Override
          public void close() {
            userClosed.set(true);
          }
        };
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    ProbeHarness harness =
        ProbeHarness.start(
            x -> {
              ConfiguredGatehouse c =
                  ConfiguredGatehouse.newBuilder()
                      .configFile(file)
                      .addService(x.service())
                      .addSection(ConfiguredGatehouseReloadTest.userProvider(() -> user))
                      .addSection(ConfiguredGatehouseReloadTest.meshProvider(mesh::set))
                      .build();
              g.set(c);
              return c.gatehouse();
            });
    try (harness) {
      g.get().close();
      assertTrue(mesh.get().closed, "live mesh_identity source not closed by close()");
      assertTrue(userClosed.get(), "live user_jwt authenticator not closed by close()");
    }
  }
}
