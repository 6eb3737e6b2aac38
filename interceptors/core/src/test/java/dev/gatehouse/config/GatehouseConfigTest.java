package dev.gatehouse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.config.GatehouseConfig.MeshFormat;
import dev.gatehouse.config.GatehouseConfig.OverrideMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GatehouseConfigTest {
  @TempDir Path dir;

  private static final String FULL =
      """
      service_name: trips
      dev_mode: true
      clock_skew_seconds: 30
      overrides:
        - { method: "grpc.health.v1.Health/*", mode: public }
      user_jwt:
        issuers:
          - { issuer: "https://idp.test", jwks_uri: "http://127.0.0.1:9000/jwks.json", audiences: [trips-api] }
        roles_claim: realm_access.roles
        scopes_claim: scp
      internal:
        signed_token:
          header: authorization
          max_ttl_seconds: 900
          replay_protection: false
          issuers:
            - { issuer: worker, jwks_uri: "http://127.0.0.1:9001/jwks.json", roles: [trip-finisher], scopes: [], cluster_ids: [] }
            - { issuer: billing, jwks_file: billing.jwks.json, replay_protection: true, algorithms: [ES256] }
        mesh_identity:
          header: x-forwarded-client-cert
          format: XFCC
          trusted_proxies: ["127.0.0.1/32", "::1/128"]
          expected_by: "spiffe://cluster.local/ns/trips/sa/trips"
          require_single_element: false
          allow:
            - { identity: "spiffe://cluster.local/ns/trips/sa/worker", roles: [trip-finisher] }
        shared_secret:
          header: x-internal-secret
          secret_file: dev-secret.txt
          roles: []
      """;

  @BeforeEach
  void files() throws Exception {
    Files.writeString(dir.resolve("billing.jwks.json"), "{\"keys\":[]}");
    Files.writeString(dir.resolve("dev-secret.txt"), "0123456789abcdef0123456789abcdef\n");
  }

  private GatehouseConfig parse(String yaml) {
    return GatehouseConfig.parse(yaml, dir);
  }

  private ConfigException fails(String yaml) {
    return assertThrows(ConfigException.class, () -> parse(yaml));
  }

  @Test
  void parse_designExample_allFieldsRead() {
    GatehouseConfig c = parse(FULL);
    assertEquals("trips", c.serviceName());
    assertTrue(c.devMode());
    assertFalse(c.dryRun());
    assertEquals(Duration.ofSeconds(30), c.clockSkew());
    assertEquals("grpc.health.v1.Health/*", c.overrides().get(0).method());
    assertEquals(OverrideMode.PUBLIC, c.overrides().get(0).mode());
    var user = c.userJwt().orElseThrow();
    assertEquals("realm_access.roles", user.rolesClaim());
    assertEquals("scp", user.scopesClaim());
    assertEquals(List.of("trips-api"), user.issuers().get(0).audiences());
    assertEquals(List.of("ES256", "RS256", "PS256"), user.issuers().get(0).algorithms());
    var st = c.signedToken().orElseThrow();
    assertEquals(Duration.ofMinutes(15), st.maxTtl());
    assertEquals(List.of("trip-finisher"), st.issuers().get(0).roles());
    assertEquals(Optional.empty(), st.issuers().get(0).replayProtection());
    assertEquals(Optional.of(true), st.issuers().get(1).replayProtection());
    assertEquals(
        Optional.of(dir.resolve("billing.jwks.json")), st.issuers().get(1).keys().jwksFile());
    var mesh = c.meshIdentity().orElseThrow();
    assertEquals(MeshFormat.XFCC, mesh.format());
    assertEquals(List.of("127.0.0.1/32", "::1/128"), mesh.trustedProxies());
    assertEquals("spiffe://cluster.local/ns/trips/sa/worker", mesh.allow().get(0).identity());
    assertEquals(dir.resolve("dev-secret.txt"), c.sharedSecret().orElseThrow().secretFile());
  }

  @Test
  void parse_minimal_defaults() {
    GatehouseConfig c = parse("service_name: trips\n");
    assertFalse(c.devMode());
    assertEquals(Duration.ofSeconds(30), c.clockSkew());
    assertTrue(c.userJwt().isEmpty());
    assertTrue(c.signedToken().isEmpty());
    GatehouseConfig m =
        parse(
            "service_name: t\ninternal:\n  mesh_identity:\n    trusted_proxies: [\"10.0.0.0/8\"]\n");
    assertEquals("x-forwarded-client-cert", m.meshIdentity().orElseThrow().header());
    assertEquals(MeshFormat.XFCC, m.meshIdentity().orElseThrow().format());
    assertFalse(m.meshIdentity().orElseThrow().requireSingleElement());
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
  void parse_unknownNestedField_namesPath() {
    ConfigException e =
        fails(
            """
            service_name: a
            internal:
              mesh_identity:
                trusted_proxies: ["::1/128"]
                allow:
                  - { identity: x, role: [a] }
            """);
    assertEquals("internal.mesh_identity.allow[0].role", e.field());
  }

  @Test
  void parse_duplicateKey_refused() {
    ConfigException e = fails("service_name: a\nservice_name: b\n");
    assertTrue(e.getMessage().contains("duplicate"), e.getMessage());
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
  }

  @Test
  void parse_limits_enforced() {
    assertEquals("clock_skew_seconds", fails("service_name: a\nclock_skew_seconds: 121\n").field());
    assertEquals(
        "internal.signed_token.max_ttl_seconds",
        fails(
                """
                service_name: a
                internal:
                  signed_token:
                    max_ttl_seconds: 3601
                    issuers: [{issuer: w, jwks_file: billing.jwks.json}]
                """)
            .field());
  }

  @Test
  void parse_missingServiceName_refused() {
    assertEquals("service_name", fails("dev_mode: false\n").field());
  }

  @Test
  void parse_sharedSecretWithoutDevMode_refused() {
    ConfigException e =
        fails("service_name: a\ninternal:\n  shared_secret:\n    secret_file: dev-secret.txt\n");
    assertEquals("internal.shared_secret", e.field());
  }

  @Test
  void parse_shortSecret_refusedWithoutQuotingIt() throws Exception {
    Files.writeString(dir.resolve("short.txt"), "tooshort-but-31-bytes-long-abcd\n\n");
    ConfigException e =
        fails(
            """
            service_name: a
            dev_mode: true
            internal:
              shared_secret:
                secret_file: short.txt
            """);
    assertEquals("internal.shared_secret.secret_file", e.field());
    assertFalse(e.getMessage().contains("tooshort"));
  }

  @Test
  void parse_unreadableSecretFile_refused() {
    assertEquals(
        "internal.shared_secret.secret_file",
        fails(
                """
                service_name: a
                dev_mode: true
                internal:
                  shared_secret:
                    secret_file: missing.txt
                """)
            .field());
  }

  @Test
  void parse_httpJwksOffLoopback_refused() {
    ConfigException e =
        fails(
            "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, jwks_uri: \"http://idp.example/jwks\","
                + " audiences: [a] }\n");
    assertEquals("user_jwt.issuers[0].jwks_uri", e.field());
    for (String host : List.of("localhost", "localhost:9", "127.0.0.1.nip.io", "[::2]")) {
      assertEquals(
          "user_jwt.issuers[0].jwks_uri",
          fails(
                  "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, jwks_uri: \"http://"
                      + host
                      + "/jwks\", audiences: [a] }\n")
              .field(),
          host);
    }
    parse(
        "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, jwks_uri: \"http://127.0.0.1:9/jwks\","
            + " audiences: [a] }\n");
    parse(
        "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, jwks_uri: \"http://[::1]:9/jwks\","
            + " audiences: [a] }\n");
    parse(
        "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, jwks_uri: \"https://idp.example/jwks\","
            + " audiences: [a] }\n");
  }

  @Test
  void parse_bothOrNeitherKeySource_refused() {
    assertEquals(
        "user_jwt.issuers[0].jwks_uri",
        fails("service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, audiences: [a] }\n")
            .field());
    assertEquals(
        "user_jwt.issuers[0].jwks_uri",
        fails(
                "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, audiences: [a],"
                    + " jwks_file: billing.jwks.json, jwks_uri: \"https://x/j\" }\n")
            .field());
  }

  @Test
  void parse_badCidr_namesEntry() {
    assertEquals(
        "internal.mesh_identity.trusted_proxies[1]",
        fails(
                """
                service_name: a
                internal:
                  mesh_identity:
                    trusted_proxies: ["127.0.0.1/32", "proxy.local/32"]
                """)
            .field());
    assertEquals(
        "internal.mesh_identity.trusted_proxies[0]",
        fails("service_name: a\ninternal:\n  mesh_identity:\n    trusted_proxies: [\"::1/129\"]\n")
            .field());
  }

  @Test
  void parse_hostNamesNeverResolved_refused() {
    assertEquals(
        "internal.mesh_identity.trusted_proxies[0]",
        fails("service_name: a\ninternal:\n  mesh_identity:\n    trusted_proxies: [\"cafe/16\"]\n")
            .field());
    assertEquals(
        "user_jwt.issuers[0].jwks_uri",
        fails(
                "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, jwks_uri:"
                    + " \"http://localhost:9/jwks\", audiences: [a] }\n")
            .field());
  }

  @Test
  void parse_ipv4MappedCidr_accepted() {
    assertEquals(
        List.of("::ffff:10.0.0.0/104"),
        parse(
                """
                service_name: a
                internal:
                  mesh_identity:
                    trusted_proxies: ["::ffff:10.0.0.0/104"]
                """)
            .meshIdentity()
            .orElseThrow()
            .trustedProxies());
  }

  @Test
  void parse_meshWithoutTrustedProxies_refused() {
    assertEquals(
        "internal.mesh_identity.trusted_proxies",
        fails("service_name: a\ninternal:\n  mesh_identity:\n    format: XFCC\n").field());
  }

  @Test
  void parse_unsupportedAlgorithm_refused() {
    assertEquals(
        "user_jwt.issuers[0].algorithms[0]",
        fails(
                "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, jwks_file: billing.jwks.json,"
                    + " audiences: [a], algorithms: [HS256] }\n")
            .field());
  }

  @Test
  void parse_sameIssuerUserAndService_refused() {
    ConfigException e =
        fails(
            "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, jwks_file: billing.jwks.json,"
                + " audiences: [a] }\ninternal:\n  signed_token:\n    issuers:\n"
                + "      - { issuer: i, jwks_file: billing.jwks.json }\n");
    assertEquals("internal.signed_token.issuers[0].issuer", e.field());
  }

  @Test
  void parse_overrideModeGated_refused() {
    assertEquals(
        "overrides[0].mode",
        fails("service_name: a\noverrides:\n  - { method: \"a.B/*\", mode: gated }\n").field());
  }

  @Test
  void parse_spiffeSections_read() throws Exception {
    Files.writeString(dir.resolve("ca.pem"), "placeholder");
    GatehouseConfig c =
        parse(
            """
            service_name: a
            internal:
              peer_certificate:
                trust_bundles: [{ trust_domain: cluster.local, ca_file: ca.pem }]
                allow:
                  - { identity: "spiffe://cluster.local/ns/a/sa/w", roles: [r] }
                  - { trust_domain: cluster.local }
              spiffe_jwt:
                header: x-jwt-svid
                bundles: [{ trust_domain: cluster.local, jwks_file: billing.jwks.json }]
                allow: [{ trust_domain: cluster.local, scopes: [s] }]
              signed_token:
                issuers: [{ issuer: w, jwks_file: billing.jwks.json }]
            """);
    var peer = c.peerCertificate().orElseThrow();
    assertEquals(dir.resolve("ca.pem"), peer.trustBundles().get(0).caFile());
    assertEquals(Optional.of("cluster.local"), peer.allow().get(1).trustDomain());
    var jwt = c.spiffeJwt().orElseThrow();
    assertEquals("x-jwt-svid", jwt.header());
    assertEquals(List.of("s"), jwt.allow().get(0).scopes());
  }

  @Test
  void parse_spiffeSections_strict() throws Exception {
    Files.writeString(dir.resolve("ca.pem"), "placeholder");
    assertEquals(
        "internal.spiffe_jwt.bundles",
        fails("service_name: a\ninternal:\n  spiffe_jwt: {}\n").field());
    assertEquals(
        "internal.peer_certificate.trust_bundles[0].trust_domain",
        fails(
                """
                service_name: a
                internal:
                  peer_certificate:
                    trust_bundles: [{ trust_domain: Cluster.Local, ca_file: ca.pem }]
                    allow: [{ trust_domain: cluster.local }]
                """)
            .field());
    assertEquals(
        "internal.peer_certificate.allow[0].identity",
        fails(
                """
                service_name: a
                internal:
                  peer_certificate:
                    trust_bundles: [{ trust_domain: td, ca_file: ca.pem }]
                    allow: [{ trust_domain: td, identity: "spiffe://td/x" }]
                """)
            .field());
    assertEquals(
        "internal.peer_certificate.trust_bundles[0].ca_file",
        fails(
                """
                service_name: a
                internal:
                  peer_certificate:
                    trust_bundles: [{ trust_domain: td, ca_file: missing.pem }]
                    allow: [{ trust_domain: td }]
                """)
            .field());
    // Both token sources on one header: one would refuse the other's credential.
    assertEquals(
        "internal.spiffe_jwt.header",
        fails(
                """
                service_name: a
                internal:
                  spiffe_jwt:
                    bundles: [{ trust_domain: td, jwks_file: billing.jwks.json }]
                    allow: [{ trust_domain: td }]
                  signed_token:
                    issuers: [{ issuer: w, jwks_file: billing.jwks.json }]
                """)
            .field());
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
  void load_file_resolvesRelativePaths() throws Exception {
    Path f = dir.resolve("gatehouse.yaml");
    Files.write(f, FULL.getBytes(StandardCharsets.UTF_8));
    GatehouseConfig c = GatehouseConfig.load(f);
    assertEquals(dir.resolve("dev-secret.txt"), c.sharedSecret().orElseThrow().secretFile());
  }
}
