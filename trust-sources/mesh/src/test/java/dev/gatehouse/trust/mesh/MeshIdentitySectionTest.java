package dev.gatehouse.trust.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing of {@code internal.mesh_identity} by its provider. */
class MeshIdentitySectionTest {
  @TempDir Path dir;

  private GatehouseConfig parse(String yaml) {
    return GatehouseConfig.parse(yaml, dir, ConfigSections.of(MeshIdentitySection.provider()));
  }

  private MeshIdentitySection mesh(String yaml) {
    return parse(yaml).section(MeshIdentitySection.provider()).orElseThrow();
  }

  private ConfigException fails(String yaml) {
    return assertThrows(ConfigException.class, () -> parse(yaml));
  }

  @Test
  void parse_designExample_allFieldsRead() {
    MeshIdentitySection m =
        mesh(
            """
            service_name: trips
            internal:
              mesh_identity:
                header: x-forwarded-client-cert
                format: XFCC
                trusted_proxies: ["127.0.0.1/32", "::1/128"]
                expected_by: "spiffe://cluster.local/ns/trips/sa/trips"
                require_single_element: false
                allow:
                  - { identity: "spiffe://cluster.local/ns/trips/sa/worker", roles: [trip-finisher] }
            """);
    assertEquals(MeshIdentityTrustSource.Format.XFCC, m.format());
    assertEquals(List.of("127.0.0.1/32", "::1/128"), m.trustedProxies());
    assertEquals(Optional.of("spiffe://cluster.local/ns/trips/sa/trips"), m.expectedBy());
    assertEquals("spiffe://cluster.local/ns/trips/sa/worker", m.allow().get(0).identity());
    assertEquals(List.of("trip-finisher"), m.allow().get(0).roles());
  }

  @Test
  void parse_minimal_defaults() {
    MeshIdentitySection m =
        mesh(
            "service_name: t\ninternal:\n  mesh_identity:\n    trusted_proxies: [\"10.0.0.0/8\"]\n");
    assertEquals("x-forwarded-client-cert", m.header());
    assertEquals(MeshIdentityTrustSource.Format.XFCC, m.format());
    assertFalse(m.requireSingleElement());
    assertTrue(m.allow().isEmpty());
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
    // The form with an explicit prefix is the file's rule, kept with its message.
    ConfigException bare =
        fails(
            "service_name: a\ninternal:\n  mesh_identity:\n    trusted_proxies: [\"10.0.0.1\"]\n");
    assertEquals("internal.mesh_identity.trusted_proxies[0]", bare.field());
    assertTrue(
        bare.getMessage().contains("must be a CIDR such as 127.0.0.1/32"), bare.getMessage());
    // Cidr's own rules apply at parse time, naming the entry: no host bits, never /0.
    for (String cidr : List.of("10.0.0.1/8", "0.0.0.0/0", "10.0.0.0/x")) {
      assertEquals(
          "internal.mesh_identity.trusted_proxies[0]",
          fails(
                  "service_name: a\ninternal:\n  mesh_identity:\n    trusted_proxies: [\""
                      + cidr
                      + "\"]\n")
              .field(),
          cidr);
    }
  }

  @Test
  void parse_hostNamesNeverResolved_refused() {
    assertEquals(
        "internal.mesh_identity.trusted_proxies[0]",
        fails("service_name: a\ninternal:\n  mesh_identity:\n    trusted_proxies: [\"cafe/16\"]\n")
            .field());
  }

  @Test
  void parse_ipv4MappedCidr_accepted() {
    assertEquals(
        List.of("::ffff:10.0.0.0/104"),
        mesh("""
             service_name: a
             internal:
               mesh_identity:
                 trusted_proxies: ["::ffff:10.0.0.0/104"]
             """)
            .trustedProxies());
  }

  @Test
  void parse_meshWithoutTrustedProxies_refused() {
    assertEquals(
        "internal.mesh_identity.trusted_proxies",
        fails("service_name: a\ninternal:\n  mesh_identity:\n    format: XFCC\n").field());
  }

  @Test
  void parse_identityListedTwice_refused() {
    assertEquals(
        "internal.mesh_identity.allow[1].identity",
        fails(
                """
                service_name: a
                internal:
                  mesh_identity:
                    trusted_proxies: ["::1/128"]
                    allow: [{ identity: x }, { identity: x }]
                """)
            .field());
  }

  @Test
  void parse_badFormat_refused() {
    assertEquals(
        "internal.mesh_identity.format",
        fails(
                """
                service_name: a
                internal:
                  mesh_identity:
                    trusted_proxies: ["::1/128"]
                    format: xfcc
                """)
            .field());
  }
}
