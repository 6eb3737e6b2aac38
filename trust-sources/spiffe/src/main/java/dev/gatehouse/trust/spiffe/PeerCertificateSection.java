package dev.gatehouse.trust.spiffe;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import dev.gatehouse.config.ConfigSection;
import dev.gatehouse.config.ConfigSectionProvider;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.spi.Authenticator;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code internal.peer_certificate} section of the configuration file: X.509-SVIDs presented
 * over app-terminated mTLS, built into a {@link PeerCertificateTrustSource}. Register {@link
 * #provider()} to read it. The CA files are read once per build and watched: a change of their
 * content rebuilds the source on the next reload check.
 *
 * @param trustBundles the CA bundle of each trusted trust domain
 * @param allow the identities or trust domains trusted, with their grants
 * @param liveBundles the trust domains whose bundle comes from a bundle endpoint or the Workload
 *     API
 */
public record PeerCertificateSection(
    List<TrustBundle> trustBundles, List<SpiffeAllowEntry> allow, List<LiveBundle> liveBundles)
    implements ConfigSection {
  /** The section's path in the file. */
  public static final String PATH = "internal.peer_certificate";

  private static final Provider PROVIDER = new Provider();

  /** Validates and copies. */
  public PeerCertificateSection {
    trustBundles = List.copyOf(trustBundles);
    allow = List.copyOf(allow);
    liveBundles = List.copyOf(liveBundles);
  }

  /** The section with CA files only. */
  public PeerCertificateSection(List<TrustBundle> trustBundles, List<SpiffeAllowEntry> allow) {
    this(trustBundles, allow, List.of());
  }

  /** The provider of {@code internal.peer_certificate}; a change is rebuilt on reload. */
  public static ConfigSectionProvider<PeerCertificateSection> provider() {
    return PROVIDER;
  }

  /**
   * A trust domain's X.509 CA bundle.
   *
   * @param trustDomain the trust domain
   * @param caFile PEM file of its CA certificates
   */
  public record TrustBundle(String trustDomain, Path caFile) {
    /** Validates. */
    public TrustBundle {
      requireNonNull(trustDomain, "trustDomain");
      requireNonNull(caFile, "caFile");
    }
  }

  private static final class Provider implements ConfigSectionProvider<PeerCertificateSection> {
    @Override
    public String path() {
      return PATH;
    }

    @Override
    public Class<PeerCertificateSection> sectionType() {
      return PeerCertificateSection.class;
    }

    @Override
    public PeerCertificateSection parse(ConfigNode o, GatehouseConfig topLevel) {
      List<Object> entries = o.list("trust_bundles", Provider::trustBundle);
      if (entries.isEmpty()) {
        throw new ConfigException(o.path("trust_bundles"), "at least one trust bundle is required");
      }
      List<TrustBundle> bundles =
          entries.stream()
              .filter(TrustBundle.class::isInstance)
              .map(TrustBundle.class::cast)
              .toList();
      List<LiveBundle> live =
          entries.stream()
              .filter(LiveBundle.class::isInstance)
              .map(LiveBundle.class::cast)
              .toList();
      SpiffeAllowEntry.requireDistinctTrustDomains(
          o,
          "trust_bundles",
          entries.stream()
              .map(
                  e ->
                      e instanceof TrustBundle t ? t.trustDomain() : ((LiveBundle) e).trustDomain())
              .toList());
      List<SpiffeAllowEntry> allow = SpiffeAllowEntry.readList(o);
      o.finish();
      return new PeerCertificateSection(bundles, allow, live);
    }

    private static Object trustBundle(ConfigNode o) {
      String td = SpiffeAllowEntry.readTrustDomain(o, "trust_domain");
      if (LiveBundle.present(o)) {
        LiveBundle live = LiveBundle.read(o, td, "ca_file");
        o.finish();
        return live;
      }
      Path ca = o.readableFile("ca_file");
      o.finish();
      return new TrustBundle(td, ca);
    }

    @Override
    public Authenticator create(
        PeerCertificateSection c,
        GatehouseConfig config,
        Optional<Previous<PeerCertificateSection>> previous) {
      PeerCertificateTrustSource.Builder b = PeerCertificateTrustSource.newBuilder();
      c.trustBundles().forEach(t -> b.addBundle(t.trustDomain(), t.caFile()));
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
    public List<Path> watchedFiles(PeerCertificateSection section) {
      return section.trustBundles().stream().map(TrustBundle::caFile).toList();
    }

    @Override
    public String toString() {
      return "PeerCertificateSection.provider()";
    }
  }
}
