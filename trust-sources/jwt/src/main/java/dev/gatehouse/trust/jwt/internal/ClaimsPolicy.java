package dev.gatehouse.trust.jwt.internal;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The claim rules, applied to the payload of a token whose signature verified, in this order:
 *
 * <ol>
 *   <li>{@code exp} required; {@code exp}, {@code nbf}, {@code iat} integer NumericDates, each in
 *       [0, 10^11] ({@link Reason#INVALID_CLAIMS});
 *   <li>{@code exp} passed (with the clock skew) {@link Reason#EXPIRED}; {@code nbf} or {@code iat}
 *       in the future (with the skew) {@link Reason#NOT_YET_VALID}; {@code iat} missing when
 *       required {@link Reason#INVALID_CLAIMS};
 *   <li>with a maximum lifetime: {@code iat} required ({@link Reason#INVALID_CLAIMS}) and {@code
 *       exp - iat} bounded ({@link Reason#LIFETIME_TOO_LONG});
 *   <li>{@code aud} a string or an array of strings ({@link Reason#INVALID_CLAIMS} for a non-string
 *       member, {@link Reason#AUDIENCE_MISMATCH} otherwise) naming one of the key set's audiences
 *       ({@link Reason#AUDIENCE_MISMATCH}).
 * </ol>
 *
 * <p>The issuer binding ({@code iss}, or the trust domain of {@code sub}) is enforced earlier, by
 * the {@link KeySelector}; rules on {@code sub} that differ per source stay with the source.
 * Immutable; time comes from the {@link JwtSettings} clock, never from the system.
 */
public final class ClaimsPolicy {
  /**
   * The largest accepted {@code exp}/{@code nbf}/{@code iat} (10^11 s, about the year 5138); larger
   * or negative NumericDates are refused before any arithmetic, so every later computation stays
   * far inside the range of {@code long} and {@link Instant}.
   */
  public static final long MAX_NUMERIC_DATE = 100_000_000_000L;

  private final boolean requireIssuedAt;
  private final Duration maxLifetime;

  private ClaimsPolicy(Builder b) {
    this.requireIssuedAt = b.requireIssuedAt || b.maxLifetime != null;
    this.maxLifetime = b.maxLifetime;
  }

  /** A builder: {@code iat} optional, lifetime unbounded. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** Whether {@code iat} is required. */
  public boolean requiresIssuedAt() {
    return requireIssuedAt;
  }

  /** The bound on {@code exp - iat}, or null. */
  public Duration maxLifetime() {
    return maxLifetime;
  }

  /**
   * Checks the claims of a token verified with a key of the set {@code issuer}. A maximum lifetime
   * implies a required {@code iat}, so {@code exp - iat} is always computable here.
   *
   * @param audiences the key set's accepted audiences
   * @param who log-safe prefix of every detail (key set and {@code kid})
   */
  JwtVerification check(
      Map<String, Object> claims,
      Set<String> audiences,
      long nowMillis,
      long skewSeconds,
      String issuer,
      String kid,
      String alg,
      String who) {
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
    if (maxLifetime != null && lifetimeExceeds(expSeconds, iat, maxLifetime.toSeconds())) {
      return JwtVerification.rejected(
          Reason.LIFETIME_TOO_LONG,
          who + ": lifetime longer than " + maxLifetime.toSeconds() + " s");
    }
    Object aud = claims.get("aud");
    List<String> named = new ArrayList<>();
    if (aud instanceof String string) {
      named.add(string);
    } else if (aud instanceof List) {
      for (Object a : (List<?>) aud) {
        if (!(a instanceof String string)) {
          return JwtVerification.rejected(Reason.INVALID_CLAIMS, who + ": aud has a non-string");
        }
        named.add(string);
      }
    } else {
      return JwtVerification.rejected(
          Reason.AUDIENCE_MISMATCH,
          who + ": aud missing or not a string/array; expected " + expected(audiences));
    }
    if (named.stream().noneMatch(audiences::contains)) {
      return JwtVerification.rejected(
          Reason.AUDIENCE_MISMATCH,
          who + ": aud does not name us; expected " + expected(audiences));
    }
    return JwtVerification.verified(
        new VerifiedJwt(
            issuer,
            kid,
            alg,
            claims,
            named,
            Instant.ofEpochSecond(expSeconds),
            iat == null ? null : Instant.ofEpochSecond(iat)));
  }

  /** Whether {@code exp - iat > max}, counting an overflowing difference as too long. */
  /** The configured audiences, for the log: {@code "trips"} or {@code one of [a, b]}. */
  private static String expected(Set<String> audiences) {
    List<String> sorted = new ArrayList<>(audiences);
    java.util.Collections.sort(sorted);
    return sorted.size() == 1 ? LogSafe.quote(sorted.get(0)) : "one of " + sorted;
  }

  private static boolean lifetimeExceeds(long exp, long iat, long max) {
    try {
      return Math.subtractExact(exp, iat) > max;
    } catch (ArithmeticException e) {
      return true;
    }
  }

  /** {@code (seconds + delta) * 1000} without overflow. */
  private static long saturatedMillis(long seconds, long deltaSeconds) {
    try {
      return Math.multiplyExact(Math.addExact(seconds, deltaSeconds), 1000L);
    } catch (ArithmeticException e) {
      return (seconds < 0) ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  @Override
  public String toString() {
    return "ClaimsPolicy{requireIssuedAt=" + requireIssuedAt + ", maxLifetime=" + maxLifetime + "}";
  }

  /** Builds a {@link ClaimsPolicy}; {@link #build()} refuses contradictory settings. */
  public static final class Builder {
    private boolean requireIssuedAt;
    private boolean issuedAtExplicitlyOptional;
    private Duration maxLifetime;

    private Builder() {}

    /**
     * Whether an {@code iat} claim is required (service tokens). Saying {@code false} together with
     * a {@link #maxLifetime} is a contradiction that {@link #build()} refuses.
     */
    public Builder requireIssuedAt(boolean require) {
      this.requireIssuedAt = require;
      this.issuedAtExplicitlyOptional = !require;
      return this;
    }

    /** Refuses tokens whose {@code exp - iat} exceeds this; requires {@code iat}. */
    public Builder maxLifetime(Duration maxLifetime) {
      this.maxLifetime = requireNonNull(maxLifetime, "maxLifetime");
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException on a maximum lifetime that is not positive, or one combined
     *     with {@code requireIssuedAt(false)} (a lifetime cannot be bounded without {@code iat})
     */
    public ClaimsPolicy build() {
      if (maxLifetime != null && (maxLifetime.isNegative() || maxLifetime.isZero())) {
        throw new IllegalArgumentException("maxLifetime must be positive");
      }
      if (maxLifetime != null && issuedAtExplicitlyOptional) {
        throw new IllegalArgumentException(
            "maxLifetime needs iat, but iat was declared optional (requireIssuedAt(false))");
      }
      return new ClaimsPolicy(this);
    }
  }
}
