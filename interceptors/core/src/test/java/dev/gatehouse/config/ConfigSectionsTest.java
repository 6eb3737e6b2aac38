package dev.gatehouse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The section-provider SPI and the cross-section rules, with test providers. */
class ConfigSectionsTest {
  @TempDir Path dir;

  /** A section with a header and issuers. */
  record TestSection(String header, List<String> issuers, String path) implements ConfigSection {
    @Override
    public List<ConfigClaim> claims() {
      List<ConfigClaim> out = new ArrayList<>();
      if (!header.isEmpty()) {
        out.add(ConfigClaim.header(header, path + ".header"));
      }
      for (int i = 0; i < issuers.size(); i++) {
        out.add(ConfigClaim.issuer(issuers.get(i), path + ".issuers[" + i + "]"));
      }
      return out;
    }
  }

  /** Reads {@code header} and {@code issuers}. */
  record TestProvider(String path) implements ConfigSectionProvider<TestSection> {
    @Override
    public Class<TestSection> sectionType() {
      return TestSection.class;
    }

    @Override
    public TestSection parse(ConfigNode node, GatehouseConfig topLevel) {
      String header = node.string("header", "");
      List<String> issuers = node.stringList("issuers");
      node.finish();
      return new TestSection(header, issuers, path);
    }

    @Override
    public Authenticator create(
        TestSection section, GatehouseConfig config, Optional<Previous<TestSection>> previous) {
      return new Authenticator() {
        @Override
        public String name() {
          return path;
        }

        @Override
        public Set<String> credentialHeaders() {
          return Set.of(section.header());
        }

        @Override
        public AuthResult authenticate(IncomingCall request) {
          return AuthResult.noCredential();
        }
      };
    }

    @Override
    public ReloadPolicy reloadPolicy() {
      return ReloadPolicy.REBUILD;
    }
  }

  private GatehouseConfig parse(String yaml, ConfigSectionProvider<?>... providers) {
    return GatehouseConfig.parse(yaml, dir, ConfigSections.of(providers));
  }

  @Test
  void register_sameProviderTwice_refused() {
    TestProvider p = new TestProvider("internal.signed_token");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ConfigSections.of(p, p));
    assertTrue(e.getMessage().contains("internal.signed_token"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ConfigSections.newBuilder()
                .add(p)
                .add(new TestProvider("internal.signed_token"))
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () -> ConfiguredGatehouse.newBuilder(dir.resolve("x.yaml")).addSection(p).addSection(p));
  }

  @Test
  void build_sectionWithoutProvider_refusedBeforeAnythingIsBuilt() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    java.nio.file.Files.writeString(
        file, "service_name: a\ninternal:\n  mesh_identity:\n    trusted_proxies: [\"::1/128\"]\n");
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                ConfiguredGatehouse.newBuilder(file)
                    .addSection(new TestProvider("user_jwt"))
                    .build());
    assertEquals("internal.mesh_identity", e.field());
    assertTrue(e.getMessage().contains("gatehouse-trust-mesh"), e.getMessage());
    assertTrue(e.getMessage().contains("MeshIdentitySection.provider()"), e.getMessage());
  }

  @Test
  void register_invalidPath_refused() {
    for (String path : List.of("", "service_name", "internal", "internal.", "internal.A", "a.b")) {
      assertThrows(
          IllegalArgumentException.class, () -> ConfigSections.of(new TestProvider(path)), path);
    }
  }

  @Test
  void parse_sectionsHandedToProviders_inChainOrder() {
    TestProvider user = new TestProvider("user_jwt");
    TestProvider custom = new TestProvider("internal.custom");
    TestProvider signed = new TestProvider("internal.signed_token");
    TestProvider mesh = new TestProvider("internal.mesh_identity");
    TestProvider another = new TestProvider("internal.another");
    GatehouseConfig c =
        parse(
            """
            service_name: a
            internal:
              another: {}
              custom: { header: x-c }
              signed_token: { header: x-s }
              mesh_identity: {}
            user_jwt: {}
            """,
            custom,
            signed,
            user,
            another,
            mesh);
    assertEquals(
        List.of(
            "user_jwt",
            "internal.mesh_identity",
            "internal.signed_token",
            "internal.custom",
            "internal.another"),
        List.copyOf(c.sections().keySet()));
    assertEquals("x-s", c.section(signed).orElseThrow().header());
    assertSame(c.section("internal.custom").orElseThrow(), c.section(custom).orElseThrow());
  }

  @Test
  void parse_registeredButAbsent_noSection() {
    GatehouseConfig c = parse("service_name: a\n", new TestProvider("internal.custom"));
    assertTrue(c.sections().isEmpty());
  }

  @Test
  void parse_undocumentedKeyWithoutProvider_unknownField() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                parse("service_name: a\ninternal:\n  custom: {}\n", new TestProvider("user_jwt")));
    assertEquals("internal.custom", e.field());
    assertTrue(e.getMessage().endsWith("unknown field"), e.getMessage());
  }

  @Test
  void parse_providerErrors_nameFullPath() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                parse(
                    "service_name: a\ninternal:\n  custom: { issuers: [a, \" \"] }\n",
                    new TestProvider("internal.custom")));
    assertEquals("internal.custom.issuers[1]", e.field());
  }

  @Test
  void parse_twoTrustSourcesClaimOneHeader_refusedNamingFirstInChainOrder() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                parse(
                    """
                    service_name: a
                    internal:
                      signed_token: { header: x-t }
                      spiffe_jwt: { header: x-t }
                    """,
                    new TestProvider("internal.signed_token"),
                    new TestProvider("internal.spiffe_jwt")));
    assertEquals("internal.spiffe_jwt.header", e.field());
    assertEquals(
        "internal.spiffe_jwt.header: spiffe_jwt and signed_token both read x-t; give one of them"
            + " its own header (a credential one source refuses would never reach the other)",
        e.getMessage());
  }

  @Test
  void parse_userAuthenticatorSharesHeader_allowed() {
    GatehouseConfig c =
        parse(
            """
            service_name: a
            user_jwt: { header: authorization }
            internal:
              signed_token: { header: authorization }
            """,
            new TestProvider("user_jwt"),
            new TestProvider("internal.signed_token"));
    assertEquals(2, c.sections().size());
  }

  @Test
  void parse_twoSectionsClaimOneIssuer_refusedNamingLater() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                parse(
                    """
                    service_name: a
                    user_jwt: { issuers: [i] }
                    internal:
                      signed_token: { issuers: [j, i] }
                    """,
                    new TestProvider("user_jwt"),
                    new TestProvider("internal.signed_token")));
    assertEquals("internal.signed_token.issuers[1]", e.field());
    assertTrue(
        e.getMessage().endsWith("issuer i is also a user_jwt issuer; one issuer cannot be both"),
        e.getMessage());
  }
}
