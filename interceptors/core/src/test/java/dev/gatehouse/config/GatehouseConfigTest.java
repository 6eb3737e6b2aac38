package dev.gatehouse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.config.GatehouseConfig.OverrideMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The top level of the file, parsed by the core alone (sections are tested with their family). */
class GatehouseConfigTest {
  @TempDir Path dir;

  private static final String TOP =
      """
      service_name: trips
      dev_mode: true
      dry_run: true
      clock_skew_seconds: 30
      overrides:
        - { method: "grpc.health.v1.Health/*", mode: public }
        - { method: "a.B/C", mode: internal }
      """;

  private GatehouseConfig parse(String yaml) {
    return GatehouseConfig.parse(yaml, dir);
  }

  private ConfigException fails(String yaml) {
    return assertThrows(ConfigException.class, () -> parse(yaml));
  }

  @Test
  void parse_topLevelOnly_coreAloneReadsAllFields() {
    GatehouseConfig c = parse(TOP);
    assertEquals("trips", c.serviceName());
    assertTrue(c.devMode());
    assertTrue(c.dryRun());
    assertEquals(Duration.ofSeconds(30), c.clockSkew());
    assertEquals("grpc.health.v1.Health/*", c.overrides().get(0).method());
    assertEquals(OverrideMode.PUBLIC, c.overrides().get(0).mode());
    assertEquals(OverrideMode.INTERNAL, c.overrides().get(1).mode());
    assertTrue(c.sections().isEmpty());
  }

  @Test
  void parse_minimal_defaults() {
    GatehouseConfig c = parse("service_name: trips\n");
    assertFalse(c.devMode());
    assertFalse(c.dryRun());
    assertEquals(Duration.ofSeconds(30), c.clockSkew());
    assertTrue(c.overrides().isEmpty());
    assertTrue(c.section("user_jwt").isEmpty());
    assertTrue(c.section("internal.signed_token").isEmpty());
  }

  @Test
  void parse_json_acceptedAsYaml() {
    GatehouseConfig c =
        parse("{\"service_name\": \"trips\", \"dev_mode\": false, \"clock_skew_seconds\": 10}");
    assertEquals(Duration.ofSeconds(10), c.clockSkew());
  }

  @Test
  void parse_unknownTopLevelField_namesIt() {
    assertEquals("servce_name", fails("service_name: a\nservce_name: b\n").field());
  }

  @Test
  void parse_unknownInternalKey_namesIt() {
    ConfigException e = fails("service_name: a\ninternal:\n  mesh_identty: {}\n");
    assertEquals("internal.mesh_identty", e.field());
    assertTrue(e.getMessage().contains("unknown field"), e.getMessage());
  }

  @Test
  void parse_documentedSectionWithoutProvider_refusedNamingFieldAndArtifact() {
    ConfigException user =
        fails(
            "service_name: a\nuser_jwt:\n  issuers: [{ issuer: i, jwks_uri: \"https://x/j\","
                + " audiences: [a] }]\n");
    assertEquals("user_jwt", user.field());
    assertTrue(user.getMessage().contains("gatehouse-trust-jwt"), user.getMessage());
    assertTrue(user.getMessage().contains("UserJwtSection.provider()"), user.getMessage());
    for (String[] c :
        new String[][] {
          {"signed_token", "gatehouse-trust-jwt"},
          {"peer_certificate", "gatehouse-trust-spiffe"},
          {"spiffe_jwt", "gatehouse-trust-spiffe"},
          {"mesh_identity", "gatehouse-trust-mesh"},
          {"shared_secret", "gatehouse-trust-insecure"}
        }) {
      ConfigException e = fails("service_name: a\ninternal:\n  " + c[0] + ": {}\n");
      assertEquals("internal." + c[0], e.field());
      assertTrue(e.getMessage().contains("no provider is registered"), e.getMessage());
      assertTrue(e.getMessage().contains(c[1]), e.getMessage());
    }
  }

  @Test
  void parse_typoOfRequiredField_namesTheUnknownFieldAndSuggests() {
    ConfigException e = fails("service_nmae: a\n");
    assertEquals("service_nmae", e.field());
    assertTrue(
        e.getMessage().contains("unknown field (did you mean service_name?)"), e.getMessage());
    ConfigException missing = fails("dev_mode: false\n");
    assertEquals("service_name", missing.field());
    assertTrue(missing.getMessage().contains("is required"), missing.getMessage());
  }

  @Test
  void parse_duplicateKey_refused() {
    ConfigException e = fails("service_name: a\nservice_name: b\n");
    assertTrue(e.getMessage().contains("duplicate"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(ints = {17, 5_000, 50_000})
  void parse_deeplyNestedFlowCollections_refusedNotAnError(int depth) {
    ConfigException e =
        fails("service_name: a\nx: " + "[".repeat(depth) + "]".repeat(depth) + "\n");
    assertEquals("", e.field());
    assertEquals("config is nested more than 16 levels deep", e.getMessage());
  }

  @Test
  void parse_deeplyNestedBlockSequences_refusedNotAnError() {
    ConfigException e = fails("service_name: a\nx:\n  " + "- ".repeat(20_000) + "z\n");
    assertEquals("config is nested more than 16 levels deep", e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(strings = {"on", "off", "yes", "no", "\"true\"", "1", "True"})
  void parse_yaml11Boolean_refused(String value) {
    assertEquals("dev_mode", fails("service_name: a\ndev_mode: " + value + "\n").field());
  }

  @Test
  void parse_wrongTypes_namesField() {
    assertEquals(
        "clock_skew_seconds", fails("service_name: a\nclock_skew_seconds: \"30\"\n").field());
    assertEquals("clock_skew_seconds", fails("service_name: a\nclock_skew_seconds: 1.5\n").field());
    assertEquals("service_name", fails("service_name: [a]\n").field());
    assertEquals("overrides", fails("service_name: a\noverrides: {}\n").field());
    assertEquals("internal", fails("service_name: a\ninternal: [a]\n").field());
  }

  @Test
  void parse_limits_enforced() {
    assertEquals("clock_skew_seconds", fails("service_name: a\nclock_skew_seconds: 121\n").field());
    assertEquals("clock_skew_seconds", fails("service_name: a\nclock_skew_seconds: -1\n").field());
  }

  @Test
  void parse_missingServiceName_refused() {
    assertEquals("service_name", fails("dev_mode: false\n").field());
  }

  @Test
  void parse_overrideModeGated_refused() {
    assertEquals(
        "overrides[0].mode",
        fails("service_name: a\noverrides:\n  - { method: \"a.B/*\", mode: gated }\n").field());
  }

  @Test
  void parse_overrideTwice_refused() {
    ConfigException e =
        fails(
            """
            service_name: a
            overrides:
              - { method: "a.B/*", mode: public }
              - { method: "a.B/*", mode: internal }
            """);
    assertEquals("overrides[1].method", e.field());
  }

  @Test
  void parse_twoDocumentsOrGarbage_refused() {
    fails("service_name: a\n---\nservice_name: b\n");
    fails("service_name: [a\n");
    fails("");
    fails("- a\n- b\n");
  }

  @Test
  void parse_aliasBomb_refused() {
    StringBuilder sb = new StringBuilder("a: &a [x,x,x,x,x,x,x,x,x,x]\n");
    for (char c = 'b'; c <= 'k'; c++) {
      char p = (char) (c - 1);
      sb.append(c).append(": &").append(c).append(" [*").append(p);
      sb.append(",*").append(p).append(",*").append(p).append("]\n");
    }
    sb.append("service_name: x\n");
    fails(sb.toString());
  }

  @Test
  void load_unreadableFile_refused() {
    assertThrows(ConfigException.class, () -> GatehouseConfig.load(dir.resolve("nope.yaml")));
  }

  @Test
  void load_file_readsTopLevel() throws Exception {
    Path f = dir.resolve("gatehouse.yaml");
    Files.write(f, TOP.getBytes(StandardCharsets.UTF_8));
    GatehouseConfig c = GatehouseConfig.load(f);
    assertEquals("trips", c.serviceName());
    assertEquals(c, GatehouseConfig.load(f, ConfigSections.none()));
  }
}
