package dev.gatehouse.trust.spiffe;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfigClaim;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import dev.gatehouse.config.ConfigSection;
import dev.gatehouse.config.ConfigSectionProvider;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.trust.jwt.JwksConfig;
import dev.gatehouse.trust.jwt.internal.JwtConfigFields;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code internal.spiffe_jwt} section of the configuration file: JWT-SVIDs, built into a {@link
 * SpiffeJwtTrustSource}. Register {@link #provider()} to read it. Its header must differ from
 * {@code internal.signed_token}'s (the core refuses two trust sources claiming one header).
 *
 * @param header credential header (default {@code authorization})
 * @param bundles the JWT bundle of each trusted trust domain
 * @param allow the identities or trust domains trusted, with their grants
 * @param algorithms allowed algorithms (default ES256, RS256, PS256)
 * @param serviceName the file's {@code service_name}
 * @param clockSkew the file's {@code clock_skew_seconds}
 * @param audience the audience an SVID's {@code aud} must contain ({@code audience}, default the
 *     file's {@code service_name})
 * @param fetchTimeout bound on one bundle fetch ({@code jwks_fetch_timeout_ms}, default 2 s)
 * @param liveBundles the trust domains whose bundle comes from a bundle endpoint or the Workload
 *     API
 */
public record SpiffeJwtSection(
    String header,
    List<JwtBundle> bundles,
    List<SpiffeAllowEntry> allow,
    List<String> algorithms,
    String serviceName,
    Duration clockSkew,
    String audience,
    Duration fetchTimeout,
    List<LiveBundle> liveBundles)
    implements ConfigSection {
  /** The section's path in the file. */
  public static final String PATH = "internal.spiffe_jwt";

  private static final Provider PROVIDER = new Provider();

  /** Validates and copies. */
  public SpiffeJwtSection {
    requireNonNull(header, "header");
    bundles = List.copyOf(bundles);
    allow = List.copyOf(allow);
    algorithms = List.copyOf(algorithms);
    requireNonNull(serviceName, "serviceName");
    requireNonNull(clockSkew, "clockSkew");
    requireNonNull(audience, "audience");
    requireNonNull(fetchTimeout, "fetchTimeout");
    liveBundles = List.copyOf(liveBundles);
  }

  /** The section with JWKS bundles only. */
  public SpiffeJwtSection(
      String header,
      List<JwtBundle> bundles,
      List<SpiffeAllowEntry> allow,
      List<String> algorithms,
      String serviceName,
      Duration clockSkew,
      String audience,
      Duration fetchTimeout) {
    this(
        header,
        bundles,
        allow,
        algorithms,
        serviceName,
        clockSkew,
        audience,
        fetchTimeout,
        List.of());
  }

  /** The section with the audience {@code serviceName} and the default fetch timeout (2 s). */
  public SpiffeJwtSection(
      String header,
      List<JwtBundle> bundles,
      List<SpiffeAllowEntry> allow,
      List<String> algorithms,
      String serviceName,
      Duration clockSkew) {
    this(
        header,
        bundles,
        allow,
        algorithms,
        serviceName,
        clockSkew,
        serviceName,
        JwtConfigFields.defaultFetchTimeout());
  }

  /**
   * The provider of {@code internal.spiffe_jwt}; a change is rebuilt on reload, and trust domains
   * whose bundle location and algorithms are unchanged keep their cached keys.
   */
  public static ConfigSectionProvider<SpiffeJwtSection> provider() {
    return PROVIDER;
  }

  @Override
  public List<ConfigClaim> claims() {
    return List.of(ConfigClaim.header(header, PATH + ".header"));
  }

  /**
   * A trust domain's JWT bundle (a JWKS).
   *
   * @param trustDomain the trust domain
   * @param keys where its JWKS comes from
   */
  public record JwtBundle(String trustDomain, JwksConfig keys) {
    /** Validates. */
    public JwtBundle {
      requireNonNull(trustDomain, "trustDomain");
      requireNonNull(keys, "keys");
    }
  }

  private static final class Provider implements ConfigSectionProvider<SpiffeJwtSection> {
    @Override
    public String path() {
      return PATH;
    }

    @Override
    public Class<SpiffeJwtSection> sectionType() {
      return SpiffeJwtSection.class;
    }

    @Override
    public SpiffeJwtSection parse(ConfigNode o, GatehouseConfig topLevel) {
      String header = o.header("header", "authorization");
      List<Object> entries = o.list("bundles", Provider::bundle);
      if (entries.isEmpty()) {
        throw new ConfigException(o.path("bundles"), "at least one bundle is required");
      }
      List<JwtBundle> bundles =
          entries.stream().filter(JwtBundle.class::isInstance).map(JwtBundle.class::cast).toList();
      List<LiveBundle> live =
          entries.stream()
              .filter(LiveBundle.class::isInstance)
              .map(LiveBundle.class::cast)
              .toList();
      SpiffeAllowEntry.requireDistinctTrustDomains(
          o,
          "bundles",
          entries.stream()
              .map(e -> e instanceof JwtBundle j ? j.trustDomain() : ((LiveBundle) e).trustDomain())
              .toList());
      List<String> algorithms = JwtConfigFields.algorithms(o);
      List<SpiffeAllowEntry> allow = SpiffeAllowEntry.readList(o);
      String audience = o.string("audience", topLevel.serviceName());
      Duration fetchTimeout = JwtConfigFields.fetchTimeout(o);
      o.finish();
      return new SpiffeJwtSection(
          header,
          bundles,
          allow,
          algorithms,
          topLevel.serviceName(),
          topLevel.clockSkew(),
          audience,
          fetchTimeout,
          live);
    }

    private static Object bundle(ConfigNode o) {
      String td = SpiffeAllowEntry.readTrustDomain(o, "trust_domain");
      if (LiveBundle.present(o)) {
        LiveBundle live = LiveBundle.read(o, td, "jwks_uri", "jwks_file");
        o.finish();
        return live;
      }
      JwksConfig keys = JwksConfig.read(o);
      o.finish();
      return new JwtBundle(td, keys);
    }

    @Override
    public Authenticator create(
        SpiffeJwtSection c, GatehouseConfig config, Optional<Previous<SpiffeJwtSection>> previous) {
      SpiffeJwtTrustSource.Builder b =
          SpiffeJwtTrustSource.newBuilder()
              .serviceAudience(c.audience())
              .fetchTimeout(c.fetchTimeout())
              .header(c.header())
              .algorithms(c.algorithms())
              .clockSkew(c.clockSkew());
      // Trust domains whose bundle location and algorithms are unchanged keep their cached keys.
      previous
          .map(Previous::authenticator)
          .filter(SpiffeJwtTrustSource.class::isInstance)
          .map(SpiffeJwtTrustSource.class::cast)
          .ifPresent(b::reuseKeysOf);
      c.bundles().forEach(x -> b.addBundle(x.trustDomain(), x.keys().toSource()));
      // A lease keeps a shared feed running: if the source is not built, close what was opened.
      List<AutoCloseable> leases = new ArrayList<>();
      try {
        for (LiveBundle live : c.liveBundles()) {
          WorkloadApiBundleProvider.Lease lease = live.open();
          leases.add(lease);
          b.closeWith(lease);
          b.addBundle(live.trustDomain(), lease.bundles());
        }
        for (SpiffeAllowEntry e : c.allow()) {
          if (e.identity().isPresent()) {
            b.allow(e.identity().get(), e.roles(), e.scopes());
          } else {
            b.allowTrustDomain(e.trustDomain().orElseThrow(), e.roles(), e.scopes());
          }
        }
        return b.build();
      } catch (RuntimeException e) {
        SpiffeResources.closeAll(leases);
        throw e;
      }
    }

    @Override
    public ReloadPolicy reloadPolicy() {
      return ReloadPolicy.REBUILD;
    }

    @Override
    public String toString() {
      return "SpiffeJwtSection.provider()";
    }
  }
}
