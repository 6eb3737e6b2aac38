package dev.gatehouse.client;

import static java.util.Objects.requireNonNull;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@link CallCredentials} that attach a short-lived service token, {@code authorization: Bearer
 * <jwt>}, signed with the calling service's own key.
 *
 * <pre>{@code
 * ServiceTokenCallCredentials creds = ServiceTokenCallCredentials.newBuilder()
 *     .identity("worker")                                   // iss = sub
 *     .keySource(SigningKeySource.fromPemFile(Path.of("/var/run/keys/worker.pem")))
 *     .audience("trips")                                    // or audienceFor(service, audience)
 *     .build();
 * TripsGrpc.TripsBlockingStub stub = TripsGrpc.newBlockingStub(channel).withCallCredentials(creds);
 * }</pre>
 *
 * <p><b>Token.</b> Header {@code {alg, kid, typ: "JWT"}} only; claims {@code iss} = {@code sub} =
 * the identity, {@code aud} = the target audience (one string), {@code iat}, {@code exp} ({@code
 * iat} + {@link Builder#lifetime(Duration)}, default 5 minutes, at most 1 hour), {@code jti} (128
 * random bits, base64url), and, when configured, {@code cluster_id} and {@code scope}
 * (space-delimited).
 *
 * <p><b>Audience.</b> Either one audience for every call ({@link Builder#audience(String)}), or a
 * map from full service name to audience ({@link Builder#audienceFor(String, String)}). Nothing is
 * guessed: a call to a service without a mapping fails with {@link ClientStatus#noAudience(String)}
 * ({@code FAILED_PRECONDITION}) and no token is sent. Note that grpc-java (gRFC A54) rewrites
 * control-plane codes that {@code CallCredentials} fail with into {@code INTERNAL}, keeping the
 * text in the description ({@code "Inappropriate status code from control plane:
 * FAILED_PRECONDITION no service-token audience configured for service ..."}); {@link
 * ServiceTokenClientInterceptor} checks the mapping before the transport, so there the application
 * sees {@code FAILED_PRECONDITION} itself.
 *
 * <p><b>Transport.</b> A call whose connection is below {@link SecurityLevel#PRIVACY_AND_INTEGRITY}
 * fails with {@link ClientStatus#INSECURE_CHANNEL} and no token is sent, unless the builder said
 * {@link Builder#allowPlaintextToLocalSidecar()}.
 *
 * <p><b>Caching (default).</b> One token per audience is reused until 80% of its lifetime has
 * passed or less than 60 s are left (never before half of it); then one call triggers a refresh on
 * the call's executor while the others keep using the still-valid token. Concurrent callers with no
 * usable token wait for a single signing (no stampede). A failed signing backs off exponentially (1
 * s to 2 min); meanwhile a still-valid token is used and calls without one fail with {@link
 * ClientStatus#TOKEN_UNAVAILABLE}. When the key source's check interval has passed, the next call
 * waits for the key file check, so a rotated key signs the very next token.
 *
 * <p><b>One-time tokens.</b> A server with replay protection ({@code replay_protection}) refuses a
 * {@code jti} it has already seen, so it accepts the cached token above only once. For such a
 * server build the credentials with {@link Builder#oneTimeTokens()}: every call then gets a freshly
 * signed token with its own {@code jti} (cost: one signature per call), nothing is cached, and a
 * failed signing backs off as above with calls failing meanwhile.
 *
 * <p><b>Tokens from an issuer.</b> With {@link Builder#fetchFrom(TokenFetcher)} the tokens are not
 * signed here but fetched from an issuer (a central token service), one per audience, cached and
 * refreshed in the background once 40–50 % of their lifetime has passed (one fetch per audience at
 * a time; failures back off 1 s doubling to 30 s, ± 20 %). The token in hand keeps being sent while
 * the issuer is down; only when none is usable (less than min(30 s, a tenth of its lifetime) left)
 * do calls fail, with {@link ClientStatus#ISSUER_UNAVAILABLE}. The fetch runs on the call's
 * executor.
 *
 * <p>These credentials replace credentials already on a call when set with {@code
 * withCallCredentials}; to add a token next to other credentials use {@link
 * ServiceTokenClientInterceptor}, which composes.
 */
public final class ServiceTokenCallCredentials extends CallCredentials {
  static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(5);
  static final Duration MIN_LIFETIME = Duration.ofMinutes(1);
  static final Duration MAX_LIFETIME = Duration.ofHours(1);
  static final int DEFAULT_MAX_CACHED_USERS = 1000;
  static final int MAX_CACHED_USERS = 100_000;
  private static final Logger logger =
      Logger.getLogger(ServiceTokenCallCredentials.class.getName());

  private final String header;
  private final Metadata.Key<String> headerKey;
  private final String singleAudience;
  private final Map<String, String> audienceByService;
  private final boolean allowPlaintext;
  private final TokenMinter minter;
  private final boolean oneTimeTokens;
  private final Map<String, AudienceTokens> slots = new ConcurrentHashMap<>();
  private final TokenFetcher fetcher;
  private final String fetchIdentity;
  private final Clock fetchClock;
  private final DelegatedUserSource userSource;
  private final UserTokenSlots userSlots;

  private ServiceTokenCallCredentials(Builder b, TokenMinter minter) {
    this.fetcher = b.fetcher;
    this.fetchIdentity = b.identity != null ? b.identity : String.valueOf(b.fetcher);
    this.fetchClock = b.clock != null ? b.clock : Clock.systemUTC();
    this.header = b.header;
    this.headerKey = Metadata.Key.of(b.header, Metadata.ASCII_STRING_MARSHALLER);
    this.singleAudience = b.audience;
    this.audienceByService = Map.copyOf(b.audienceByService);
    this.allowPlaintext = b.allowPlaintext;
    this.oneTimeTokens = b.oneTimeTokens;
    this.minter = minter;
    this.userSource = b.userSource;
    this.userSlots = b.userSource == null ? null : new UserTokenSlots(b.maxCachedUsers);
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * The identity put in {@code iss} and {@code sub}; with {@link Builder#fetchFrom(TokenFetcher)},
   * the identity given to the builder (informational: the issuer decides {@code sub}), else the
   * fetcher's description.
   */
  public String identity() {
    return minter != null ? minter.identity() : fetchIdentity;
  }

  /** The header the token is sent in; {@code authorization} by default. */
  public String header() {
    return header;
  }

  /**
   * Whether every call gets a freshly signed token with its own {@code jti}; see {@link
   * Builder#oneTimeTokens()}.
   */
  public boolean oneTimeTokens() {
    return oneTimeTokens;
  }

  /** The audience of calls to {@code fullServiceName}, if one is configured. */
  public Optional<String> audienceFor(String fullServiceName) {
    if (singleAudience != null) {
      return Optional.of(singleAudience);
    }
    return Optional.ofNullable(
        fullServiceName == null ? null : audienceByService.get(fullServiceName));
  }

  /**
   * Attaches the token for the call's audience, or fails the call: see the class documentation.
   * Never blocks the calling thread on signing or file reads; those run on {@code appExecutor}.
   */
  @Override
  public void applyRequestMetadata(
      RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
    requireNonNull(requestInfo, "requestInfo");
    requireNonNull(appExecutor, "appExecutor");
    requireNonNull(applier, "applier");
    if (!allowPlaintext && requestInfo.getSecurityLevel() != SecurityLevel.PRIVACY_AND_INTEGRITY) {
      applier.fail(ClientStatus.INSECURE_CHANNEL);
      return;
    }
    String service = requestInfo.getMethodDescriptor().getServiceName();
    Optional<String> audience = audienceFor(service);
    if (audience.isEmpty()) {
      applier.fail(ClientStatus.noAudience(service));
      return;
    }
    Optional<DelegatedUser> user;
    try {
      user =
          userSource == null
              ? Optional.empty()
              : requireNonNull(userSource.currentUser(), "currentUser() returned null");
    } catch (RuntimeException e) {
      logger.log(
          Level.WARNING,
          "the delegated-user source failed (" + e.getClass().getName() + "); call refused");
      applier.fail(ClientStatus.TOKEN_UNAVAILABLE);
      return;
    }
    slotFor(audience.get(), user).apply(appExecutor, new HeaderSink(applier, headerKey));
  }

  /** The audience's own slot, or, for a call made for a user, that user's slot of it. */
  private AudienceTokens slotFor(String audience, Optional<DelegatedUser> user) {
    if (user.isEmpty()) {
      return slots.computeIfAbsent(
          audience,
          a -> fetcher != null ? new FetchedTokenSlot(a, fetcher, fetchClock) : newSlot(a, minter));
    }
    DelegatedUser u = user.get();
    return userSlots.slot(audience, u, () -> newSlot(audience, minter.forUser(u)));
  }

  private AudienceTokens newSlot(String audience, TokenMinter m) {
    return oneTimeTokens ? new OneTimeTokenSlot(audience, m) : new TokenSlot(audience, m);
  }

  @Override
  public String toString() {
    return "ServiceTokenCallCredentials[identity="
        + identity()
        + ", audiences="
        + (singleAudience != null ? singleAudience : audienceByService)
        + (oneTimeTokens ? ", oneTimeTokens" : "")
        + (userSource != null ? ", onBehalfOfUsers" : "")
        + "]";
  }

  /** Adapts a {@link MetadataApplier} to the slot's callbacks. */
  private record HeaderSink(MetadataApplier applier, Metadata.Key<String> key)
      implements TokenSlot.Sink {
    @Override
    public void token(String jwt) {
      Metadata headers = new Metadata();
      headers.put(key, "Bearer " + jwt);
      applier.apply(headers);
    }

    @Override
    public void fail(Status status) {
      applier.fail(status);
    }
  }

  /**
   * Builds {@link ServiceTokenCallCredentials}; {@link #build()} validates everything or throws.
   */
  public static final class Builder {
    private String identity;
    private SigningKeySource keySource;
    private String audience;
    private final Map<String, String> audienceByService = new LinkedHashMap<>();
    private Duration lifetime = DEFAULT_LIFETIME;
    private String clusterId;
    private final Set<String> scopes = new LinkedHashSet<>();
    private Clock clock;
    private boolean allowPlaintext;
    private boolean oneTimeTokens;
    private String header = "authorization";
    private Runnable signHook = () -> {};
    private final List<String> problems = new ArrayList<>();
    private TokenFetcher fetcher;
    private DelegatedUserSource userSource;
    private int maxCachedUsers = DEFAULT_MAX_CACHED_USERS;

    private Builder() {}

    /** The calling service's own identity, put in {@code iss} and {@code sub}. Required. */
    public Builder identity(String identity) {
      this.identity = requireNonNull(identity, "identity");
      return this;
    }

    /** The calling service's own key. Required. */
    public Builder keySource(SigningKeySource keySource) {
      this.keySource = requireNonNull(keySource, "keySource");
      return this;
    }

    /**
     * One audience for every call made with these credentials (a channel to one service). Not
     * combinable with {@link #audienceFor(String, String)}.
     */
    public Builder audience(String audience) {
      this.audience = requireNonNull(audience, "audience");
      return this;
    }

    /**
     * The audience of calls to one service, by full service name ({@code package.Service}, as in
     * {@code MethodDescriptor.getServiceName()}). Calls to services without a mapping fail.
     */
    public Builder audienceFor(String fullServiceName, String audience) {
      requireNonNull(fullServiceName, "fullServiceName");
      requireNonNull(audience, "audience");
      if (audienceByService.putIfAbsent(fullServiceName, audience) != null) {
        problems.add("service " + fullServiceName + " is mapped to an audience twice");
      }
      return this;
    }

    /** Adds every entry of {@code audienceByService}; see {@link #audienceFor(String, String)}. */
    public Builder audiencesByService(Map<String, String> audienceByService) {
      requireNonNull(audienceByService, "audienceByService").forEach(this::audienceFor);
      return this;
    }

    /** The token lifetime; default 5 minutes, between 1 minute and 1 hour, whole seconds. */
    public Builder lifetime(Duration lifetime) {
      this.lifetime = requireNonNull(lifetime, "lifetime");
      return this;
    }

    /** Puts {@code cluster_id} in every token (servers may bind issuers to clusters). */
    public Builder clusterId(String clusterId) {
      this.clusterId = requireNonNull(clusterId, "clusterId");
      return this;
    }

    /**
     * Puts these scopes in the token's scope claim (space-delimited). A server only ever narrows
     * its own grant with them, never widens it.
     */
    public Builder scopes(Iterable<String> scopes) {
      requireNonNull(scopes, "scopes").forEach(s -> this.scopes.add(requireNonNull(s, "scope")));
      return this;
    }

    /** The clock; default the key source's clock. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The header the token is sent in (value {@code Bearer <jwt>}); default {@code authorization}.
     * Must match the server's {@code signed_token.header}.
     */
    public Builder header(String header) {
      this.header = requireNonNull(header, "header");
      return this;
    }

    /**
     * Opt-out: also send the token over a connection below {@code PRIVACY_AND_INTEGRITY}. Only for
     * a plaintext hop to a sidecar proxy on the same host or pod that then encrypts (for example
     * Envoy with mTLS); anyone who can read that hop can replay the token until it expires.
     */
    public Builder allowPlaintextToLocalSidecar() {
      this.allowPlaintext = true;
      return this;
    }

    /**
     * Opt-in: sign a fresh token, with a fresh random {@code jti}, for <em>every</em> call instead
     * of reusing one cached token per audience. Required when the server turns on replay protection
     * ({@code SignedTokenTrustSource.Builder.replayProtection(true)} in {@code
     * gatehouse-trust-jwt}, {@code replay_protection} in YAML): such a server refuses a {@code jti}
     * it has already seen, so the default cached token is accepted on the first call only and every
     * later call is refused until the next refresh.
     *
     * <p>Cost: one signature per call (roughly tens of microseconds for ES256, more for RSA), on
     * the call's executor, and one entry per call in the server's replay cache (size that cache for
     * the call rate times the token lifetime). Nothing is cached; the plaintext refusal, the
     * audience rules and the key file check still apply. A failed signing backs off as in the
     * default mode (1 s to 2 min), and because there is no older token to fall back on, calls
     * during the backoff fail with {@link ClientStatus#TOKEN_UNAVAILABLE}.
     */
    public Builder oneTimeTokens() {
      this.oneTimeTokens = true;
      return this;
    }

    /**
     * Opt-in on-behalf-of: every call asks {@code source} which end user it is made for and, when
     * there is one, carries that user in the token's {@value DelegatedUser#CLAIM} claim ({@code
     * iss}/{@code sub} stay this service). The target server accepts such a token only from an
     * issuer it allows to propagate users. Tokens are cached per audience <em>and user</em>: a
     * token naming one user is never sent for another; at most {@link #maxCachedUsers(int)} users'
     * tokens are kept, least recently used dropped first. Calls without a user get the plain token.
     */
    public Builder onBehalfOf(DelegatedUserSource source) {
      this.userSource = requireNonNull(source, "source");
      return this;
    }

    /**
     * How many (audience, user) tokens {@link #onBehalfOf} keeps cached; default 1000, between 1
     * and 100 000.
     */
    public Builder maxCachedUsers(int max) {
      this.maxCachedUsers = max;
      return this;
    }

    /** Runs before every signing; tests count or fail signings with it. */
    Builder signHook(Runnable signHook) {
      this.signHook = requireNonNull(signHook, "signHook");
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming every problem: blank identity, no key, no or blank
     *     audience, both audience styles, lifetime out of range, blank cluster id, bad scope
     */
    public ServiceTokenCallCredentials build() {
      List<String> all = new ArrayList<>(problems);
      if (fetcher != null) {
        fetchConflicts(all);
      } else {
        if (identity == null || identity.isBlank()) {
          all.add("identity must be set and not blank");
        }
        if (keySource == null) {
          all.add("keySource must be set");
        }
      }
      if (audience != null && !audienceByService.isEmpty()) {
        all.add("set either audience(...) or audienceFor(...), not both");
      } else if (audience == null && audienceByService.isEmpty()) {
        all.add("an audience must be set: audience(...) or audienceFor(service, audience)");
      }
      if (audience != null && audience.isBlank()) {
        all.add("audience must not be blank");
      }
      audienceByService.forEach(
          (service, aud) -> {
            if (service.isBlank() || service.contains("/")) {
              all.add("not a full service name: '" + service + "'");
            }
            if (aud.isBlank()) {
              all.add("audience for service " + service + " must not be blank");
            }
          });
      if (lifetime.compareTo(MIN_LIFETIME) < 0 || lifetime.compareTo(MAX_LIFETIME) > 0) {
        all.add("lifetime must be between 1 minute and 1 hour");
      } else if (lifetime.toNanosPart() != 0) {
        all.add("lifetime must be whole seconds");
      }
      if (clusterId != null && clusterId.isBlank()) {
        all.add("clusterId must not be blank");
      }
      for (String s : scopes) {
        if (s.isEmpty()
            || !s.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '"' && c != '\\')) {
          all.add("scope '" + s + "' must be non-empty printable ASCII without spaces");
        }
      }
      String h = header.toLowerCase(Locale.ROOT);
      if (!h.equals(header)
          || header.isEmpty()
          || header.startsWith(":")
          || header.endsWith(Metadata.BINARY_HEADER_SUFFIX)
          || !header
              .chars()
              .allMatch(
                  c ->
                      (c >= 'a' && c <= 'z')
                          || (c >= '0' && c <= '9')
                          || c == '-'
                          || c == '_'
                          || c == '.')) {
        all.add("header must be a lower-case ASCII header name, not -bin");
      }
      if (maxCachedUsers < 1 || maxCachedUsers > MAX_CACHED_USERS) {
        all.add("maxCachedUsers must be between 1 and " + MAX_CACHED_USERS);
      }
      if (!all.isEmpty()) {
        throw new IllegalArgumentException(
            "invalid service-token credentials: " + String.join("; ", all));
      }
      if (fetcher != null) {
        return new ServiceTokenCallCredentials(this, null);
      }
      Clock effectiveClock = clock != null ? clock : keySource.clock();
      TokenMinter minter =
          new TokenMinter(
              identity,
              keySource,
              lifetime,
              clusterId,
              scopes.isEmpty() ? null : String.join(" ", scopes),
              effectiveClock,
              signHook);
      return new ServiceTokenCallCredentials(this, minter);
    }

    /**
     * Fetch the tokens from an issuer (a central token service) instead of signing them here: see
     * the class documentation. Excludes {@link #keySource}, {@link #clusterId}, {@link #scopes},
     * {@link #lifetime} and {@link #oneTimeTokens()} (the issuer decides the token); {@link
     * #identity} is optional and only describes the caller.
     */
    public Builder fetchFrom(TokenFetcher fetcher) {
      this.fetcher = requireNonNull(fetcher, "fetcher");
      return this;
    }

    /** Adds every setting that contradicts fetching tokens from an issuer. */
    private void fetchConflicts(List<String> all) {
      if (keySource != null) {
        all.add("set either fetchFrom(...) or keySource(...), not both");
      }
      if (clusterId != null || !scopes.isEmpty()) {
        all.add("clusterId and scopes are the issuer's decision with fetchFrom(...)");
      }
      if (!lifetime.equals(DEFAULT_LIFETIME)) {
        all.add("lifetime is the issuer's decision with fetchFrom(...)");
      }
      if (oneTimeTokens) {
        all.add("oneTimeTokens() cannot be combined with fetchFrom(...)");
      }
      if (userSource != null) {
        all.add(
            "onBehalfOf(...) cannot be combined with fetchFrom(...): the issuer's token names no user");
      }
      if (identity != null && identity.isBlank()) {
        all.add("identity must not be blank");
      }
    }
  }
}
