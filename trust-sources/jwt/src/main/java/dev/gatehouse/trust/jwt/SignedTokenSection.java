package dev.gatehouse.trust.jwt;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfigClaim;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import dev.gatehouse.config.ConfigSection;
import dev.gatehouse.config.ConfigSectionProvider;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.trust.jwt.internal.JwtConfigFields;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code internal.signed_token} section of the configuration file: signed service tokens, built
 * into a {@link SignedTokenTrustSource}. Register {@link #provider()} to read it. On reload the new
 * source continues the old one's replay cache, and keeps its verifier (and key caches) when only
 * grants, cluster ids or replay settings changed; otherwise every issuer whose key location and
 * algorithms are unchanged keeps its cached keys.
 *
 * @param header credential header (default {@code authorization}, value {@code Bearer <jwt>})
 * @param maxTtl longest accepted token lifetime (default 900 s, at most 3600 s)
 * @param replayProtection require and check {@code jti} (default false)
 * @param issuers the services whose tokens are trusted
 * @param serviceName the file's {@code service_name}, the tokens' audience
 * @param clockSkew the file's {@code clock_skew_seconds}
 * @param replayCacheSize how many unexpired tokens the replay cache remembers ({@code
 *     replay_cache_size}, default 100 000; restart-only)
 * @param fetchTimeout bound on one key-set fetch ({@code jwks_fetch_timeout_ms}, default 2 s)
 * @param replayStore where accepted {@code jti}s are remembered ({@code replay_store}); empty for
 *     the default in-memory cache of {@code replayCacheSize} entries (restart-only)
 */
public record SignedTokenSection(
    String header,
    Duration maxTtl,
    boolean replayProtection,
    List<Issuer> issuers,
    String serviceName,
    Duration clockSkew,
    int replayCacheSize,
    Duration fetchTimeout,
    Optional<ReplayStoreSpec> replayStore)
    implements ConfigSection {
  /** The section's path in the file. */
  public static final String PATH = "internal.signed_token";

  /** The largest {@code replay_cache_size} the file may set. */
  public static final int MAX_REPLAY_CACHE_SIZE = 10_000_000;

  /** The built-in {@code replay_store.type}: the in-memory cache (the default). */
  public static final String MEMORY_STORE = "memory";

  private static final Provider PROVIDER = new Provider(Map.of());

  /** Validates and copies. */
  public SignedTokenSection {
    requireNonNull(header, "header");
    requireNonNull(maxTtl, "maxTtl");
    issuers = List.copyOf(issuers);
    requireNonNull(serviceName, "serviceName");
    requireNonNull(clockSkew, "clockSkew");
    if (replayCacheSize < 1) {
      throw new IllegalArgumentException("replayCacheSize must be positive");
    }
    requireNonNull(fetchTimeout, "fetchTimeout");
    requireNonNull(replayStore, "replayStore");
  }

  /** The section with the default, in-memory replay store. */
  public SignedTokenSection(
      String header,
      Duration maxTtl,
      boolean replayProtection,
      List<Issuer> issuers,
      String serviceName,
      Duration clockSkew,
      int replayCacheSize,
      Duration fetchTimeout) {
    this(
        header,
        maxTtl,
        replayProtection,
        issuers,
        serviceName,
        clockSkew,
        replayCacheSize,
        fetchTimeout,
        Optional.empty());
  }

  /** The section with the default replay cache size (100 000) and fetch timeout (2 s). */
  public SignedTokenSection(
      String header,
      Duration maxTtl,
      boolean replayProtection,
      List<Issuer> issuers,
      String serviceName,
      Duration clockSkew) {
    this(
        header,
        maxTtl,
        replayProtection,
        issuers,
        serviceName,
        clockSkew,
        SignedTokenTrustSource.DEFAULT_REPLAY_CACHE_SIZE,
        JwtConfigFields.defaultFetchTimeout());
  }

  /**
   * The provider of {@code internal.signed_token}; a change is rebuilt on reload. It reads only the
   * built-in {@code replay_store} type {@code memory}; see {@link
   * #provider(ReplayStoreProvider...)}.
   */
  public static ConfigSectionProvider<SignedTokenSection> provider() {
    return PROVIDER;
  }

  /**
   * The provider of {@code internal.signed_token} that also reads the {@code replay_store} types of
   * {@code stores}, e.g. {@code SignedTokenSection.provider(RedisReplayStore.provider())}.
   *
   * @throws IllegalArgumentException if two stores have the same type, or one is {@code memory} or
   *     not lower-case letters and digits
   */
  public static ConfigSectionProvider<SignedTokenSection> provider(ReplayStoreProvider... stores) {
    Map<String, ReplayStoreProvider> byType = new LinkedHashMap<>();
    for (ReplayStoreProvider p : stores) {
      String type = requireNonNull(requireNonNull(p, "store provider").type(), "type()");
      if (!type.matches("[a-z][a-z0-9]*") || type.equals(MEMORY_STORE)) {
        throw new IllegalArgumentException("signed_token: invalid replay store type " + type);
      }
      if (byType.putIfAbsent(type, p) != null) {
        throw new IllegalArgumentException(
            "signed_token: replay store type " + type + " registered twice");
      }
    }
    return new Provider(byType);
  }

  @Override
  public List<ConfigClaim> claims() {
    List<ConfigClaim> out = new ArrayList<>();
    out.add(ConfigClaim.header(header, PATH + ".header"));
    for (int i = 0; i < issuers.size(); i++) {
      out.add(ConfigClaim.issuer(issuers.get(i).issuer(), PATH + ".issuers[" + i + "].issuer"));
    }
    return out;
  }

  /**
   * Whether the verifier-relevant settings are the same: service name, clock skew, max TTL, and
   * every issuer's name, keys and algorithms.
   */
  boolean sameVerifier(SignedTokenSection other) {
    return serviceName.equals(other.serviceName)
        && clockSkew.equals(other.clockSkew)
        && maxTtl.equals(other.maxTtl)
        && fetchTimeout.equals(other.fetchTimeout)
        && verifierView().equals(other.verifierView());
  }

  private Map<String, List<Object>> verifierView() {
    Map<String, List<Object>> out = new LinkedHashMap<>();
    for (Issuer i : issuers) {
      out.put(i.issuer(), List.of(i.keys(), i.algorithms()));
    }
    return out;
  }

  /**
   * One trusted calling service.
   *
   * @param issuer its {@code iss}
   * @param keys where its JWKS comes from
   * @param roles roles granted to it
   * @param scopes scopes granted to it
   * @param clusterIds allowed {@code cluster_id} values (empty: no binding)
   * @param algorithms allowed algorithms (default ES256, RS256, PS256)
   * @param replayProtection per-issuer override of the section's setting
   * @param subjects the {@code sub} values accepted, each with its own grant ({@code subjects};
   *     empty: {@code sub} must equal {@code issuer})
   * @param requireCertificateBinding per-issuer RFC 8705 binding requirement ({@code
   *     require_certificate_binding}; empty: the source-wide default, off)
   * @param userDelegation whether this caller may propagate end users ({@code propagates_users},
   *     {@code max_delegation_depth}, {@code delegated_user_issuers}); empty: it may not
   */
  public record Issuer(
      String issuer,
      JwksConfig keys,
      List<String> roles,
      List<String> scopes,
      List<String> clusterIds,
      List<String> algorithms,
      Optional<Boolean> replayProtection,
      List<Subject> subjects,
      Optional<Boolean> requireCertificateBinding,
      Optional<UserDelegation> userDelegation) {
    /** Validates and copies. */
    public Issuer {
      requireNonNull(issuer, "issuer");
      requireNonNull(keys, "keys");
      roles = List.copyOf(roles);
      scopes = List.copyOf(scopes);
      clusterIds = List.copyOf(clusterIds);
      algorithms = List.copyOf(algorithms);
      requireNonNull(replayProtection, "replayProtection");
      subjects = List.copyOf(subjects);
      requireNonNull(requireCertificateBinding, "requireCertificateBinding");
      requireNonNull(userDelegation, "userDelegation");
    }

    /**
     * An issuer without subjects, without its own certificate-binding setting, that may not
     * propagate end users.
     */
    public Issuer(
        String issuer,
        JwksConfig keys,
        List<String> roles,
        List<String> scopes,
        List<String> clusterIds,
        List<String> algorithms,
        Optional<Boolean> replayProtection) {
      this(
          issuer,
          keys,
          roles,
          scopes,
          clusterIds,
          algorithms,
          replayProtection,
          List.of(),
          Optional.empty(),
          Optional.empty());
    }
  }

  /**
   * One accepted subject of an issuer, with its own grant. An empty list takes the issuer's value.
   *
   * @param subject the exact {@code sub}
   * @param roles roles granted to it
   * @param scopes scopes granted to it
   * @param clusterIds its allowed {@code cluster_id} values
   */
  public record Subject(
      String subject, List<String> roles, List<String> scopes, List<String> clusterIds) {
    /** Validates and copies. */
    public Subject {
      requireNonNull(subject, "subject");
      roles = List.copyOf(roles);
      scopes = List.copyOf(scopes);
      clusterIds = List.copyOf(clusterIds);
    }

    ServiceSubject toServiceSubject() {
      return ServiceSubject.newBuilder(subject)
          .roles(roles)
          .scopes(scopes)
          .clusterIds(clusterIds)
          .build();
    }
  }

  private static final class Provider implements ConfigSectionProvider<SignedTokenSection> {
    private final Map<String, ReplayStoreProvider> stores;

    Provider(Map<String, ReplayStoreProvider> stores) {
      // Registration order, for the list of known types in an error.
      this.stores = Collections.unmodifiableMap(new LinkedHashMap<>(stores));
    }

    @Override
    public String path() {
      return PATH;
    }

    @Override
    public Class<SignedTokenSection> sectionType() {
      return SignedTokenSection.class;
    }

    @Override
    public SignedTokenSection parse(ConfigNode o, GatehouseConfig topLevel) {
      String header = o.header("header", "authorization");
      long ttl = o.integer("max_ttl_seconds", 900, 1, 3600);
      boolean replay = o.bool("replay_protection", false);
      long replayCacheSize =
          o.integer(
              "replay_cache_size",
              SignedTokenTrustSource.DEFAULT_REPLAY_CACHE_SIZE,
              1,
              MAX_REPLAY_CACHE_SIZE);
      Duration fetchTimeout = JwtConfigFields.fetchTimeout(o);
      Optional<ReplayStoreSpec> store =
          o.optionalNode("replay_store").flatMap(n -> replayStore(n, topLevel));
      List<Issuer> issuers = o.list("issuers", Provider::issuer);
      if (issuers.isEmpty()) {
        throw new ConfigException(o.path("issuers"), "at least one issuer is required");
      }
      ConfigNode.requireDistinct(
          issuers.stream().map(Issuer::issuer).toList(),
          i -> o.path("issuers[" + i + "].issuer"),
          "issuer");
      o.finish();
      return new SignedTokenSection(
          header,
          Duration.ofSeconds(ttl),
          replay,
          issuers,
          topLevel.serviceName(),
          topLevel.clockSkew(),
          (int) replayCacheSize,
          fetchTimeout,
          store);
    }

    /** {@code replay_store}: empty for {@code memory}, else the registered type's settings. */
    private Optional<ReplayStoreSpec> replayStore(ConfigNode n, GatehouseConfig topLevel) {
      String type = n.requiredString("type");
      if (type.equals(MEMORY_STORE)) {
        n.finish();
        return Optional.empty();
      }
      ReplayStoreProvider p = stores.get(type);
      if (p == null) {
        List<String> known = new ArrayList<>();
        known.add(MEMORY_STORE);
        known.addAll(stores.keySet());
        throw new ConfigException(
            n.path("type"),
            "unknown replay store type \""
                + type.substring(0, Math.min(type.length(), 32)).replaceAll("[^a-z0-9_-]", "?")
                + "\"; registered: "
                + String.join(", ", known)
                + (type.equals("redis")
                    ? " (the redis store is provided by gatehouse-replay-redis:"
                        + " SignedTokenSection.provider(RedisReplayStore.provider()))"
                    : ""));
      }
      ReplayStoreSpec spec = requireNonNull(p.parse(n, topLevel), "replay store spec");
      n.finish();
      return Optional.of(spec);
    }

    private static Issuer issuer(ConfigNode o) {
      String issuer = o.requiredString("issuer");
      JwksConfig keys = JwksConfig.read(o);
      List<String> roles = o.stringList("roles");
      List<String> scopes = o.stringList("scopes");
      List<String> clusterIds = o.stringList("cluster_ids");
      List<String> algorithms = JwtConfigFields.algorithms(o);
      Optional<Boolean> replay = o.optionalBool("replay_protection");
      List<Subject> subjects = SignedTokenSubjectsConfig.subjects(o, roles, scopes, clusterIds);
      Optional<Boolean> binding = o.optionalBool("require_certificate_binding");
      Optional<UserDelegation> delegation = userDelegation(o);
      o.finish();
      return new Issuer(
          issuer,
          keys,
          roles,
          scopes,
          clusterIds,
          algorithms,
          replay,
          subjects,
          binding,
          delegation);
    }

    /**
     * {@code propagates_users} (default false), and only with it {@code max_delegation_depth}
     * (default 1, at most 4) and {@code delegated_user_issuers}.
     */
    private static Optional<UserDelegation> userDelegation(ConfigNode o) {
      boolean propagates = o.bool("propagates_users", false);
      if (!propagates) {
        for (String key : List.of("max_delegation_depth", "delegated_user_issuers")) {
          if (o.has(key)) {
            throw new ConfigException(o.path(key), "needs propagates_users: true");
          }
        }
        return Optional.empty();
      }
      long depth = o.integer("max_delegation_depth", 1, 1, UserDelegation.MAX_DEPTH);
      List<String> userIssuers = o.stringList("delegated_user_issuers");
      return Optional.of(UserDelegation.of((int) depth, userIssuers));
    }

    @Override
    public Authenticator create(
        SignedTokenSection c,
        GatehouseConfig config,
        Optional<Previous<SignedTokenSection>> previous) {
      // The replay cache is carried over on reload (no replay window), so its size is fixed
      // until restart: a reload that changes it is refused and the running source keeps serving.
      if (previous.isPresent()
          && previous.get().section().replayCacheSize() != c.replayCacheSize()) {
        throw new ConfigException(
            PATH + ".replay_cache_size", "changed; this takes effect only on restart");
      }
      // Likewise the replay store: the running one is carried over, a different one needs a
      // restart.
      if (previous.isPresent()
          && !Objects.equals(previous.get().section().replayStore(), c.replayStore())) {
        throw new ConfigException(
            PATH + ".replay_store", "changed; this takes effect only on restart");
      }
      SignedTokenTrustSource.Builder b =
          SignedTokenTrustSource.newBuilder()
              .serviceName(c.serviceName())
              .header(c.header())
              .maxTtl(c.maxTtl())
              .replayProtection(c.replayProtection())
              .replayCacheSize(c.replayCacheSize())
              .fetchTimeout(c.fetchTimeout())
              .clockSkew(c.clockSkew());
      Optional<SignedTokenTrustSource> before =
          previous
              .map(Previous::authenticator)
              .filter(SignedTokenTrustSource.class::isInstance)
              .map(SignedTokenTrustSource.class::cast);
      // A reload must not open a replay window: the new source keeps the old one's seen tokens.
      before.ifPresent(b::continueReplayCacheOf);
      // Otherwise issuers whose jwks_uri/jwks_file and algorithms are unchanged keep their keys.
      before.ifPresent(b::reuseKeysOf);
      // Only grants, cluster ids or replay settings changed: keep the keys and their caches.
      if (previous.isPresent() && previous.get().section().sameVerifier(c)) {
        before.ifPresent(b::shareVerifierOf);
      }
      for (Issuer i : c.issuers()) {
        ServiceTokenIssuer.Builder ib =
            ServiceTokenIssuer.newBuilder(i.issuer())
                .keys(i.keys().toSource())
                .algorithms(i.algorithms())
                .roles(i.roles())
                .scopes(i.scopes())
                .clusterIds(i.clusterIds());
        i.replayProtection().ifPresent(ib::replayProtection);
        i.subjects().forEach(s -> ib.addSubject(s.toServiceSubject()));
        i.requireCertificateBinding().ifPresent(ib::requireCertificateBinding);
        i.userDelegation().ifPresent(ib::propagatesUsers);
        b.addIssuer(ib.build());
      }
      // A new store only when nothing is carried over; the source owns it from here on.
      ReplayStore opened =
          before.isEmpty() ? c.replayStore().map(ReplayStoreSpec::open).orElse(null) : null;
      if (opened == null) {
        return b.build();
      }
      try {
        return b.replayStore(opened).build();
      } catch (RuntimeException e) {
        opened.close();
        throw e;
      }
    }

    @Override
    public ReloadPolicy reloadPolicy() {
      return ReloadPolicy.REBUILD;
    }

    @Override
    public String toString() {
      return stores.isEmpty()
          ? "SignedTokenSection.provider()"
          : "SignedTokenSection.provider(" + String.join(", ", stores.keySet()) + ")";
    }
  }
}
