package dev.gatehouse.trust.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigSectionProvider;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code jwks_fetch_timeout_ms} and {@code replay_cache_size}: defaults, limits, errors. */
class JwtTuningConfigTest {
  @TempDir Path dir;

  private static final ConfigSections SECTIONS =
      ConfigSections.of(UserJwtSection.provider(), SignedTokenSection.provider());

  private static final String USERS =
      "user_jwt:\n  issuers:\n    - { issuer: i, jwks_uri: \"http://127.0.0.1:9/j\", audiences: [a] }\n";
  private static final String SERVICES =
      "internal:\n  signed_token:\n    issuers: [{ issuer: w, jwks_uri: \"http://127.0.0.1:9/w\" }]\n";

  private GatehouseConfig parse(String yaml) {
    return GatehouseConfig.parse("service_name: trips\n" + yaml, dir, SECTIONS);
  }

  private ConfigException fails(String yaml) {
    return assertThrows(ConfigException.class, () -> parse(yaml));
  }

  private UserJwtSection users(String yaml) {
    return parse(yaml).section(UserJwtSection.provider()).orElseThrow();
  }

  private SignedTokenSection services(String yaml) {
    return parse(yaml).section(SignedTokenSection.provider()).orElseThrow();
  }

  @Test
  void defaults_twoSecondFetchAndHundredThousandTokens() {
    assertEquals(Duration.ofSeconds(2), users(USERS).fetchTimeout());
    assertEquals(Duration.ofSeconds(2), services(SERVICES).fetchTimeout());
    assertEquals(100_000, services(SERVICES).replayCacheSize());
  }

  @Test
  void fetchTimeout_setPerSection() {
    assertEquals(
        Duration.ofMillis(500), users(USERS + "  jwks_fetch_timeout_ms: 500\n").fetchTimeout());
    assertEquals(
        Duration.ofSeconds(30),
        services(SERVICES + "    jwks_fetch_timeout_ms: 30000\n").fetchTimeout());
  }

  @Test
  void fetchTimeout_outsideLimits_refusedNamingTheField() {
    for (String v : new String[] {"49", "30001", "0", "-1", "\"2s\"", "1.5"}) {
      ConfigException e = fails(USERS + "  jwks_fetch_timeout_ms: " + v + "\n");
      assertEquals("user_jwt.jwks_fetch_timeout_ms", e.field(), v);
    }
    assertEquals(
        "internal.signed_token.jwks_fetch_timeout_ms",
        fails(SERVICES + "    jwks_fetch_timeout_ms: 10\n").field());
  }

  @Test
  void replayCacheSize_setAndLimited() {
    assertEquals(1, services(SERVICES + "    replay_cache_size: 1\n").replayCacheSize());
    assertEquals(
        10_000_000, services(SERVICES + "    replay_cache_size: 10000000\n").replayCacheSize());
    for (String v : new String[] {"0", "10000001", "-5", "\"big\""}) {
      ConfigException e = fails(SERVICES + "    replay_cache_size: " + v + "\n");
      assertEquals("internal.signed_token.replay_cache_size", e.field(), v);
    }
  }

  @Test
  void replayCacheSize_fromTheFile_boundsTheSourceBuilt() throws Exception {
    ECKey worker = TestTokens.ecKey("w-1");
    Files.writeString(dir.resolve("worker.jwks.json"), new JWKSet(worker.toPublicJWK()).toString());
    String yaml =
        """
        internal:
          signed_token:
            replay_protection: true
            replay_cache_size: 1
            issuers: [{ issuer: worker, jwks_file: worker.jwks.json }]
        """;
    GatehouseConfig config = parse(yaml);
    SignedTokenSection section = config.section(SignedTokenSection.provider()).orElseThrow();
    SignedTokenTrustSource source =
        (SignedTokenTrustSource)
            SignedTokenSection.provider().create(section, config, Optional.empty());
    List<AuditEvent> audit = new CopyOnWriteArrayList<>();
    try (ProbeHarness harness =
        ProbeHarness.start(
            h ->
                Gatehouse.newBuilder()
                    .addService(h.service())
                    .userAuthenticator(TestSupport.noUsers())
                    .addTrustSource(source)
                    .auditListener(audit::add)
                    .build())) {
      assertEquals(
          "Worker", harness.stub(bearer(worker, "a")).worker(Req.getDefaultInstance()).getText());
      StatusRuntimeException e =
          ProbeHarness.expectFailure(
              () -> harness.stub(bearer(worker, "b")).worker(Req.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
      assertEquals(1, harness.handlerRuns());
      String detail = audit.get(audit.size() - 1).detail();
      assertTrue(detail.contains("replay cache full"), detail);
    } finally {
      source.close();
    }
  }

  @Test
  void replayCacheSize_changedOnReload_refusedAsRestartOnly() throws Exception {
    ECKey worker = TestTokens.ecKey("w-1");
    Files.writeString(dir.resolve("worker.jwks.json"), new JWKSet(worker.toPublicJWK()).toString());
    String before =
        "internal:\n  signed_token:\n    issuers: [{ issuer: worker, jwks_file: worker.jwks.json }]\n";
    GatehouseConfig c1 = parse(before);
    GatehouseConfig c2 = parse(before + "    replay_cache_size: 500\n");
    SignedTokenSection s1 = c1.section(SignedTokenSection.provider()).orElseThrow();
    SignedTokenSection s2 = c2.section(SignedTokenSection.provider()).orElseThrow();
    try (var source = SignedTokenSection.provider().create(s1, c1, Optional.empty())) {
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () ->
                  SignedTokenSection.provider()
                      .create(
                          s2, c2, Optional.of(new ConfigSectionProvider.Previous<>(s1, source))));
      assertEquals("internal.signed_token.replay_cache_size", e.field());
    }
  }

  private static Metadata bearer(ECKey key, String jti) {
    Map<String, Object> claims = TestTokens.claims("worker", "worker", "trips", Instant.now(), 300);
    claims.put("jti", jti);
    Metadata md = new Metadata();
    md.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + TestTokens.sign(key, TestTokens.header("ES256", key.getKeyID()), claims));
    return md;
  }
}
