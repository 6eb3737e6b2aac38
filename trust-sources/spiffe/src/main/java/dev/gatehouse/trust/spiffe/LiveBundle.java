package dev.gatehouse.trust.spiffe;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * A trust domain whose bundle is fed at run time, in the configuration file: from a SPIFFE bundle
 * endpoint ({@code bundle_endpoint}, {@code https_web} profile) or from the SPIFFE Workload API
 * ({@code workload_api}, needs {@code gatehouse-spiffe-workload}). Used by the {@code
 * trust_bundles} entries of {@code peer_certificate} and the {@code bundles} entries of {@code
 * spiffe_jwt}.
 *
 * @param trustDomain the trust domain
 * @param endpoint the bundle endpoint, when the bundle comes from one
 * @param workloadApiSocket the Workload API socket, when the bundle comes from the Workload API
 */
public record LiveBundle(
    String trustDomain, Optional<Endpoint> endpoint, Optional<String> workloadApiSocket) {
  /** The environment variable SPIFFE names for the Workload API socket. */
  public static final String SOCKET_ENV = "SPIFFE_ENDPOINT_SOCKET";

  /** Validates: exactly one of endpoint and socket. */
  public LiveBundle {
    requireNonNull(trustDomain, "trustDomain");
    requireNonNull(endpoint, "endpoint");
    requireNonNull(workloadApiSocket, "workloadApiSocket");
    if (endpoint.isPresent() == workloadApiSocket.isPresent()) {
      throw new IllegalArgumentException("exactly one of endpoint and workloadApiSocket");
    }
  }

  /**
   * A SPIFFE bundle endpoint.
   *
   * @param url its https URL
   * @param caFile CA certificates that authenticate it instead of web PKI, if any
   * @param minRefresh lower bound on the refresh interval
   * @param maxRefresh upper bound on the refresh interval
   */
  public record Endpoint(URI url, Optional<Path> caFile, Duration minRefresh, Duration maxRefresh) {
    /** Validates. */
    public Endpoint {
      requireNonNull(url, "url");
      requireNonNull(caFile, "caFile");
      requireNonNull(minRefresh, "minRefresh");
      requireNonNull(maxRefresh, "maxRefresh");
    }
  }

  /**
   * Whether a bundle entry names a run-time source ({@code bundle_endpoint} or {@code
   * workload_api}).
   */
  static boolean present(ConfigNode entry) {
    return entry.has("bundle_endpoint") || entry.has("workload_api");
  }

  /**
   * Reads the run-time source of one bundle entry; {@code fileKeys} are the entry's static
   * alternatives, refused next to it.
   *
   * @throws ConfigException naming the field
   */
  static LiveBundle read(ConfigNode entry, String trustDomain, String... fileKeys) {
    for (String k : fileKeys) {
      if (entry.has(k)) {
        throw new ConfigException(
            entry.path(k),
            "exactly one of " + String.join(", ", fileKeys) + ", bundle_endpoint and workload_api");
      }
    }
    if (entry.has("bundle_endpoint") && entry.has("workload_api")) {
      throw new ConfigException(
          entry.path("workload_api"), "exactly one of bundle_endpoint and workload_api");
    }
    Optional<ConfigNode> ep = entry.optionalNode("bundle_endpoint");
    if (ep.isPresent()) {
      ConfigNode o = ep.get();
      String url = o.requiredString("url");
      URI uri;
      try {
        uri = new URI(url);
      } catch (java.net.URISyntaxException e) {
        throw new ConfigException(o.path("url"), "not a URI");
      }
      if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
        throw new ConfigException(o.path("url"), "must be an https URL with a host (https_web)");
      }
      if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
        throw new ConfigException(o.path("url"), "must not carry user info or a fragment");
      }
      Optional<Path> ca =
          o.has("ca_file") ? Optional.of(o.readableFile("ca_file")) : Optional.empty();
      long min =
          o.integer(
              "refresh_min_seconds", BundleEndpointFeed.DEFAULT_MIN_REFRESH.toSeconds(), 1, 86_400);
      long max =
          o.integer(
              "refresh_max_seconds",
              Math.max(min, BundleEndpointFeed.DEFAULT_MAX_REFRESH.toSeconds()),
              1,
              7 * 86_400L);
      if (max < min) {
        throw new ConfigException(
            o.path("refresh_max_seconds"), "must not be below refresh_min_seconds");
      }
      o.finish();
      return new LiveBundle(
          trustDomain,
          Optional.of(new Endpoint(uri, ca, Duration.ofSeconds(min), Duration.ofSeconds(max))),
          Optional.empty());
    }
    ConfigNode o = entry.optionalNode("workload_api").orElseThrow();
    if (provider().isEmpty()) {
      throw new ConfigException(
          entry.path("workload_api"),
          "bundles from the SPIFFE Workload API need the gatehouse-spiffe-workload module on the"
              + " class path");
    }
    Optional<String> socket = o.optionalString("socket");
    if (socket.isEmpty()) {
      String env = System.getenv(SOCKET_ENV);
      if (env == null || env.isBlank()) {
        throw o.missing("socket", "required when " + SOCKET_ENV + " is not set");
      }
      socket = Optional.of(env);
    }
    o.finish();
    return new LiveBundle(trustDomain, Optional.empty(), socket);
  }

  /** Opens (or shares) the feed. */
  WorkloadApiBundleProvider.Lease open() {
    if (workloadApiSocket.isPresent()) {
      return provider()
          .orElseThrow(
              () ->
                  new IllegalStateException(
                      "workload_api: gatehouse-spiffe-workload is not on the class path"))
          .open(workloadApiSocket.get());
    }
    Endpoint e = endpoint.orElseThrow();
    // The CA file's content is part of the key: a reload after the file was rewritten starts a
    // feed that authenticates the endpoint with the CAs the file holds now.
    String caDigest = e.caFile().map(LiveBundle::sha256Of).orElse("");
    return SharedFeeds.endpoint(
        java.util.List.of(trustDomain, e, caDigest),
        () -> {
          BundleEndpointFeed.Builder b =
              BundleEndpointFeed.newBuilder()
                  .trustDomain(trustDomain)
                  .url(e.url().toString())
                  .minRefresh(e.minRefresh())
                  .maxRefresh(e.maxRefresh());
          e.caFile().ifPresent(b::caFile);
          return b.build();
        });
  }

  /** SHA-256 of the file, hex; an unreadable file fails as the feed's own read would. */
  private static String sha256Of(Path file) {
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(java.nio.file.Files.readAllBytes(file)));
    } catch (java.io.IOException | java.security.NoSuchAlgorithmException e) {
      throw new IllegalArgumentException("bundle endpoint: cannot read the CA file " + file, e);
    }
  }

  private static Optional<WorkloadApiBundleProvider> provider() {
    Iterator<WorkloadApiBundleProvider> it =
        ServiceLoader.load(WorkloadApiBundleProvider.class, LiveBundle.class.getClassLoader())
            .iterator();
    return it.hasNext() ? Optional.of(it.next()) : Optional.empty();
  }
}
