package dev.gatehouse.trust.spiffe;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.spi.TrustSource;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.internal.ClaimsPolicy;
import dev.gatehouse.trust.jwt.internal.HeaderPolicy;
import dev.gatehouse.trust.jwt.internal.JwtSettings;
import dev.gatehouse.trust.jwt.internal.JwtVerification;
import dev.gatehouse.trust.jwt.internal.JwtVerifier;
import dev.gatehouse.trust.jwt.internal.TrustAnchor;
import dev.gatehouse.trust.jwt.internal.TrustDomainKeySelector;
import dev.gatehouse.trust.jwt.internal.VerifiedJwt;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Internal trust source for JWT-SVIDs (SPIFFE JWT identity documents) in {@code authorization:
 * Bearer <jwt>}.
 *
 * <pre>{@code
 * SpiffeJwtTrustSource svids = SpiffeJwtTrustSource.newBuilder()
 *     .serviceAudience("spiffe://example.org/trips")          // our own audience
 *     .addBundle("example.org", JwksSource.uri("https://bundle.example.org/jwt.json"))
 *     .allow("spiffe://example.org/ns/trips/sa/worker", Set.of("trip-finisher"), Set.of())
 *     .build();
 * }</pre>
 *
 * <p>Checks, on top of the shared JWT core of {@code gatehouse-trust-jwt} (strict base64url, only
 * {@code alg}/{@code kid}/{@code typ} headers with {@code typ} absent, {@code JWT} or {@code JOSE},
 * asymmetric algorithms pinned to the key):
 *
 * <ul>
 *   <li><b>bundle binding</b>: the key is looked up only in the JWT bundle of the trust domain of
 *       the token's {@code sub} (read unverified to pick the bundle, then verified with it). A
 *       token whose {@code sub} is in trust domain A is never verified with B's keys, whatever its
 *       {@code kid} says: B's bundle can never vouch for an identity in A. {@code iss} is not used;
 *   <li>{@code sub} required, a SPIFFE ID parsed strictly ({@link SpiffeId}: upper case, dot
 *       segments, percent-encoding and the like are refused, never normalised);
 *   <li>{@code aud} required (a string or an array of strings) and containing the service audience;
 *       {@code exp} required; {@code nbf} and {@code iat} checked when present; bounded clock skew;
 *   <li>the identity must be allowed, by its exact SPIFFE ID or by membership of an allowed trust
 *       domain ({@link Reason#IDENTITY_NOT_ALLOWED} otherwise); an exact entry wins over a trust
 *       domain entry. The grant (roles, scopes) is the allow entry's; the token's own claims never
 *       add to it.
 * </ul>
 *
 * <p>Bundle keys may have {@code use} absent, {@code sig} or {@code jwt-svid}; keys for another use
 * ({@code x509-svid}, {@code enc}), keys without {@code kid}, unsupported key types (OKP/Ed25519
 * included), weak RSA and symmetric keys are dropped with a warning, and a bundle left without a
 * usable key refuses every token of its trust domain.
 *
 * <p>Accepted calls carry an {@link AuthContext} of kind {@link PrincipalKind#SERVICE}, subject the
 * SPIFFE ID, issuer the trust domain name, trust source {@value #NAME}.
 */
public final class SpiffeJwtTrustSource
    implements TrustSource, dev.gatehouse.spi.KeySetReachability {
  /** The name in logs and {@code AuthContext.trustSource()}. */
  public static final String NAME = "spiffe_jwt";

  /** The default credential header. */
  public static final String DEFAULT_HEADER = "authorization";

  private final JwtVerifier verifier;
  private final String header;
  private final Map<SpiffeId, Grant> exact;
  private final Map<TrustDomain, Grant> domains;
  private final Set<TrustDomain> bundles;
  private final List<AutoCloseable> closeWith;

  private record Grant(Set<String> roles, Set<String> scopes) {}

  private SpiffeJwtTrustSource(
      JwtVerifier verifier,
      String header,
      Map<SpiffeId, Grant> exact,
      Map<TrustDomain, Grant> domains,
      Set<TrustDomain> bundles,
      List<AutoCloseable> closeWith) {
    this.closeWith = List.copyOf(closeWith);
    this.verifier = verifier;
    this.header = header;
    this.exact = Map.copyOf(exact);
    this.domains = Map.copyOf(domains);
    this.bundles = Set.copyOf(bundles);
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<String> credentialHeaders() {
    return Set.of(header);
  }

  /** Where each trust domain's fetched JWT bundle stands, for health checks; never fetches. */
  @Override
  public java.util.List<KeySetState> keySets() {
    return verifier.keySetStates();
  }

  /** The trust domains whose bundles are configured. */
  public Set<TrustDomain> trustDomains() {
    return bundles;
  }

  /** True when the token's key set has no usable cached keys or lacks its {@code kid}. */
  @Override
  public boolean mayWaitForKeys(IncomingCall request) {
    return verifier.mayWaitForKeys(request, header);
  }

  @Override
  public AuthResult authenticate(IncomingCall request) {
    JwtVerification v = verifier.verifyBearer(request, header);
    if (!v.isVerified()) {
      return v.toFailure();
    }
    // The result depends only on the verified token and this source's fixed allow-list (nothing
    // here reads the call), so it is built once per token and served with the token from the
    // verifier's cache, keyed by this instance: a reload's new allow-list never sees it.
    return v.token().derive(this, AuthResult.class, this::result);
  }

  /** The result of a verified token under this source's allow-list; never reads the call. */
  private AuthResult result(VerifiedJwt jwt) {
    // The verifier picked the bundle by this very sub; parse it again, strictly, and make sure the
    // bundle that verified the token is the one of the identity's trust domain.
    Optional<SpiffeId> parsed = jwt.subject().flatMap(SpiffeId::tryParse);
    if (parsed.isEmpty()) {
      return AuthResult.rejected(Reason.INVALID_CLAIMS, "sub is not a valid SPIFFE ID");
    }
    SpiffeId id = parsed.get();
    if (id.path().isEmpty()) {
      return AuthResult.rejected(
          Reason.INVALID_CLAIMS, "sub " + id + " names a trust domain, not a workload");
    }
    if (!id.trustDomain().name().equals(jwt.issuer())) {
      return AuthResult.rejected(
          Reason.UNKNOWN_ISSUER,
          id + " was verified with the bundle of another trust domain " + jwt.issuer());
    }
    Grant grant = exact.get(id);
    if (grant == null) {
      grant = domains.get(id.trustDomain());
    }
    if (grant == null) {
      return AuthResult.rejected(
          Reason.IDENTITY_NOT_ALLOWED, id + " is not on the spiffe_jwt allow-list");
    }
    return AuthResult.authenticated(
        Principal.newBuilder()
            .subject(id.toString())
            .issuer(id.trustDomain().name())
            .roles(grant.roles())
            .scopes(grant.scopes())
            .expiry(jwt.expiry())
            .claim("sub", id.toString())
            .claim("aud", jwt.audiences())
            .build());
  }

  /** Stops the bundle refresh threads. */
  @Override
  public void close() {
    verifier.close();
    SpiffeResources.closeAll(closeWith);
  }

  @Override
  public String toString() {
    return "SpiffeJwtTrustSource{trustDomains="
        + bundles
        + ", allow="
        + exact.keySet()
        + ", allowTrustDomains="
        + domains.keySet()
        + ", header="
        + header
        + "}";
  }

  /**
   * Builds a {@link SpiffeJwtTrustSource}. The service audience, at least one bundle and at least
   * one allow entry are required; {@link #build()} validates everything.
   */
  public static final class Builder {
    private record Bundle(String trustDomain, JwksSource keys) {}

    private record AllowEntry(String value, List<String> roles, List<String> scopes) {}

    private String serviceAudience;
    private final List<Bundle> bundles = new ArrayList<>();
    private final List<AllowEntry> allowIds = new ArrayList<>();
    private final List<AllowEntry> allowDomains = new ArrayList<>();
    private String header = DEFAULT_HEADER;
    private final JwtSettings.Builder settings = JwtSettings.newBuilder();
    private SpiffeJwtTrustSource keysOf;
    private final List<AutoCloseable> closeWith = new ArrayList<>();

    private Builder() {}

    /** A resource (a bundle feed lease) closed when the built source is closed. */
    public Builder closeWith(AutoCloseable resource) {
      closeWith.add(requireNonNull(resource, "resource"));
      return this;
    }

    /**
     * Adds the JWT bundle of one trust domain as {@code bundles} holds it now and later: a Workload
     * API or bundle endpoint feed keeps it up to date, and every token is verified with its current
     * keys (filtered as any bundle's). Until the set holds keys for the trust domain, its tokens
     * are refused.
     */
    public Builder addBundle(String trustDomain, TrustBundleSet bundles) {
      requireNonNull(trustDomain, "trustDomain");
      requireNonNull(bundles, "bundles");
      TrustDomain td = trustDomain(trustDomain, "bundle");
      return addBundle(trustDomain, JwksSource.live(() -> bundles.jwtAuthorities(td).orElse(null)));
    }

    /**
     * Keeps the cached bundles of the source this one replaces (a configuration reload): every
     * trust domain whose bundle location (URL or file), algorithms, fetch timeout and outage
     * tolerance are unchanged shares its keys and their cache (which may be riding out a bundle
     * endpoint outage) instead of fetching them again; any other trust domain is fetched anew. The
     * audience, allow-list and other settings are this builder's. Closing {@code previous}
     * afterwards leaves the shared bundles running until this source is closed too.
     */
    public Builder reuseKeysOf(SpiffeJwtTrustSource previous) {
      this.keysOf = requireNonNull(previous, "previous");
      return this;
    }

    /**
     * This service's audience (required): every JWT-SVID's {@code aud} must contain it. The SPIFFE
     * specification recommends a value scoped to the service, such as {@code
     * spiffe://example.org/trips} or {@code trips}.
     */
    public Builder serviceAudience(String audience) {
      this.serviceAudience = requireNonNull(audience, "audience");
      return this;
    }

    /** Adds the JWT bundle (a JWKS) of one trust domain. */
    public Builder addBundle(TrustDomain trustDomain, JwksSource bundle) {
      return addBundle(requireNonNull(trustDomain, "trustDomain").name(), bundle);
    }

    /**
     * Adds the JWT bundle (a JWKS) of one trust domain, named without {@code spiffe://} (e.g.
     * {@code example.org}); the name is parsed strictly at {@link #build()}.
     */
    public Builder addBundle(String trustDomain, JwksSource bundle) {
      bundles.add(
          new Bundle(requireNonNull(trustDomain, "trustDomain"), requireNonNull(bundle, "bundle")));
      return this;
    }

    /** Allows one exact SPIFFE ID with the roles and scopes it is granted. */
    public Builder allow(SpiffeId id, Collection<String> roles, Collection<String> scopes) {
      return allow(requireNonNull(id, "id").toString(), roles, scopes);
    }

    /**
     * Allows one exact SPIFFE ID (parsed strictly at {@link #build()}) with the roles and scopes it
     * is granted.
     */
    public Builder allow(String id, Collection<String> roles, Collection<String> scopes) {
      allowIds.add(entry(requireNonNull(id, "id"), roles, scopes));
      return this;
    }

    /** Allows every identity of a trust domain, with the roles and scopes each is granted. */
    public Builder allowTrustDomain(
        TrustDomain trustDomain, Collection<String> roles, Collection<String> scopes) {
      return allowTrustDomain(requireNonNull(trustDomain, "trustDomain").name(), roles, scopes);
    }

    /**
     * Allows every identity of a trust domain (named without {@code spiffe://}, parsed strictly at
     * {@link #build()}), with the roles and scopes each is granted. An exact {@link #allow} entry
     * for an identity wins over this one.
     */
    public Builder allowTrustDomain(
        String trustDomain, Collection<String> roles, Collection<String> scopes) {
      allowDomains.add(entry(requireNonNull(trustDomain, "trustDomain"), roles, scopes));
      return this;
    }

    private static AllowEntry entry(
        String value, Collection<String> roles, Collection<String> scopes) {
      return new AllowEntry(
          value,
          List.copyOf(requireNonNull(roles, "roles")),
          List.copyOf(requireNonNull(scopes, "scopes")));
    }

    /** The header carrying {@code Bearer <jwt>}, default {@code authorization}. */
    public Builder header(String header) {
      this.header = requireNonNull(header, "header").toLowerCase(Locale.ROOT);
      return this;
    }

    /**
     * The algorithm allow-list for every bundle, default {@code [ES256, RS256, PS256]}; only
     * asymmetric algorithms. An RSA key without {@code alg} is pinned to the first RSA algorithm of
     * the list, an EC key to its curve's.
     */
    public Builder algorithms(List<String> algorithms) {
      settings.algorithms(List.copyOf(requireNonNull(algorithms, "algorithms")));
      return this;
    }

    /** Tolerated clock difference, default 30 s, at most 120 s. */
    public Builder clockSkew(Duration skew) {
      settings.clockSkew(skew);
      return this;
    }

    /** The clock (tests). */
    public Builder clock(Clock clock) {
      settings.clock(clock);
      return this;
    }

    /** Largest accepted token, default 8 KiB. */
    public Builder maxTokenBytes(int maxTokenBytes) {
      settings.maxTokenBytes(maxTokenBytes);
      return this;
    }

    /** Bound on one bundle fetch, default 2 s. */
    public Builder fetchTimeout(Duration timeout) {
      settings.fetchTimeout(timeout);
      return this;
    }

    /** How long cached bundle keys serve through a bundle endpoint outage, default 1 h. */
    public Builder outageTolerance(Duration tolerance) {
      settings.outageTolerance(tolerance);
      return this;
    }

    /**
     * Validates and builds; starts fetching the bundles in the background.
     *
     * @throws IllegalArgumentException on a missing service audience, no bundle, a trust domain
     *     that is invalid or has two bundles, an invalid allow entry (not a strict SPIFFE ID or
     *     trust domain, listed twice, blank role or scope, or in a trust domain without a bundle),
     *     an empty allow-list, a bad header name, or a bad verifier setting (skew over 120 s, an
     *     unsupported algorithm, ...)
     */
    public SpiffeJwtTrustSource build() {
      if (serviceAudience == null || serviceAudience.isEmpty()) {
        throw new IllegalArgumentException(
            "spiffe_jwt: serviceAudience (own audience) is required");
      }
      if (!header.matches("[a-z0-9][a-z0-9_.-]*") || header.endsWith("-bin")) {
        throw new IllegalArgumentException("spiffe_jwt: invalid header name " + header);
      }
      if (bundles.isEmpty()) {
        throw new IllegalArgumentException("spiffe_jwt: no trust domain bundle configured");
      }
      Map<TrustDomain, JwksSource> byDomain = new LinkedHashMap<>();
      for (Bundle b : bundles) {
        TrustDomain td = trustDomain(b.trustDomain(), "bundle");
        if (byDomain.put(td, b.keys()) != null) {
          throw new IllegalArgumentException(
              "spiffe_jwt: trust domain " + td + " has more than one bundle");
        }
      }
      if (allowIds.isEmpty() && allowDomains.isEmpty()) {
        throw new IllegalArgumentException(
            "spiffe_jwt: the allow-list is empty, so every identity would be refused");
      }
      Map<SpiffeId, Grant> exact = new LinkedHashMap<>();
      for (AllowEntry e : allowIds) {
        SpiffeId id;
        try {
          id = SpiffeId.parse(e.value());
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException(
              "spiffe_jwt: allow entry "
                  + e.value()
                  + " is not a valid SPIFFE ID ("
                  + ex.getMessage()
                  + ")",
              ex);
        }
        requireBundle(byDomain, id.trustDomain(), id.toString());
        if (exact.put(id, grant(e, id.toString())) != null) {
          throw new IllegalArgumentException("spiffe_jwt: " + id + " is on the allow-list twice");
        }
      }
      Map<TrustDomain, Grant> domains = new LinkedHashMap<>();
      for (AllowEntry e : allowDomains) {
        TrustDomain td = trustDomain(e.value(), "allowTrustDomain entry");
        requireBundle(byDomain, td, "trust domain " + td);
        if (domains.put(td, grant(e, "trust domain " + td)) != null) {
          throw new IllegalArgumentException(
              "spiffe_jwt: trust domain " + td + " is on the allow-list twice");
        }
      }
      JwtSettings shared = settings.build();
      List<TrustAnchor> anchors = new ArrayList<>();
      for (Map.Entry<TrustDomain, JwksSource> b : byDomain.entrySet()) {
        anchors.add(
            TrustAnchor.of(
                b.getKey().name(), b.getValue(), shared.algorithms(), Set.of(serviceAudience)));
      }
      JwtVerifier verifier =
          JwtVerifier.newBuilder(shared)
              .headerPolicy(
                  HeaderPolicy.newBuilder()
                      .allowedTypes(List.of("JWT", "JOSE"))
                      .exactTypes()
                      .build())
              .keySelector(
                  keysOf == null
                      ? TrustDomainKeySelector.of(shared, anchors, Builder::trustDomainOfSubject)
                      : TrustDomainKeySelector.of(
                          shared, anchors, Builder::trustDomainOfSubject, keysOf.verifier))
              .claimsPolicy(ClaimsPolicy.newBuilder().build())
              .build();
      return new SpiffeJwtTrustSource(
          verifier, header, exact, domains, byDomain.keySet(), closeWith);
    }

    /** The trust domain of a workload's SPIFFE ID in {@code sub}, parsed strictly. */
    private static Optional<String> trustDomainOfSubject(String sub) {
      return SpiffeId.tryParse(sub)
          .filter(id -> !id.path().isEmpty())
          .map(id -> id.trustDomain().name());
    }

    private static TrustDomain trustDomain(String name, String what) {
      try {
        return TrustDomain.parse(name);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "spiffe_jwt: "
                + what
                + " "
                + name
                + " is not a valid trust domain name ("
                + e.getMessage()
                + ")",
            e);
      }
    }

    private static void requireBundle(
        Map<TrustDomain, JwksSource> byDomain, TrustDomain td, String entry) {
      if (!byDomain.containsKey(td)) {
        throw new IllegalArgumentException(
            "spiffe_jwt: allow entry "
                + entry
                + " is in trust domain "
                + td
                + ", which has no bundle, so it could never be verified");
      }
    }

    private static Grant grant(AllowEntry e, String who) {
      return new Grant(nonBlank(e.roles(), "role", who), nonBlank(e.scopes(), "scope", who));
    }

    private static Set<String> nonBlank(List<String> values, String what, String who) {
      Set<String> out = new LinkedHashSet<>();
      for (String v : values) {
        if (v == null || v.isBlank()) {
          throw new IllegalArgumentException("spiffe_jwt: empty " + what + " for " + who);
        }
        out.add(v);
      }
      return Set.copyOf(out);
    }
  }
}
