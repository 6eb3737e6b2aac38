package dev.gatehouse.trust.mesh;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfigClaim;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import dev.gatehouse.config.ConfigSection;
import dev.gatehouse.config.ConfigSectionProvider;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.spi.Authenticator;
import java.util.List;
import java.util.Optional;

/**
 * The {@code internal.mesh_identity} section of the configuration file: identities forwarded by a
 * service-mesh sidecar, built into a {@link MeshIdentityTrustSource}. Register {@link #provider()}
 * to read it.
 *
 * @param header the forwarded header (default {@code x-forwarded-client-cert})
 * @param format XFCC (default) or PRINCIPAL
 * @param trustedProxies CIDRs of the sidecar (required)
 * @param expectedBy the XFCC {@code By} value required, if set
 * @param requireSingleElement refuse XFCC with more than one element (default false)
 * @param allow the identities trusted, with their grants
 */
public record MeshIdentitySection(
    String header,
    MeshIdentityTrustSource.Format format,
    List<String> trustedProxies,
    Optional<String> expectedBy,
    boolean requireSingleElement,
    List<AllowEntry> allow)
    implements ConfigSection {
  /** The section's path in the file. */
  public static final String PATH = "internal.mesh_identity";

  private static final Provider PROVIDER = new Provider();

  /** Validates and copies. */
  public MeshIdentitySection {
    requireNonNull(header, "header");
    requireNonNull(format, "format");
    trustedProxies = List.copyOf(trustedProxies);
    requireNonNull(expectedBy, "expectedBy");
    allow = List.copyOf(allow);
  }

  /** The provider of {@code internal.mesh_identity}; a change is rebuilt on reload. */
  public static ConfigSectionProvider<MeshIdentitySection> provider() {
    return PROVIDER;
  }

  @Override
  public List<ConfigClaim> claims() {
    return List.of(ConfigClaim.header(header, PATH + ".header"));
  }

  /**
   * One allowed identity.
   *
   * @param identity a SPIFFE ID or Istio principal
   * @param roles roles granted
   * @param scopes scopes granted
   */
  public record AllowEntry(String identity, List<String> roles, List<String> scopes) {
    /** Validates and copies. */
    public AllowEntry {
      requireNonNull(identity, "identity");
      roles = List.copyOf(roles);
      scopes = List.copyOf(scopes);
    }
  }

  private static final class Provider implements ConfigSectionProvider<MeshIdentitySection> {
    @Override
    public String path() {
      return PATH;
    }

    @Override
    public Class<MeshIdentitySection> sectionType() {
      return MeshIdentitySection.class;
    }

    @Override
    public MeshIdentitySection parse(ConfigNode o, GatehouseConfig topLevel) {
      String header = o.header("header", "x-forwarded-client-cert");
      String format = o.string("format", "XFCC");
      MeshIdentityTrustSource.Format f =
          switch (format) {
            case "XFCC" -> MeshIdentityTrustSource.Format.XFCC;
            case "PRINCIPAL" -> MeshIdentityTrustSource.Format.PRINCIPAL;
            default -> throw new ConfigException(o.path("format"), "must be XFCC or PRINCIPAL");
          };
      if (!o.has("trusted_proxies")) {
        throw new ConfigException(o.path("trusted_proxies"), "is required");
      }
      List<String> proxies = o.stringList("trusted_proxies");
      if (proxies.isEmpty()) {
        throw new ConfigException(o.path("trusted_proxies"), "at least one CIDR is required");
      }
      for (int i = 0; i < proxies.size(); i++) {
        checkCidr(o.path("trusted_proxies[" + i + "]"), proxies.get(i));
      }
      Optional<String> expectedBy = o.optionalString("expected_by");
      boolean single = o.bool("require_single_element", false);
      List<AllowEntry> allow = o.list("allow", Provider::allowEntry);
      ConfigNode.requireDistinct(
          allow.stream().map(AllowEntry::identity).toList(),
          i -> o.path("allow[" + i + "].identity"),
          "identity");
      o.finish();
      return new MeshIdentitySection(header, f, proxies, expectedBy, single, allow);
    }

    /**
     * The file requires the {@code ADDRESS/PREFIX} form; everything else is {@link Cidr}'s rule
     * (literal addresses only, prefix in range, no host bits, never {@code /0}).
     */
    private static void checkCidr(String path, String cidr) {
      if (cidr.indexOf('/') <= 0) {
        throw new ConfigException(path, "must be a CIDR such as 127.0.0.1/32 or ::1/128");
      }
      try {
        Cidr.parse(cidr);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(path, e.getMessage());
      }
    }

    private static AllowEntry allowEntry(ConfigNode o) {
      String identity = o.requiredString("identity");
      List<String> roles = o.stringList("roles");
      List<String> scopes = o.stringList("scopes");
      o.finish();
      return new AllowEntry(identity, roles, scopes);
    }

    @Override
    public Authenticator create(
        MeshIdentitySection c,
        GatehouseConfig config,
        Optional<Previous<MeshIdentitySection>> previous) {
      MeshIdentityTrustSource.Builder b =
          MeshIdentityTrustSource.newBuilder()
              .header(c.header())
              .format(c.format())
              .trustedProxies(c.trustedProxies())
              .requireSingleElement(c.requireSingleElement());
      c.expectedBy().ifPresent(b::expectedBy);
      c.allow().forEach(a -> b.allow(a.identity(), a.roles(), a.scopes()));
      return b.build();
    }

    @Override
    public ReloadPolicy reloadPolicy() {
      return ReloadPolicy.REBUILD;
    }

    @Override
    public String toString() {
      return "MeshIdentitySection.provider()";
    }
  }
}
