package dev.gatehouse.trust.jwt.internal;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The settings every JWT source shares (user JWTs, signed service tokens, JWT-SVIDs): the clock,
 * the clock skew, the default algorithm allow-list, and the limits (token size, JWKS fetch timeout,
 * outage tolerance, verified-token cache bounds). Immutable; {@link Builder#build()} validates
 * every value, so a value that exists is a valid one.
 */
public final class JwtSettings {
  /** The default maximum token size, 8 KiB. */
  public static final int DEFAULT_MAX_TOKEN_BYTES = 8 * 1024;

  /**
   * How many verified tokens each verifier remembers by default (0 turns the cache off). The name
   * is kept from the signature memo the verified-token cache replaced.
   */
  public static final int DEFAULT_SIGNATURE_CACHE_SIZE = 10_000;

  /** The default bound on the estimated memory of each verifier's verified-token cache, 32 MiB. */
  public static final long DEFAULT_VERIFIED_TOKEN_CACHE_BYTES = 32L * 1024 * 1024;

  /** The default algorithm allow-list of a key set, {@code [ES256, RS256, PS256]}. */
  public static final List<String> DEFAULT_ALGORITHMS = Algorithms.DEFAULT;

  /** Whether Gatehouse verifies {@code alg}: ES256/384/512, RS256/384/512, PS256/384/512. */
  public static boolean isSupportedAlgorithm(String alg) {
    return Algorithms.isSupported(alg);
  }

  /** The default clock skew, 30 s. */
  public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);

  /** The largest clock skew that can be configured, 120 s. */
  public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(2);

  /** The default bound on one JWKS fetch, 2 s. */
  public static final Duration DEFAULT_FETCH_TIMEOUT = Duration.ofSeconds(2);

  /** How long cached keys keep serving through a JWKS outage by default, 1 h. */
  public static final Duration DEFAULT_OUTAGE_TOLERANCE = Duration.ofHours(1);

  private final Clock clock;
  private final Duration clockSkew;
  private final List<String> algorithms;
  private final int maxTokenBytes;
  private final Duration fetchTimeout;
  private final Duration outageTolerance;
  private final int signatureCacheSize;
  private final long verifiedTokenCacheBytes;

  private JwtSettings(Builder b) {
    this.clock = b.clock;
    this.clockSkew = b.clockSkew;
    this.algorithms = List.copyOf(b.algorithms);
    this.maxTokenBytes = b.maxTokenBytes;
    this.fetchTimeout = b.fetchTimeout;
    this.outageTolerance = b.outageTolerance;
    this.signatureCacheSize = b.signatureCacheSize;
    this.verifiedTokenCacheBytes = b.verifiedTokenCacheBytes;
  }

  /** A builder with every default. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The settings with every default. */
  public static JwtSettings defaults() {
    return newBuilder().build();
  }

  /** The clock for every time check and for the key caches. */
  public Clock clock() {
    return clock;
  }

  /** The tolerated clock difference, in [0, 120 s]. */
  public Duration clockSkew() {
    return clockSkew;
  }

  /** The algorithm allow-list of key sets that do not set their own, in configured order. */
  public List<String> algorithms() {
    return algorithms;
  }

  /** The largest accepted token; larger tokens are refused before parsing. */
  public int maxTokenBytes() {
    return maxTokenBytes;
  }

  /** The bound on one JWKS fetch. */
  public Duration fetchTimeout() {
    return fetchTimeout;
  }

  /** How long cached keys keep serving while a JWKS cannot be fetched. */
  public Duration outageTolerance() {
    return outageTolerance;
  }

  /** How many verified tokens each verifier remembers (0: none, every call verifies in full). */
  public int signatureCacheSize() {
    return signatureCacheSize;
  }

  /**
   * The bound on the estimated memory of each verifier's verified-token cache: every entry counts a
   * fixed overhead plus a multiple of its token's length.
   */
  public long verifiedTokenCacheBytes() {
    return verifiedTokenCacheBytes;
  }

  @Override
  public String toString() {
    return "JwtSettings{skew="
        + clockSkew
        + ", algorithms="
        + algorithms
        + ", maxTokenBytes="
        + maxTokenBytes
        + ", fetchTimeout="
        + fetchTimeout
        + ", outageTolerance="
        + outageTolerance
        + ", signatureCacheSize="
        + signatureCacheSize
        + ", verifiedTokenCacheBytes="
        + verifiedTokenCacheBytes
        + "}";
  }

  /** Builds {@link JwtSettings}; {@link #build()} validates every value. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private Duration clockSkew = DEFAULT_CLOCK_SKEW;
    private List<String> algorithms = DEFAULT_ALGORITHMS;
    private int maxTokenBytes = DEFAULT_MAX_TOKEN_BYTES;
    private Duration fetchTimeout = DEFAULT_FETCH_TIMEOUT;
    private Duration outageTolerance = DEFAULT_OUTAGE_TOLERANCE;
    private int signatureCacheSize = DEFAULT_SIGNATURE_CACHE_SIZE;
    private long verifiedTokenCacheBytes = DEFAULT_VERIFIED_TOKEN_CACHE_BYTES;

    private Builder() {}

    /** The clock for every time check and for the key caches (default: system UTC). */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /** Tolerated clock difference, default 30 s, at most 120 s. */
    public Builder clockSkew(Duration skew) {
      this.clockSkew = requireNonNull(skew, "skew");
      return this;
    }

    /**
     * The algorithm allow-list for key sets that do not set their own (default {@code [ES256,
     * RS256, PS256]}); asymmetric algorithms only, none twice.
     */
    public Builder algorithms(List<String> algorithms) {
      this.algorithms = new ArrayList<>(requireNonNull(algorithms, "algorithms"));
      return this;
    }

    /** Largest accepted token, default 8 KiB, in [512 B, 64 KiB]. */
    public Builder maxTokenBytes(int maxTokenBytes) {
      this.maxTokenBytes = maxTokenBytes;
      return this;
    }

    /** Bound on one JWKS fetch (connect, read and total), default 2 s, in [50 ms, 30 s]. */
    public Builder fetchTimeout(Duration timeout) {
      this.fetchTimeout = requireNonNull(timeout, "timeout");
      return this;
    }

    /** How long cached keys serve while the JWKS cannot be fetched, default 1 h, over 5 min. */
    public Builder outageTolerance(Duration tolerance) {
      this.outageTolerance = requireNonNull(tolerance, "tolerance");
      return this;
    }

    /**
     * How many verified tokens each verifier remembers (default 10 000; 0 turns the cache off). A
     * token presented again is then served from the cache after re-checking its time window and
     * that its key is still the key set's current key for its {@code kid}; the caller's own checks
     * ({@code jti} replay, binding) still run on every call. Least recently used tokens are evicted
     * first (CLOCK); the cache is never emptied at once.
     *
     * @throws IllegalArgumentException if negative
     */
    public Builder signatureCacheSize(int size) {
      if (size < 0) {
        throw new IllegalArgumentException("signature cache size must not be negative");
      }
      this.signatureCacheSize = size;
      return this;
    }

    /**
     * The bound on the estimated memory of each verifier's verified-token cache (default 32 MiB),
     * at least 64 KiB.
     *
     * @throws IllegalArgumentException if below 64 KiB
     */
    public Builder verifiedTokenCacheBytes(long bytes) {
      if (bytes < 64 * 1024) {
        throw new IllegalArgumentException("verified token cache bytes must be at least 64 KiB");
      }
      this.verifiedTokenCacheBytes = bytes;
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException on a skew outside [0, 120 s], a token cap outside [512 B, 64
     *     KiB], a fetch timeout outside [50 ms, 30 s], an outage tolerance not above the 5 min key
     *     cache, or an empty, duplicated or unsupported algorithm
     */
    public JwtSettings build() {
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
      checkAlgorithms("", algorithms);
      return new JwtSettings(this);
    }
  }

  /**
   * Validates an algorithm allow-list.
   *
   * @param owner prefix of the error message, e.g. {@code "issuer x: "}
   * @throws IllegalArgumentException on an empty list, an algorithm listed twice or one that is not
   *     in {@link Algorithms#SUPPORTED}
   */
  static void checkAlgorithms(String owner, List<String> algorithms) {
    if (algorithms.isEmpty()) {
      throw new IllegalArgumentException(owner + "no algorithm allowed");
    }
    Set<String> seen = new LinkedHashSet<>();
    for (String alg : algorithms) {
      if (!Algorithms.isSupported(alg)) {
        throw new IllegalArgumentException(
            owner
                + "algorithm "
                + LogSafe.quote(alg)
                + " is not allowed; only "
                + Algorithms.SUPPORTED);
      }
      if (!seen.add(alg)) {
        throw new IllegalArgumentException(owner + "algorithm listed twice: " + alg);
      }
    }
  }
}
