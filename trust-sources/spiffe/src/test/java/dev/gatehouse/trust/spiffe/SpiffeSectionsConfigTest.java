package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.trust.jwt.SignedTokenSection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing of {@code internal.peer_certificate} and {@code internal.spiffe_jwt}. */
class SpiffeSectionsConfigTest {
  @TempDir Path dir;

  private static final ConfigSections SECTIONS =
      ConfigSections.of(
          PeerCertificateSection.provider(),
          SpiffeJwtSection.provider(),
          SignedTokenSection.provider());

  @BeforeEach
  void files() throws Exception {
    Files.writeString(dir.resolve("billing.jwks.json"), "{\"keys\":[]}");
    Files.writeString(dir.resolve("ca.pem"), "placeholder");
  }

  private GatehouseConfig parse(String yaml) {
    return GatehouseConfig.parse(yaml, dir, SECTIONS);
  }

  private ConfigException fails(String yaml) {
    return assertThrows(ConfigException.class, () -> parse(yaml));
  }

  @Test
  void parse_spiffeSections_read() {
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
    PeerCertificateSection peer = c.section(PeerCertificateSection.provider()).orElseThrow();
    assertEquals(dir.resolve("ca.pem"), peer.trustBundles().get(0).caFile());
    assertEquals(Optional.of("cluster.local"), peer.allow().get(1).trustDomain());
    SpiffeJwtSection jwt = c.section(SpiffeJwtSection.provider()).orElseThrow();
    assertEquals("x-jwt-svid", jwt.header());
    assertEquals(List.of("s"), jwt.allow().get(0).scopes());
    assertEquals(List.of("ES256", "RS256", "PS256"), jwt.algorithms());
  }

  @Test
  void parse_spiffeSections_strict() {
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
    ConfigException shared =
        fails(
            """
            service_name: a
            internal:
              spiffe_jwt:
                bundles: [{ trust_domain: td, jwks_file: billing.jwks.json }]
                allow: [{ trust_domain: td }]
              signed_token:
                issuers: [{ issuer: w, jwks_file: billing.jwks.json }]
            """);
    assertEquals("internal.spiffe_jwt.header", shared.field());
    assertEquals(
        "internal.spiffe_jwt.header: spiffe_jwt and signed_token both read authorization; give"
            + " one of them its own header (a credential one source refuses would never reach the"
            + " other)",
        shared.getMessage());
  }

  @Test
  void parse_trustDomainRules_areTrustDomainsOwn() {
    String longName = "a".repeat(TrustDomain.MAX_LENGTH + 1);
    for (String td : List.of("Upper.case", "spiffe://td", longName, "td/x")) {
      assertEquals(
          "internal.spiffe_jwt.bundles[0].trust_domain",
          fails(
                  "service_name: a\ninternal:\n  spiffe_jwt:\n    header: x-svid\n"
                      + "    bundles: [{ trust_domain: \""
                      + td
                      + "\", jwks_file: billing.jwks.json }]\n"
                      + "    allow: [{ trust_domain: td }]\n")
              .field(),
          td);
    }
  }

  @Test
  void parse_trustDomainListedTwice_refused() {
    assertEquals(
        "internal.peer_certificate.trust_bundles[1].trust_domain",
        fails(
                "service_name: a\ninternal:\n  peer_certificate:\n"
                    + "    trust_bundles: [{ trust_domain: td, ca_file: ca.pem },"
                    + " { trust_domain: td, ca_file: ca.pem }]\n"
                    + "    allow: [{ trust_domain: td }]\n")
            .field());
  }
}
