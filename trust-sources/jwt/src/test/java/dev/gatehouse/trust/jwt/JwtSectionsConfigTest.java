package dev.gatehouse.trust.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing of {@code user_jwt} and {@code internal.signed_token} by their providers. */
class JwtSectionsConfigTest {
  @TempDir Path dir;

  private static final String FULL =
      """
      service_name: trips
      clock_skew_seconds: 30
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
      """;

  private static final ConfigSections SECTIONS =
      ConfigSections.of(UserJwtSection.provider(), SignedTokenSection.provider());

  @BeforeEach
  void files() throws Exception {
    Files.writeString(dir.resolve("billing.jwks.json"), "{\"keys\":[]}");
  }

  private GatehouseConfig parse(String yaml) {
    return GatehouseConfig.parse(yaml, dir, SECTIONS);
  }

  private ConfigException fails(String yaml) {
    return assertThrows(ConfigException.class, () -> parse(yaml));
  }

  @Test
  void parse_designExample_allFieldsRead() {
    GatehouseConfig c = parse(FULL);
    UserJwtSection user = c.section(UserJwtSection.provider()).orElseThrow();
    assertEquals("realm_access.roles", user.rolesClaim());
    assertEquals("scp", user.scopesClaim());
    assertEquals(List.of("trips-api"), user.issuers().get(0).audiences());
    assertEquals(List.of("ES256", "RS256", "PS256"), user.issuers().get(0).algorithms());
    assertEquals(Duration.ofSeconds(30), user.clockSkew());
    SignedTokenSection st = c.section(SignedTokenSection.provider()).orElseThrow();
    assertEquals(Duration.ofMinutes(15), st.maxTtl());
    assertEquals(List.of("trip-finisher"), st.issuers().get(0).roles());
    assertEquals(Optional.empty(), st.issuers().get(0).replayProtection());
    assertEquals(Optional.of(true), st.issuers().get(1).replayProtection());
    assertEquals(
        Optional.of(dir.resolve("billing.jwks.json")), st.issuers().get(1).keys().jwksFile());
    assertEquals("trips", st.serviceName());
  }

  @Test
  void parse_maxTtlLimit_enforced() {
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
  void parse_typoOfKeySourceField_namesTheUnknownFieldAndSuggests() {
    ConfigException url =
        fails(
            "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, audiences: [a],"
                + " jwks_url: \"https://x/j\" }\n");
    assertEquals("user_jwt.issuers[0].jwks_url", url.field());
    assertTrue(url.getMessage().contains("did you mean jwks_uri?"), url.getMessage());
    ConfigException file =
        fails(
            "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, audiences: [a],"
                + " jwks_fle: billing.jwks.json }\n");
    assertEquals("user_jwt.issuers[0].jwks_fle", file.field());
    assertTrue(file.getMessage().contains("did you mean jwks_file?"), file.getMessage());
  }

  @Test
  void parse_hostNamesNeverResolved_refused() {
    assertEquals(
        "user_jwt.issuers[0].jwks_uri",
        fails(
                "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, jwks_uri:"
                    + " \"http://localhost:9/jwks\", audiences: [a] }\n")
            .field());
  }

  @Test
  void parse_httpLocalhost_refusedAdvising127001() {
    ConfigException e =
        fails(
            "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, jwks_uri:"
                + " \"http://localhost:9/jwks\", audiences: [a] }\n");
    assertTrue(e.getMessage().contains("write 127.0.0.1 instead of localhost"), e.getMessage());
    ConfigException other =
        fails(
            "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, jwks_uri:"
                + " \"http://idp.example/jwks\", audiences: [a] }\n");
    assertFalse(other.getMessage().contains("127.0.0.1"), other.getMessage());
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
    assertEquals(
        "internal.signed_token.issuers[0].issuer: issuer i is also a user_jwt issuer; one issuer"
            + " cannot be both",
        e.getMessage());
  }

  @Test
  void parse_issuerListedTwice_refused() {
    assertEquals(
        "internal.signed_token.issuers[1].issuer",
        fails(
                """
                service_name: a
                internal:
                  signed_token:
                    issuers:
                      - { issuer: w, jwks_file: billing.jwks.json }
                      - { issuer: w, jwks_file: billing.jwks.json }
                """)
            .field());
  }

  @Test
  void parse_jwksFileMissing_refused() {
    assertEquals(
        "user_jwt.issuers[0].jwks_file",
        fails(
                "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, jwks_file: nope.json,"
                    + " audiences: [a] }\n")
            .field());
  }

  @Test
  void parse_unknownIssuerField_namesPath() {
    assertEquals(
        "user_jwt.issuers[0].audience",
        fails(
                "service_name: a\nuser_jwt:\n  issuers:\n    - { issuer: i, jwks_file: billing.jwks.json,"
                    + " audiences: [a], audience: b }\n")
            .field());
  }
}
