package dev.gatehouse.config;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload never re-opens the replay window: a service token used before the reload is refused
 * after it, whether the reload touched {@code signed_token} or not (its replay cache carries over).
 */
class ReloadKeepsReplayCacheTest {
  @TempDir Path dir;

  private static String config(String userAudiences) {
    return config(userAudiences, "trip-finisher");
  }

  private static String config(String userAudiences, String workerRoles) {
    return "service_name: trips\n"
        + "user_jwt:\n"
        + "  issuers:\n"
        + "    - { issuer: \"https://idp.test\", jwks_file: idp.jwks.json, audiences: ["
        + userAudiences
        + "] }\n"
        + "internal:\n"
        + "  signed_token:\n"
        + "    replay_protection: true\n"
        + "    issuers:\n"
        + "      - { issuer: worker, jwks_file: worker.jwks.json, roles: ["
        + workerRoles
        + "] }\n";
  }

  @Test
  void reload_unrelatedChange_replayedServiceTokenStillRefused() throws Exception {
    ECKey worker = TestTokens.ecKey("w-1");
    ECKey idp = TestTokens.ecKey("idp-1");
    Files.writeString(dir.resolve("worker.jwks.json"), new JWKSet(worker.toPublicJWK()).toString());
    Files.writeString(dir.resolve("idp.jwks.json"), new JWKSet(idp.toPublicJWK()).toString());
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("trips-api"));

    Map<String, Object> claims = TestTokens.claims("worker", "worker", "trips", Instant.now(), 300);
    claims.put("jti", "replay-jti-1");
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
      assertEquals(1, h.handlerRuns());
      // Sanity: replay protection is on before the reload.
      StatusRuntimeException first =
          expectFailure(() -> h.stub(md).worker(Req.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, first.getStatus().getCode());

      // An operator edits an unrelated field (a user_jwt audience).
      Files.writeString(file, config("trips-api, trips-web"));
      assertTrue(g.get().reloadNow());

      StatusRuntimeException e = expectFailure(() -> h.stub(md).worker(Req.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
      assertEquals(1, h.handlerRuns());
    } finally {
      if (g.get() != null) {
        g.get().close();
      }
    }
  }

  @Test
  void reload_signedTokenSectionChanged_replayCacheCarriedOver() throws Exception {
    ECKey worker = TestTokens.ecKey("w-1");
    ECKey idp = TestTokens.ecKey("idp-1");
    Files.writeString(dir.resolve("worker.jwks.json"), new JWKSet(worker.toPublicJWK()).toString());
    Files.writeString(dir.resolve("idp.jwks.json"), new JWKSet(idp.toPublicJWK()).toString());
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("trips-api"));

    Map<String, Object> claims = TestTokens.claims("worker", "worker", "trips", Instant.now(), 300);
    claims.put("jti", "replay-jti-1");
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
      assertEquals(1, h.handlerRuns());
      // Sanity: replay protection is on before the reload.
      StatusRuntimeException first =
          expectFailure(() -> h.stub(md).worker(Req.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, first.getStatus().getCode());

      // An operator edits the signed_token section itself: the source is rebuilt.
      Files.writeString(file, config("trips-api", "trip-finisher, auditor"));
      assertTrue(g.get().reloadNow());

      StatusRuntimeException e = expectFailure(() -> h.stub(md).worker(Req.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
      assertEquals(1, h.handlerRuns());
    } finally {
      if (g.get() != null) {
        g.get().close();
      }
    }
  }
}
