package dev.gatehouse.trust.jwt;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.IssuerBound;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.spi.TrustSource;
import dev.gatehouse.trust.jwt.internal.ClaimsPolicy;
import dev.gatehouse.trust.jwt.internal.HeaderPolicy;
import dev.gatehouse.trust.jwt.internal.IssuerKeySelector;
import dev.gatehouse.trust.jwt.internal.JwtSettings;
import dev.gatehouse.trust.jwt.internal.JwtVerification;
import dev.gatehouse.trust.jwt.internal.JwtVerifier;
import dev.gatehouse.trust.jwt.internal.TrustAnchor;
import dev.gatehouse.trust.jwt.internal.VerifiedJwt;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Internal trust source for per-service signed JWTs in {@code authorization: Bearer <jwt>}.
 *
 * <pre>{@code
 * SignedTokenTrustSource tokens = SignedTokenTrustSource.newBuilder()
 *     .serviceName("trips")                       // our own audience
 *     .addIssuer(ServiceTokenIssuer.newBuilder("worker")
 *         .jwksUri("https://worker.internal/jwks.json")
 *         .roles(List.of("trip-finisher"))
 *         .build())
 *     .build();
 * }</pre>
 *
 * <p>Checks, on top of the shared JWT core (issuer-bound keys, algorithm pinned to the key, only
 * {@code alg}/{@code kid}/{@code typ} headers, strict base64url): {@code aud} contains {@code
 * serviceName}; {@code exp} and {@code iat} required, {@code exp - iat} at most the max TTL
 * (default 900 s, at most 3600 s); {@code sub} equals {@code iss} unless the issuer lists subjects
 * ({@link ServiceSubject}, each with its own grant and cluster ids); optional {@code cluster_id}
 * binding; optional RFC 8705 certificate binding (source-wide or per issuer); optional replay
 * protection ({@code jti} required, a repeat within the token's lifetime refused, a full cache
 * refuses new tokens; the {@link ReplayStore} is in this process by default, or shared by replicas,
 * see {@link Builder#replayStore(ReplayStore)}). With replay protection on, Gatehouse clients must
 * be built with {@code ServiceTokenCallCredentials.Builder.oneTimeTokens()} (gatehouse-client): by
 * default they reuse one cached token per audience, which this source accepts only once.
 *
 * <p>The grant comes from the server's issuer entry (or the subject's entry, when it sets a field).
 * The token's own {@code roles} (array of strings) and {@code scope} (space-delimited string)
 * claims, when present, narrow it to the intersection; when absent the grant stays whole. A token
 * can never widen it.
 */
public final class SignedTokenTrustSource
    implements TrustSource,
        IssuerBound,
        dev.gatehouse.spi.KeySetReachability,
        dev.gatehouse.spi.ReplayCacheSize {
  /** The name in logs and {@code AuthContext.trustSource()}. */
  public static final String NAME = "signed_token";

  /** Default maximum token lifetime, 900 s. */
  public static final Duration DEFAULT_MAX_TTL = Duration.ofMinutes(15);

  /** Largest configurable token lifetime, 3600 s. */
  public static final Duration MAX_MAX_TTL = Duration.ofHours(1);

  /** Default capacity of the replay cache. */
  public static final int DEFAULT_REPLAY_CACHE_SIZE = 100_000;

  private static final int MAX_JTI_LENGTH = 256;

  private static final Logger LOG = Logger.getLogger(SignedTokenTrustSource.class.getName());

  private final SharedVerifier shared;
  private final JwtVerifier verifier;
  private final AtomicBoolean closed = new AtomicBoolean();
  private final Map<String, ServiceTokenIssuer> issuers;
  private final String header;
  private final boolean replayDefault;
  private final SharedReplayStore replayStore;
  private final Clock clock;
  private final boolean requireBinding;

  private SignedTokenTrustSource(SharedVerifier shared, Builder b) {
    this.shared = shared;
    this.verifier = shared.verifier;
    Map<String, ServiceTokenIssuer> map = new LinkedHashMap<>();
    b.issuers.forEach(i -> map.put(i.issuer(), i));
    this.issuers = Map.copyOf(map);
    this.header = b.header;
    this.replayDefault = b.replayProtection;
    this.replayStore =
        b.inheritedReplayStore != null
            ? b.inheritedReplayStore.retain()
            : new SharedReplayStore(
                b.replayStore != null ? b.replayStore : ReplayStore.inMemory(b.replayCacheSize));
    this.clock = verifier.clock();
    this.requireBinding = b.requireBinding;
  }

  /**
   * How many token identifiers the replay cache holds now (tokens seen and not yet known to have
   * expired; expired ones are dropped as new tokens arrive), for monitoring. Zero when no issuer
   * has replay protection on, and for a store that keeps no entries in this process ({@link
   * ReplayStore#localSize()}). Read-only: it never affects a decision.
   */
  @Override
  public int replayCacheSize() {
    return replayStore.store.localSize();
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

  /** Where each issuer's fetched key set stands, for health checks; never fetches. */
  @Override
  public java.util.List<KeySetState> keySets() {
    return verifier.keySetStates();
  }

  @Override
  public Set<String> issuers() {
    return issuers.keySet();
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
    // Everything that depends only on the token and this source's fixed configuration (subject,
    // grant, cnf form, cluster, delegation, narrowing, jti presence, the principal) is worked out
    // once per token and served with it from the verifier's cache, keyed by this instance so a
    // reload never sees another configuration's verdict. What depends on the call runs here on
    // every call, in the order it always ran: the peer certificate against cnf, then the jti.
    Verdict d = v.token().derive(this, Verdict.class, this::verdict);
    if (d.boundTo() != null && !peerPresents(request, d.boundTo())) {
      return AuthResult.rejected(
          Reason.BINDING_MISMATCH, d.who() + ": token bound to another client certificate");
    }
    if (d.jti() != null) {
      switch (registerOnce(d.issuer(), d.jti(), d.replayUntilMillis())) {
        case REPLAYED -> {
          return AuthResult.rejected(Reason.REPLAYED, d.who() + ": jti already used");
        }
        case FULL -> {
          return AuthResult.rejected(
              Reason.REPLAYED, d.who() + ": replay cache full, token refused");
        }
        case UNAVAILABLE -> {
          return AuthResult.unavailable(d.who() + ": replay store unavailable, token refused");
        }
        case FIRST_USE -> {}
      }
    }
    return d.outcome();
  }

  /**
   * What one verified token comes to under this source's fixed configuration, apart from the
   * per-call checks it names. Immutable and free of anything read from a call, so one value serves
   * every call presenting the token.
   *
   * @param issuer the token's issuer
   * @param who the caller as details name it ({@code issuer X sub Y}), or null before the subject
   *     is known
   * @param boundTo the {@code cnf.x5t#S256} the call's peer certificate must match, or null when
   *     the token is unbound or refused before the binding check
   * @param jti the identifier to register once (replay protection on and the token otherwise
   *     accepted), or null
   * @param replayUntilMillis how long to remember {@code jti}
   * @param outcome the result once the per-call checks pass: a refusal or the accepted principal
   */
  private record Verdict(
      String issuer,
      String who,
      String boundTo,
      String jti,
      long replayUntilMillis,
      AuthResult outcome) {
    /** A refusal that precedes every per-call check. */
    static Verdict refused(String issuer, AuthResult refusal) {
      return new Verdict(issuer, null, null, null, 0, refusal);
    }

    /** A refusal that follows the certificate binding check (when the token is bound). */
    static Verdict refusedAfterBinding(
        String issuer, String who, String boundTo, AuthResult refusal) {
      return new Verdict(issuer, who, boundTo, null, 0, refusal);
    }
  }

  /** The per-token part of {@link #authenticate}; never reads the call. */
  private Verdict verdict(VerifiedJwt jwt) {
    String iss = jwt.issuer();
    ServiceTokenIssuer entry = issuers.get(iss);
    Optional<String> sub = jwt.subject().filter(s -> !s.isEmpty());
    if (sub.isEmpty()) {
      return Verdict.refused(
          iss, AuthResult.rejected(Reason.INVALID_CLAIMS, "issuer " + iss + ": sub missing"));
    }
    // The grant of this subject: the issuer's, or the subject's own entry (sub must be listed).
    Optional<SubjectGrant> grant = entry.grantFor(sub.get());
    if (grant.isEmpty()) {
      return Verdict.refused(
          iss,
          AuthResult.rejected(
              Reason.SUBJECT_MISMATCH, "issuer " + iss + ": sub is not an allowed subject"));
    }
    String who = "issuer " + iss + " sub " + sub.get();
    boolean bindingRequired = entry.requireCertificateBinding().orElse(requireBinding);
    String boundTo = null;
    if (!jwt.claims().containsKey("cnf")) {
      if (bindingRequired) {
        return Verdict.refused(
            iss,
            AuthResult.rejected(Reason.BINDING_MISMATCH, who + ": cnf missing, binding required"));
      }
    } else {
      boundTo = boundThumbprint(jwt.claims().get("cnf"));
      if (boundTo == null) {
        return Verdict.refused(
            iss,
            AuthResult.rejected(
                Reason.INVALID_CLAIMS, who + ": cnf is not a single x5t#S256 confirmation"));
      }
    }
    // From here on a refusal comes after the (per-call) binding check, as it always did.
    Set<String> clusterIds = grant.get().clusterIds();
    if (!clusterIds.isEmpty()) {
      Optional<String> cluster = jwt.stringClaim("cluster_id");
      if (cluster.isEmpty() || !clusterIds.contains(cluster.get())) {
        return Verdict.refusedAfterBinding(
            iss,
            who,
            boundTo,
            AuthResult.rejected(
                Reason.CLUSTER_MISMATCH, who + ": cluster_id missing or not allowed"));
      }
    }
    // The delegation claim depends only on the token and the issuer's delegation setting.
    DelegationClaim.Result obo = DelegationClaim.read(jwt.claims(), entry.userDelegation(), who);
    if (obo.refusal() != null) {
      return Verdict.refusedAfterBinding(iss, who, boundTo, obo.refusal());
    }
    Set<String> roles = new LinkedHashSet<>(grant.get().roles());
    if (jwt.claims().containsKey("roles")) {
      Optional<Set<String>> narrowed = stringArray(jwt.claims().get("roles"));
      if (narrowed.isEmpty()) {
        return Verdict.refusedAfterBinding(
            iss,
            who,
            boundTo,
            AuthResult.rejected(Reason.INVALID_CLAIMS, who + ": roles is not an array of strings"));
      }
      roles.retainAll(narrowed.get());
    }
    Set<String> scopes = new LinkedHashSet<>(grant.get().scopes());
    if (jwt.claims().containsKey("scope")) {
      Object claimedScope = jwt.claims().get("scope");
      if (!(claimedScope instanceof String string)) {
        return Verdict.refusedAfterBinding(
            iss,
            who,
            boundTo,
            AuthResult.rejected(Reason.INVALID_CLAIMS, who + ": scope is not a string"));
      }
      scopes.retainAll(Arrays.asList(string.split(" ")));
    }
    String jti = null;
    long replayUntil = 0;
    if (entry.replayProtection().orElse(replayDefault)) {
      Optional<String> id = jwt.jwtId().filter(j -> !j.isEmpty() && j.length() <= MAX_JTI_LENGTH);
      if (id.isEmpty()) {
        return Verdict.refusedAfterBinding(
            iss,
            who,
            boundTo,
            AuthResult.rejected(Reason.INVALID_CLAIMS, who + ": jti missing (replay protection)"));
      }
      jti = id.get();
      // Remember the jti until no configuration could still accept the token: exp plus the
      // largest skew there can ever be, so a reload that raises the skew opens no replay window.
      replayUntil = jwt.expiry().toEpochMilli() + JwtSettings.MAX_CLOCK_SKEW.toMillis();
    }
    Principal.Builder context =
        Principal.newBuilder()
            .subject(sub.get())
            .issuer(iss)
            .roles(roles)
            .scopes(scopes)
            .expiry(jwt.expiry())
            .claim("iss", iss)
            .claim("sub", sub.get())
            .claim("aud", jwt.audiences());
    jwt.stringClaim("cluster_id").ifPresent(c -> context.claim("cluster_id", c));
    obo.user().ifPresent(context::delegatingUser);
    return new Verdict(
        iss, who, boundTo, jti, replayUntil, AuthResult.authenticated(context.build()));
  }

  /** Asks the store; a store that throws or answers nothing is unavailable, never a first use. */
  private ReplayStore.Result registerOnce(String iss, String jti, long expiresAtMillis) {
    try {
      ReplayStore.Result r =
          replayStore.store.insertIfAbsent(
              iss,
              jti,
              Instant.ofEpochMilli(expiresAtMillis),
              Instant.ofEpochMilli(clock.millis()));
      return r == null ? ReplayStore.Result.UNAVAILABLE : r;
    } catch (RuntimeException e) {
      // The exception's class only: a store's message might quote its connection settings.
      LOG.log(
          Level.WARNING,
          "signed_token: replay store failed ({0}); token refused as UNAVAILABLE",
          e.getClass().getName());
      return ReplayStore.Result.UNAVAILABLE;
    }
  }

  private static Optional<Set<String>> stringArray(Object value) {
    if (!(value instanceof List)) {
      return Optional.empty();
    }
    Set<String> out = new LinkedHashSet<>();
    for (Object o : (List<?>) value) {
      if (!(o instanceof String string)) {
        return Optional.empty();
      }
      out.add(string);
    }
    return Optional.of(out);
  }

  /**
   * RFC 8705: a token carrying {@code cnf} is only accepted from the peer whose TLS client
   * certificate has the thumbprint {@code cnf.x5t#S256}; the TLS handshake proved the peer holds
   * that certificate's key, so a stolen bound token is useless elsewhere. A {@code cnf} of any
   * other form cannot be checked and is refused. Without {@code cnf} the token is unbound, which is
   * refused only when binding is required: {@link Builder#requireCertificateBinding(boolean)}, or
   * the issuer's own {@link ServiceTokenIssuer.Builder#requireCertificateBinding(boolean)}.
   *
   * @return the thumbprint a {@code cnf} claim binds the token to, or null when it is not a single
   *     {@code x5t#S256} confirmation
   */
  private static String boundThumbprint(Object cnf) {
    if (!(cnf instanceof Map<?, ?> map)
        || map.size() != 1
        || !(map.get("x5t#S256") instanceof String expected)) {
      return null;
    }
    return expected;
  }

  /** Whether this call's peer presents the certificate with thumbprint {@code expected}. */
  private static boolean peerPresents(IncomingCall request, String expected) {
    Optional<String> actual = CertificateThumbprint.ofPeer(request);
    return actual.isPresent()
        && MessageDigest.isEqual(
            actual.get().getBytes(StandardCharsets.US_ASCII),
            expected.getBytes(StandardCharsets.US_ASCII));
  }

  /** Stops the key refresh threads (once no source sharing the verifier is open). */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      shared.release();
      replayStore.release();
    }
  }

  /** A replay store that successive sources of a reload share; closed with the last of them. */
  private static final class SharedReplayStore {
    final ReplayStore store;
    private final AtomicInteger owners = new AtomicInteger(1);

    SharedReplayStore(ReplayStore store) {
      this.store = store;
    }

    SharedReplayStore retain() {
      if (owners.getAndIncrement() <= 0) {
        throw new IllegalStateException(
            "signed_token: the replay store to share is already closed");
      }
      return this;
    }

    void release() {
      if (owners.decrementAndGet() == 0) {
        try {
          store.close();
        } catch (RuntimeException e) {
          LOG.log(
              Level.WARNING,
              "signed_token: closing the replay store failed: {0}",
              e.getClass().getName());
        }
      }
    }
  }

  /** A verifier (keys and their caches) that successive sources of a reload can share. */
  private static final class SharedVerifier {
    final JwtVerifier verifier;
    private final AtomicInteger owners = new AtomicInteger(1);

    SharedVerifier(JwtVerifier verifier) {
      this.verifier = verifier;
    }

    SharedVerifier retain() {
      if (owners.getAndIncrement() <= 0) {
        throw new IllegalStateException("signed_token: the verifier to share is already closed");
      }
      return this;
    }

    void release() {
      if (owners.decrementAndGet() == 0) {
        verifier.close();
      }
    }
  }

  @Override
  public String toString() {
    return "SignedTokenTrustSource{issuers=" + issuers.keySet() + ", header=" + header + "}";
  }

  /** Builds a {@link SignedTokenTrustSource}; {@link #build()} validates everything. */
  public static final class Builder {
    private final List<ServiceTokenIssuer> issuers = new ArrayList<>();
    private String serviceName;
    private String header = "authorization";
    private Duration maxTtl = DEFAULT_MAX_TTL;
    private boolean replayProtection;
    private int replayCacheSize = DEFAULT_REPLAY_CACHE_SIZE;
    private SharedReplayStore inheritedReplayStore;
    private ReplayStore replayStore;
    private SignedTokenTrustSource sharedFrom;
    private SignedTokenTrustSource keysOf;
    private boolean requireBinding;
    private final JwtSettings.Builder settings = JwtSettings.newBuilder();

    private Builder() {}

    /** This service's own name: the audience every token must contain (required). */
    public Builder serviceName(String serviceName) {
      this.serviceName = requireNonNull(serviceName, "serviceName");
      return this;
    }

    /** Adds a trusted calling service. */
    public Builder addIssuer(ServiceTokenIssuer issuer) {
      issuers.add(requireNonNull(issuer, "issuer"));
      return this;
    }

    /** The header carrying {@code Bearer <jwt>}, default {@code authorization}. */
    public Builder header(String header) {
      this.header = requireNonNull(header, "header").toLowerCase(Locale.ROOT);
      return this;
    }

    /** Longest accepted {@code exp - iat}, default 900 s, at most 3600 s. */
    public Builder maxTtl(Duration maxTtl) {
      this.maxTtl = requireNonNull(maxTtl, "maxTtl");
      return this;
    }

    /**
     * Replay protection for every issuer without its own setting, default off. When on, a {@code
     * jti} is accepted once within the token's lifetime, so every client must send a fresh token
     * per call: a Gatehouse client needs {@code
     * ServiceTokenCallCredentials.Builder.oneTimeTokens()} from gatehouse-client (one signature per
     * call); without it, its cached token is refused from the second call on. Size {@link
     * #replayCacheSize(int)} for the call rate times the token lifetime.
     */
    public Builder replayProtection(boolean on) {
      this.replayProtection = on;
      return this;
    }

    /**
     * Refuses tokens without an RFC 8705 {@code cnf.x5t#S256} certificate binding (default off: a
     * token that carries one is always checked against the caller's TLS client certificate). An
     * issuer's own {@link ServiceTokenIssuer.Builder#requireCertificateBinding(boolean)} (the
     * file's {@code issuers[].require_certificate_binding}) overrides this for that issuer.
     */
    public Builder requireCertificateBinding(boolean required) {
      this.requireBinding = required;
      return this;
    }

    /**
     * Shares the verifier of the source this one replaces: its issuers' keys and key caches (which
     * may be riding out a JWKS outage). Only for a reload in which every issuer's name, keys and
     * algorithms, the clock skew, the max TTL and the service name are unchanged (grants, cluster
     * ids and replay settings may change); the caller guarantees that. The verifier is closed when
     * the last source sharing it is.
     */
    public Builder shareVerifierOf(SignedTokenTrustSource previous) {
      this.sharedFrom = requireNonNull(previous, "previous");
      return this;
    }

    /**
     * Keeps the cached keys of the source this one replaces (a configuration reload) when the
     * verifier itself cannot be shared (issuers added or removed, or skew, max TTL or service name
     * changed): every issuer whose key location (JWKS URL or file) and algorithms are unchanged
     * shares its keys and their cache instead of fetching them again. Ignored when {@link
     * #shareVerifierOf} applies.
     */
    public Builder reuseKeysOf(SignedTokenTrustSource previous) {
      this.keysOf = requireNonNull(previous, "previous");
      return this;
    }

    /**
     * Shares the replay store of the source this one replaces (a configuration reload), so a token
     * used before the reload cannot be replayed after it. The previous source's store (and
     * capacity) applies; {@link #replayStore} and {@link #replayCacheSize} are then ignored. The
     * store is closed when the last source sharing it is.
     */
    public Builder continueReplayCacheOf(SignedTokenTrustSource previous) {
      this.inheritedReplayStore = requireNonNull(previous, "previous").replayStore;
      return this;
    }

    /**
     * Where accepted {@code jti}s are remembered, default {@link ReplayStore#inMemory(int)} of
     * {@link #replayCacheSize(int)} entries in this process. A store shared by every replica (e.g.
     * {@code RedisReplayStore} of {@code gatehouse-replay-redis}) makes a token acceptable once
     * across all of them. The source takes ownership: it closes the store when it is closed (or,
     * across reloads, when the last source sharing it is). A store answering {@link
     * ReplayStore.Result#UNAVAILABLE}, or throwing, makes the call {@code UNAVAILABLE}.
     */
    public Builder replayStore(ReplayStore store) {
      this.replayStore = requireNonNull(store, "store");
      return this;
    }

    /** Capacity of the replay cache, default 100 000 unexpired tokens. */
    public Builder replayCacheSize(int size) {
      this.replayCacheSize = size;
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

    /** Bound on one JWKS fetch, default 2 s. */
    public Builder fetchTimeout(Duration timeout) {
      settings.fetchTimeout(timeout);
      return this;
    }

    /** How long cached keys serve through a JWKS outage, default 1 h. */
    public Builder outageTolerance(Duration tolerance) {
      settings.outageTolerance(tolerance);
      return this;
    }

    /**
     * Validates and builds; starts fetching keys in the background.
     *
     * @throws IllegalArgumentException on a missing service name, no issuer, a duplicate issuer, a
     *     max TTL outside (0, 3600 s], a skew over 120 s, a bad header name or cache size
     */
    public SignedTokenTrustSource build() {
      if (serviceName == null || serviceName.isEmpty()) {
        throw new IllegalArgumentException("signed_token: serviceName (own audience) is required");
      }
      if (issuers.isEmpty()) {
        throw new IllegalArgumentException("signed_token: no issuer configured");
      }
      if (maxTtl.isNegative() || maxTtl.isZero() || maxTtl.compareTo(MAX_MAX_TTL) > 0) {
        throw new IllegalArgumentException(
            "signed_token: max TTL must be in (0, 3600 s]: " + maxTtl);
      }
      if (!header.matches("[a-z0-9][a-z0-9_.-]*") || header.endsWith("-bin")) {
        throw new IllegalArgumentException("signed_token: invalid header name " + header);
      }
      if (replayCacheSize < 1) {
        throw new IllegalArgumentException("signed_token: replay cache size must be positive");
      }
      if (sharedFrom != null) {
        Set<String> names = new HashSet<>();
        issuers.forEach(x -> names.add(x.issuer()));
        if (!names.equals(sharedFrom.issuers.keySet())) {
          throw new IllegalArgumentException(
              "signed_token: a shared verifier needs the same issuers");
        }
        return new SignedTokenTrustSource(sharedFrom.shared.retain(), this);
      }
      JwtSettings shared = settings.build();
      List<TrustAnchor> anchors = new ArrayList<>();
      for (ServiceTokenIssuer i : issuers) {
        anchors.add(
            TrustAnchor.of(
                i.issuer(),
                i.keys(),
                i.algorithms().orElse(shared.algorithms()),
                Set.of(serviceName)));
      }
      JwtVerifier verifier =
          JwtVerifier.newBuilder(shared)
              .headerPolicy(HeaderPolicy.newBuilder().allowedTypes(List.of("JWT")).build())
              .keySelector(
                  keysOf == null
                      ? IssuerKeySelector.of(shared, anchors)
                      : IssuerKeySelector.of(shared, anchors, keysOf.verifier))
              .claimsPolicy(
                  ClaimsPolicy.newBuilder().requireIssuedAt(true).maxLifetime(maxTtl).build())
              .build();
      return new SignedTokenTrustSource(new SharedVerifier(verifier), this);
    }
  }
}
