package dev.gatehouse.trust.spiffe;

import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.jwk.ECKey;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code internal.spiffe_jwt.audience} and {@code jwks_fetch_timeout_ms} from the file. */
class SpiffeJwtAudienceConfigTest {
  private static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  private static final String AUDIENCE = "spiffe://example.org/trips";

  @TempDir Path dir;

  private static final ConfigSections SECTIONS = ConfigSections.of(SpiffeJwtSection.provider());

  private GatehouseConfig parse(String extra) throws Exception {
    return GatehouseConfig.parse(
        "service_name: trips\ninternal:\n  spiffe_jwt:\n"
            + "    bundles: [{ trust_domain: example.org, jwks_file: bundle.json }]\n"
            + "    allow: [{ identity: \""
            + WORKER
            + "\" }]\n"
            + extra,
        dir,
        SECTIONS);
  }

  private SpiffeJwtSection section(String extra) throws Exception {
    return parse(extra).section(SpiffeJwtSection.provider()).orElseThrow();
  }

  @Test
  void audience_defaultsToServiceName() throws Exception {
    Files.writeString(dir.resolve("bundle.json"), "{\"keys\":[]}");
    SpiffeJwtSection s = section("");
    assertEquals("trips", s.audience());
    assertEquals(Duration.ofSeconds(2), s.fetchTimeout());
    assertEquals(AUDIENCE, section("    audience: \"" + AUDIENCE + "\"\n").audience());
    assertEquals(
        Duration.ofMillis(750), section("    jwks_fetch_timeout_ms: 750\n").fetchTimeout());
  }

  @Test
  void audienceOrTimeoutInvalid_refusedNamingTheField() throws Exception {
    Files.writeString(dir.resolve("bundle.json"), "{\"keys\":[]}");
    for (String bad : new String[] {"\"\"", "\" padded\"", "[a]", "3"}) {
      ConfigException e =
          assertThrows(ConfigException.class, () -> parse("    audience: " + bad + "\n"));
      assertEquals("internal.spiffe_jwt.audience", e.field(), bad);
    }
    ConfigException e =
        assertThrows(ConfigException.class, () -> parse("    jwks_fetch_timeout_ms: 40000\n"));
    assertEquals("internal.spiffe_jwt.jwks_fetch_timeout_ms", e.field());
  }

  @Test
  void audience_fromFile_isWhatTheSvidMustName() throws Exception {
    ECKey key = TestTokens.ecKey("td-1");
    Files.writeString(dir.resolve("bundle.json"), SpiffeJwtEndToEndTest.spiffeBundle(key));
    GatehouseConfig config = parse("    audience: \"" + AUDIENCE + "\"\n");
    SpiffeJwtSection section = config.section(SpiffeJwtSection.provider()).orElseThrow();
    SpiffeJwtTrustSource source =
        (SpiffeJwtTrustSource)
            SpiffeJwtSection.provider().create(section, config, Optional.empty());
    try (ProbeHarness harness =
        ProbeHarness.start(
            h ->
                Gatehouse.newBuilder()
                    .addService(h.service())
                    .userAuthenticator(TestSupport.noUsers())
                    .addTrustSource(source)
                    .build())) {
      assertEquals(
          "Worker", harness.stub(bearer(key, AUDIENCE)).worker(Req.getDefaultInstance()).getText());
      StatusRuntimeException e =
          ProbeHarness.expectFailure(
              () -> harness.stub(bearer(key, "trips")).worker(Req.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
      assertEquals(1, harness.handlerRuns());
    } finally {
      source.close();
    }
  }

  private static Metadata bearer(ECKey key, String aud) {
    Instant now = Instant.now();
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("sub", WORKER);
    c.put("aud", aud);
    c.put("iat", now.getEpochSecond());
    c.put("exp", now.getEpochSecond() + 300);
    Metadata md = new Metadata();
    md.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + sign(key, header("ES256", key.getKeyID()), c));
    return md;
  }
}
