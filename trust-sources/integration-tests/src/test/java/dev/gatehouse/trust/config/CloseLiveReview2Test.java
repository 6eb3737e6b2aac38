package dev.gatehouse.trust.config;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.RequestInfo;
import dev.gatehouse.spi.TrustSource;
import dev.gatehouse.testing.ProbeHarness;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security review 2: {@link ConfiguredGatehouse#close()} must close the live authenticators (their
 * JWKS refresh executors and schedulers). The chain holds {@link Slot}s, whose {@code close()} is
 * the no-op default of {@link Authenticator}; the old SwappableAuthenticator forwarded it. After
 * close, the live verifiers keep their threads and keep polling JWKS endpoints.
 */
class CloseLiveReview2Test {
  @TempDir Path dir;

  @Test
  void close_liveAuthenticators_closed() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(
        file,
        """
        service_name: trips
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
          public AuthResult authenticate(RequestInfo request) {
            return AuthResult.noCredential();
          }

          @Override
          public void close() {
            userClosed.set(true);
          }
        };
    ComponentFactory factory =
        (GatehouseConfig c, Set<String> sections, Optional<ComponentFactory.Previous> previous) -> {
          Map<String, TrustSource> sources = new LinkedHashMap<>();
          ConfiguredGatehouseReloadTest.AllowListSource s =
              new ConfiguredGatehouseReloadTest.AllowListSource(c.meshIdentity().get());
          mesh.set(s);
          sources.put("mesh_identity", s);
          return new Components(Optional.of(user), sources);
        };
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    ProbeHarness harness =
        ProbeHarness.start(
            x -> {
              ConfiguredGatehouse c =
                  ConfiguredGatehouse.newBuilder()
                      .configFile(file)
                      .addService(x.service())
                      .factory(factory)
                      .build();
              g.set(c);
              return c.gatehouse();
            });
    // The harness is held open only to be closed after the assertions.
    try (harness) {
      g.get().close();
      assertTrue(mesh.get().closed, "live mesh_identity source not closed by close()");
      assertTrue(userClosed.get(), "live user_jwt authenticator not closed by close()");
    }
  }
}
