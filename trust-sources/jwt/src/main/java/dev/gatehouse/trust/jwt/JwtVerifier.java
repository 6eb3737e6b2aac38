package dev.gatehouse.trust.jwt;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.spi.RequestInfo;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Verifies compact JWS tokens against a fixed set of trusted issuers, each with its own keys.
 *
 * <p>Order of checks, each failure mapped to a {@link Reason}:
 *
 * <ol>
 *   <li>raw token: at most {@code maxTokenBytes}, three canonical base64url segments, header and
 *       payload JSON objects ({@code MALFORMED_CREDENTIALS});
 *   <li>header: only {@code alg}, {@code kid}, {@code typ} (plus configured extras such as {@code
 *       x5t}, never used to pick a key); {@code crit}, {@code jku}, {@code jwk}, {@code x5u},
 *       {@code x5c}, {@code zip}, {@code b64} and anything else are refused ({@code
 *       DISALLOWED_HEADER}); {@code typ} absent or in the allowed set;
 *   <li>algorithm: asymmetric only, never {@code none} or HMAC ({@code ALGORITHM_NOT_ALLOWED});
 *   <li>issuer: the unverified {@code iss} (a string) picks the issuer; unknown issuer {@code
 *       UNKNOWN_ISSUER}; algorithm in that issuer's allow-list;
 *   <li>key: by {@code kid} in that issuer's keys only; the key's pinned algorithm must equal the
 *       token's; no {@code kid} only when exactly one key fits; unknown {@code kid} triggers one
 *       refresh (at most one per issuer per 30 s), then {@code UNKNOWN_KEY}; keys that cannot be
 *       fetched make the result {@link JwtVerification#isUnavailable() unavailable};
 *   <li>signature ({@code BAD_SIGNATURE});
 *   <li>claims: {@code exp} required, {@code exp}/{@code nbf}/{@code iat} integer NumericDates,
 *       each in [0, 10^11] ({@code INVALID_CLAIMS}), checked with the bounded clock skew ({@code
 *       EXPIRED}, {@code NOT_YET_VALID}); {@code aud} (string or array of strings) must contain one
 *       of the issuer's audiences ({@code AUDIENCE_MISMATCH}); optionally {@code iat} required and
 *       {@code exp - iat} bounded ({@code LIFETIME_TOO_LONG}).
 * </ol>
 *
 * <p><b>JWT-SVID mode</b> ({@link Builder#keysBySubjectTrustDomain}): step 4 differs. Each
 * configured {@link TrustedIssuer} is named by a SPIFFE trust domain and holds that trust domain's
 * JWT bundle; the key set is picked by the trust domain of the unverified {@code sub} (a SPIFFE ID,
 * read by the configured function; a {@code sub} that is missing or not accepted is {@code
 * INVALID_CLAIMS}, a trust domain without a bundle {@code UNKNOWN_ISSUER}). The {@code iss} claim
 * plays no part, so a bundle can only ever vouch for IDs of its own trust domain. Bundle keys may
 * carry {@code use: jwt-svid} and must carry a {@code kid} (see {@link KeyFilter}). Every other
 * check is the same; {@link VerifiedJwt#issuer()} is then the trust domain.
 *
 * <p>Thread-safe. A call blocks only when keys must be fetched, for at most about twice the fetch
 * timeout. {@link #close()} stops the background refresh threads.
 */
public final class JwtVerifier implements AutoCloseable {
  /** The default maximum token size, 8 KiB. */
  public static final int DEFAULT_MAX_TOKEN_BYTES = 8 * 1024;

  /** How many verified signatures are remembered by default (0 turns the cache off). */
  public static final int DEFAULT_SIGNATURE_CACHE_SIZE = 10_000;

  /** The default clock skew, 30 s. */
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);

  /** The largest clock skew that can be configured, 120 s. */
  public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(2);

  /** The default bound on one JWKS fetch, 2 s. */
  public static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofSeconds(2);

  /** How long cached keys keep serving through a JWKS outage by default, 1 h. */
  public static final Duration DEFAULT_OUTAGE_TOLERANCE = Duration.ofHours(1);

  private static final Set<String> BASE_HEADERS = Set.of("alg", "kid", "typ");
  private static final Set<String> OPTIONAL_HEADERS = Set.of("x5t", "x5t#S256");
  private static final int MAX_KID_LENGTH = 256;

  /**
   * The largest accepted {@code exp}/{@code nbf}/{@code iat} (10^11 s, about the year 5138); larger
   * or negative NumericDates are refused before any arithmetic, so every later computation stays
   * far inside the range of {@code long} and {@link Instant}.
   */
  static final long MAX_NUMERIC_DATE = 100_000_000_000L;

  private final Map<String, IssuerKeys> issuers;
  private final Map<String, TrustedIssuer> configs;
  private final Set<String> allowedHeaders;
  private final Set<String> allowedTypes;
  private final Clock clock;
  private final long skewSeconds;
  private final int maxTokenBytes;
  private final boolean requireIssuedAt;
  private final Duration maxLifetime;
  private final ExecutorService executor;
  private final ScheduledExecutorService scheduler;
  private final SignatureCache signatures;
  private final Function<String, Optional<String>> trustDomainOfSubject;
  private final String keySetLabel;

  private JwtVerifier(Builder b) {
    this.trustDomainOfSubject = b.trustDomainOfSubject;
    this.keySetLabel = trustDomainOfSubject == null ? "issuer " : "trust domain ";
    this.clock = b.clock;
    this.skewSeconds = b.clockSkew.toSeconds();
    this.signatures = new SignatureCache(b.signatureCacheSize);
    this.maxTokenBytes = b.maxTokenBytes;
    this.requireIssuedAt = b.requireIssuedAt;
    this.maxLifetime = b.maxLifetime;
    Set<String> headers = new LinkedHashSet<>(BASE_HEADERS);
    headers.addAll(b.extraHeaders);
    this.allowedHeaders = Set.copyOf(headers);
    Set<String> types = new LinkedHashSet<>();
    b.allowedTypes.forEach(t -> types.add(normaliseType(t)));
    this.allowedTypes = Set.copyOf(types);
    this.executor = Executors.newCachedThreadPool(daemon("gatehouse-jwks"));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("gatehouse-jwks-refresh"));
    Map<String, IssuerKeys> keys = new LinkedHashMap<>();
    Map<String, TrustedIssuer> cfg = new LinkedHashMap<>();
    long fetch = b.fetchTimeout.toMillis();
    long outage = b.outageTolerance.toMillis();
    for (TrustedIssuer issuer : b.issuers) {
      keys.put(
          issuer.issuer(),
          new IssuerKeys(issuer, fetch, outage, executor, scheduler, trustDomainOfSubject != null));
      cfg.put(issuer.issuer(), issuer);
    }
    this.issuers = Map.copyOf(keys);
    this.configs = Map.copyOf(cfg);
    for (IssuerKeys k : keys.values()) {
      k.prefetch(executor, clock);
    }
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The configured issuers. */
  public Set<String> issuers() {
    return configs.keySet();
  }

  /** The configuration of one issuer, or null. */
  public TrustedIssuer issuer(String issuer) {
    return configs.get(issuer);
  }

  /** The clock used for every time check. */
  public Clock clock() {
    return clock;
  }

  /**
   * Reads the one {@code Bearer} credential of {@code header} and verifies it. Absent header: a
   * result whose {@link JwtVerification#toFailure()} is "no credential"; two values or another
   * scheme: a refusal. Never throws for bad input.
   */
  public JwtVerification verifyBearer(RequestInfo request, String header) {
    List<String> values = request.headerValues(header);
    if (values.isEmpty()) {
      return JwtVerification.absent();
    }
    if (values.size() > 1) {
      return JwtVerification.rejected(
          Reason.DUPLICATE_CREDENTIALS, "header " + header + " repeated");
    }
    Optional<String> token = BearerToken.parse(values.get(0));
    if (token.isEmpty()) {
      return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, "not a Bearer credential");
    }
    return verify(token.get());
  }

  /** Verifies a compact JWS. Never throws for bad input. */
  public JwtVerification verify(String token) {
    return verify(token, null);
  }

  /**
   * The signature layer only, for known-answer and Wycheproof tests: the framing, header, algorithm
   * and key checks and the signature, with the issuer given instead of read from {@code iss}; the
   * payload need not be JSON and no claim is checked. Never use it to authenticate.
   */
  JwtVerification verifySignatureOnly(String token, String issuer) {
    return verify(token, requireNonNull(issuer, "issuer"));
  }

  private JwtVerification verify(String token, String fixedIssuer) {
    RawJwt raw;
    try {
      raw = RawJwt.parse(token, maxTokenBytes, fixedIssuer == null);
    } catch (RawJwt.Malformed e) {
      return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, e.getMessage());
    }
    Map<String, Object> header = raw.header;
    for (String name : header.keySet()) {
      if (!allowedHeaders.contains(name)) {
        return JwtVerification.rejected(
            Reason.DISALLOWED_HEADER, "header parameter " + LogSafe.quote(name) + " not allowed");
      }
    }
    Object algValue = header.get("alg");
    if (!(algValue instanceof String alg)) {
      return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, "alg missing or not a string");
    }

    if (!Algorithms.isSupported(alg)) {
      return JwtVerification.rejected(
          Reason.ALGORITHM_NOT_ALLOWED, "algorithm " + LogSafe.quote(alg) + " not allowed");
    }
    Object kidValue = header.get("kid");
    if (kidValue != null
        && (!(kidValue instanceof String string)
            || string.isEmpty()
            || string.length() > MAX_KID_LENGTH)) {
      return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, "kid is not a usable string");
    }
    String kid = (String) kidValue;
    if (header.containsKey("typ")) {
      Object typ = header.get("typ");
      if (!(typ instanceof String string) || !allowedTypes.contains(normaliseType(string))) {
        return JwtVerification.rejected(Reason.DISALLOWED_HEADER, "typ not allowed");
      }
    }
    for (String optional : OPTIONAL_HEADERS) {
      if (header.containsKey(optional) && !(header.get(optional) instanceof String)) {
        return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, optional + " not a string");
      }
    }
    Object issValue;
    if (fixedIssuer != null) {
      issValue = fixedIssuer;
    } else if (trustDomainOfSubject != null) {
      // JWT-SVID: the key set is the bundle of the unverified sub's trust domain, never iss.
      Object sub = raw.payload.get("sub");
      if (!(sub instanceof String string)) {
        return JwtVerification.rejected(Reason.INVALID_CLAIMS, "sub missing or not a string");
      }
      issValue = trustDomainOf(string);
      if (issValue == null) {
        return JwtVerification.rejected(Reason.INVALID_CLAIMS, "sub is not a valid SPIFFE ID");
      }
    } else {
      issValue = raw.payload.get("iss");
    }
    if (!(issValue instanceof String iss)) {
      return JwtVerification.rejected(Reason.INVALID_CLAIMS, "iss missing or not a string");
    }

    IssuerKeys keys = issuers.get(iss);
    if (keys == null) {
      return JwtVerification.rejected(
          Reason.UNKNOWN_ISSUER, keySetLabel + LogSafe.quote(iss) + " not configured");
    }
    if (!keys.algorithms.contains(alg)) {
      return JwtVerification.rejected(
          Reason.ALGORITHM_NOT_ALLOWED,
          "algorithm " + alg + " not allowed for " + keySetLabel + iss);
    }
    IssuerKeys.Lookup lookup = keys.select(kid, alg, clock.millis());
    if (lookup.unavailable) {
      return JwtVerification.unavailable(lookup.detail);
    }
    if (lookup.key == null) {
      return JwtVerification.rejected(lookup.reason, lookup.detail);
    }
    String who = keySetLabel + iss + " kid " + (kid == null ? "-" : LogSafe.quote(kid));
    try {
      // The same token under the same key object verified before: the result cannot differ.
      if (!signatures.verifiedBefore(raw.token, lookup.key)) {
        JWSObject jws = JWSObject.parse(raw.token);
        if (!alg.equals(jws.getHeader().getAlgorithm().getName())) {
          return JwtVerification.rejected(Reason.ALGORITHM_NOT_ALLOWED, who + ": alg mismatch");
        }
        if (!jws.verify(verifierFor(lookup.key))) {
          return JwtVerification.rejected(
              Reason.BAD_SIGNATURE, who + ": signature does not verify");
        }
        signatures.remember(raw.token, lookup.key);
      }
    } catch (ParseException e) {
      return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, who + ": not a JWS");
    } catch (JOSEException | RuntimeException e) {
      return JwtVerification.rejected(
          Reason.BAD_SIGNATURE,
          who + ": signature check failed (" + e.getClass().getSimpleName() + ")");
    }
    if (fixedIssuer != null) {
      return JwtVerification.verified(
          new VerifiedJwt(iss, kid, alg, Map.of(), List.of(), Instant.EPOCH, null));
    }
    return checkClaims(raw.payload, iss, kid, alg, who);
  }

  private JwtVerification checkClaims(
      Map<String, Object> claims, String iss, String kid, String alg, String who) {
    Object sub = claims.get("sub");
    if (sub instanceof String string) {
      who = who + " sub " + LogSafe.quote(string);
    }
    Object exp = claims.get("exp");
    if (exp == null) {
      return JwtVerification.rejected(Reason.INVALID_CLAIMS, who + ": exp missing");
    }
    if (!(exp instanceof Long l)) {
      return JwtVerification.rejected(Reason.INVALID_CLAIMS, who + ": exp not an integer");
    }
    for (String name : List.of("nbf", "iat")) {
      if (claims.containsKey(name) && !(claims.get(name) instanceof Long)) {
        return JwtVerification.rejected(
            Reason.INVALID_CLAIMS, who + ": " + name + " not an integer");
      }
    }
    for (String name : List.of("exp", "nbf", "iat")) {
      Long value = (Long) claims.get(name);
      if (value != null && (value < 0 || value > MAX_NUMERIC_DATE)) {
        return JwtVerification.rejected(
            Reason.INVALID_CLAIMS, who + ": " + name + " outside [0, " + MAX_NUMERIC_DATE + "]");
      }
    }
    long nowMillis = clock.millis();
    long expSeconds = l;
    if (nowMillis >= saturatedMillis(expSeconds, skewSeconds)) {
      return JwtVerification.rejected(Reason.EXPIRED, who + ": expired");
    }
    Long nbf = (Long) claims.get("nbf");
    if (nbf != null && nowMillis < saturatedMillis(nbf, -skewSeconds)) {
      return JwtVerification.rejected(Reason.NOT_YET_VALID, who + ": nbf in the future");
    }
    Long iat = (Long) claims.get("iat");
    if (iat == null && requireIssuedAt) {
      return JwtVerification.rejected(Reason.INVALID_CLAIMS, who + ": iat missing");
    }
    if (iat != null && nowMillis < saturatedMillis(iat, -skewSeconds)) {
      return JwtVerification.rejected(Reason.NOT_YET_VALID, who + ": iat in the future");
    }
    if (maxLifetime != null && iat == null) {
      return JwtVerification.rejected(
          Reason.INVALID_CLAIMS, who + ": iat missing, so the lifetime cannot be bounded");
    }
    if (maxLifetime != null && lifetimeExceeds(expSeconds, iat, maxLifetime.toSeconds())) {
      return JwtVerification.rejected(
          Reason.LIFETIME_TOO_LONG,
          who + ": lifetime longer than " + maxLifetime.toSeconds() + " s");
    }
    Object aud = claims.get("aud");
    List<String> audiences = new ArrayList<>();
    if (aud instanceof String string) {
      audiences.add(string);
    } else if (aud instanceof List) {
      for (Object a : (List<?>) aud) {
        if (!(a instanceof String string)) {
          return JwtVerification.rejected(Reason.INVALID_CLAIMS, who + ": aud has a non-string");
        }
        audiences.add(string);
      }
    } else {
      return JwtVerification.rejected(
          Reason.AUDIENCE_MISMATCH, who + ": aud missing or not a string/array");
    }
    Set<String> ours = configs.get(iss).audiences();
    if (audiences.stream().noneMatch(ours::contains)) {
      return JwtVerification.rejected(Reason.AUDIENCE_MISMATCH, who + ": aud does not name us");
    }
    return JwtVerification.verified(
        new VerifiedJwt(
            iss,
            kid,
            alg,
            claims,
            audiences,
            Instant.ofEpochSecond(expSeconds),
            iat == null ? null : Instant.ofEpochSecond(iat)));
  }

  /** The trust domain the configured function reads from {@code sub}, or null. Never throws. */
  private String trustDomainOf(String sub) {
    try {
      Optional<String> td = trustDomainOfSubject.apply(sub);
      return td == null || td.isEmpty() || td.get().isEmpty() ? null : td.get();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Whether {@code exp - iat > max}, counting an overflowing difference as too long. */
  private static boolean lifetimeExceeds(long exp, long iat, long max) {
    try {
      return Math.subtractExact(exp, iat) > max;
    } catch (ArithmeticException e) {
      return true;
    }
  }

  /** {@code (seconds + delta) * 1000} without overflow. */
  private static long saturatedMillis(long seconds, long deltaSeconds) {
    long s;
    try {
      s = Math.addExact(seconds, deltaSeconds);
      return Math.multiplyExact(s, 1000L);
    } catch (ArithmeticException e) {
      return (seconds < 0) ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  private static JWSVerifier verifierFor(JWK key) throws JOSEException {
    if (key instanceof ECKey eCKey) {
      return new ECDSAVerifier(eCKey);
    }
    if (key instanceof RSAKey rSAKey) {
      return new RSASSAVerifier(rSAKey);
    }
    throw new JOSEException("unsupported key type");
  }

  private static String normaliseType(String typ) {
    String t = typ.toLowerCase(Locale.ROOT);
    return t.startsWith("application/") ? t.substring("application/".length()) : t;
  }

  /** Stops background refresh threads and releases the key sources. */
  @Override
  public void close() {
    for (IssuerKeys k : issuers.values()) {
      k.close();
    }
    scheduler.shutdownNow();
    executor.shutdownNow();
  }

  /** Builds a {@link JwtVerifier}; {@link #build()} validates everything. */
  public static final class Builder {
    private final List<TrustedIssuer> issuers = new ArrayList<>();
    private Clock clock = Clock.systemUTC();
    private Duration clockSkew = DEFAULT_CLOCK_SKEW;
    private int maxTokenBytes = DEFAULT_MAX_TOKEN_BYTES;
    private Duration fetchTimeout = DEFAULT_FETCH_TIMEOUT;
    private Duration outageTolerance = DEFAULT_OUTAGE_TOLERANCE;
    private int signatureCacheSize = DEFAULT_SIGNATURE_CACHE_SIZE;
    private final Set<String> extraHeaders = new LinkedHashSet<>();
    private final Set<String> allowedTypes = new LinkedHashSet<>(Set.of("JWT"));
    private boolean requireIssuedAt;
    private Duration maxLifetime;
    private Function<String, Optional<String>> trustDomainOfSubject;

    private Builder() {}

    /**
     * JWT-SVID mode: selects the key set by the SPIFFE trust domain of the token's {@code sub}
     * instead of by {@code iss}. Each {@link #addIssuer added issuer} is then named by a trust
     * domain and holds that trust domain's JWT bundle (its keys may have {@code use} absent, {@code
     * sig} or {@code jwt-svid}; a key without {@code kid} is dropped).
     *
     * @param trustDomainOfSubject reads the trust-domain name from the unverified {@code sub};
     *     empty (or an exception) when {@code sub} is not a valid SPIFFE ID, which refuses the
     *     token. It must parse strictly: the name it returns picks the only keys that may verify
     *     the token
     */
    public Builder keysBySubjectTrustDomain(
        Function<String, Optional<String>> trustDomainOfSubject) {
      this.trustDomainOfSubject = requireNonNull(trustDomainOfSubject, "trustDomainOfSubject");
      return this;
    }

    /** Adds a trusted issuer. */
    public Builder addIssuer(TrustedIssuer issuer) {
      issuers.add(requireNonNull(issuer, "issuer"));
      return this;
    }

    /** The clock for every time check and for the key cache (default: system UTC). */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /** Tolerated clock difference, default 30 s, at most 120 s. */
    public Builder clockSkew(Duration skew) {
      this.clockSkew = requireNonNull(skew, "skew");
      return this;
    }

    /** Largest accepted token, default 8 KiB; larger tokens are refused before parsing. */
    public Builder maxTokenBytes(int maxTokenBytes) {
      this.maxTokenBytes = maxTokenBytes;
      return this;
    }

    /** Bound on one JWKS fetch (connect, read and total), default 2 s. */
    public Builder fetchTimeout(Duration timeout) {
      this.fetchTimeout = requireNonNull(timeout, "timeout");
      return this;
    }

    /** How long cached keys keep serving while the JWKS cannot be fetched, default 1 h. */
    public Builder outageTolerance(Duration tolerance) {
      this.outageTolerance = requireNonNull(tolerance, "tolerance");
      return this;
    }

    /**
     * How many verified signatures to remember (default 10 000; 0 turns the cache off). A token
     * presented again under the same key then skips the signature check only; every other check
     * runs on every call.
     */
    public Builder signatureCacheSize(int size) {
      if (size < 0) {
        throw new IllegalArgumentException("signature cache size must not be negative");
      }
      this.signatureCacheSize = size;
      return this;
    }

    /**
     * Additional allowed header parameters besides {@code alg}, {@code kid}, {@code typ}: only
     * {@code x5t} and {@code x5t#S256} may be added (they are never used to pick a key).
     */
    public Builder allowHeaders(Collection<String> names) {
      for (String n : requireNonNull(names, "names")) {
        if (!OPTIONAL_HEADERS.contains(n)) {
          throw new IllegalArgumentException("header parameter cannot be allowed: " + n);
        }
        extraHeaders.add(n);
      }
      return this;
    }

    /**
     * Replaces the allowed {@code typ} values (default {@code [JWT]}); compared case-insensitively,
     * an {@code application/} prefix ignored. A token without {@code typ} is always accepted.
     */
    public Builder allowedTypes(Collection<String> types) {
      allowedTypes.clear();
      requireNonNull(types, "types").forEach(t -> allowedTypes.add(requireNonNull(t, "type")));
      return this;
    }

    /** Requires an {@code iat} claim (service tokens). */
    public Builder requireIssuedAt(boolean require) {
      this.requireIssuedAt = require;
      return this;
    }

    /** Refuses tokens whose {@code exp - iat} exceeds this; implies {@link #requireIssuedAt}. */
    public Builder maxLifetime(Duration maxLifetime) {
      this.maxLifetime = requireNonNull(maxLifetime, "maxLifetime");
      this.requireIssuedAt = true;
      return this;
    }

    /**
     * Validates and builds; starts fetching every issuer's keys in the background.
     *
     * @throws IllegalArgumentException on no issuer, a duplicate issuer, skew outside [0, 120 s], a
     *     token cap outside [512 B, 64 KiB], a fetch timeout outside [50 ms, 30 s]
     */
    public JwtVerifier build() {
      if (issuers.isEmpty()) {
        throw new IllegalArgumentException("no trusted issuer configured");
      }
      Set<String> names = new LinkedHashSet<>();
      for (TrustedIssuer i : issuers) {
        if (!names.add(i.issuer())) {
          throw new IllegalArgumentException("issuer configured twice: " + i.issuer());
        }
      }
      if (clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
        throw new IllegalArgumentException("clock skew must be between 0 and 120 s: " + clockSkew);
      }
      if (maxTokenBytes < 512 || maxTokenBytes > 64 * 1024) {
        throw new IllegalArgumentException(
            "maxTokenBytes must be in [512, 65536]: " + maxTokenBytes);
      }
      if (fetchTimeout.toMillis() < 50 || fetchTimeout.compareTo(Duration.ofSeconds(30)) > 0) {
        throw new IllegalArgumentException(
            "fetch timeout must be in [50 ms, 30 s]: " + fetchTimeout);
      }
      if (outageTolerance.toMillis() <= IssuerKeys.CACHE_TTL_MILLIS) {
        throw new IllegalArgumentException("outage tolerance must exceed the 5 min key cache");
      }
      if (maxLifetime != null && (maxLifetime.isNegative() || maxLifetime.isZero())) {
        throw new IllegalArgumentException("maxLifetime must be positive");
      }
      return new JwtVerifier(this);
    }
  }
}
