package dev.gatehouse.trust.jwt.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A token whose signature, header, issuer, audience and time claims verified. Immutable; {@link
 * #toString()} names only the issuer, subject, {@code kid} and algorithm.
 *
 * <p>Claim values are JSON values as parsed: {@code String}, {@code Long} (integers), {@code
 * Double}, {@code Boolean}, {@code List} and {@code Map} (both unmodifiable), or null.
 */
public final class VerifiedJwt {
  private final String issuer;
  private final String keyId;
  private final String algorithm;
  private final Map<String, Object> claims;
  private final List<String> audiences;
  private final Instant expiry;
  private final Instant issuedAt;
  private volatile Derived derived;

  /** A value one owner derived from this token (see {@link #derive}). */
  private record Derived(Object owner, Object value) {}

  VerifiedJwt(
      String issuer,
      String keyId,
      String algorithm,
      Map<String, Object> claims,
      List<String> audiences,
      Instant expiry,
      Instant issuedAt) {
    this.issuer = issuer;
    this.keyId = keyId;
    this.algorithm = algorithm;
    @SuppressWarnings("unchecked")
    Map<String, Object> copy = (Map<String, Object>) deepCopy(claims);
    this.claims = copy;
    this.audiences = List.copyOf(audiences);
    this.expiry = expiry;
    this.issuedAt = issuedAt;
  }

  private static Object deepCopy(Object v) {
    if (v instanceof Map) {
      Map<String, Object> out = new LinkedHashMap<>();
      ((Map<?, ?>) v).forEach((k, x) -> out.put(String.valueOf(k), deepCopy(x)));
      return Collections.unmodifiableMap(out);
    }
    if (v instanceof List) {
      List<Object> out = new ArrayList<>();
      ((List<?>) v).forEach(x -> out.add(deepCopy(x)));
      return Collections.unmodifiableList(out);
    }
    return v;
  }

  /**
   * The name of the key set whose key verified the token: its {@code iss} claim with an {@link
   * IssuerKeySelector}, the trust domain of its {@code sub} with a {@link TrustDomainKeySelector}.
   */
  public String issuer() {
    return issuer;
  }

  /** The {@code sub} claim if it is a string. */
  public Optional<String> subject() {
    return stringClaim("sub");
  }

  /** The {@code jti} claim if it is a string. */
  public Optional<String> jwtId() {
    return stringClaim("jti");
  }

  /** The {@code kid} header, if the token had one. */
  public Optional<String> keyId() {
    return Optional.ofNullable(keyId);
  }

  /** The verified algorithm, e.g. {@code ES256}. */
  public String algorithm() {
    return algorithm;
  }

  /** The {@code aud} values. */
  public List<String> audiences() {
    return audiences;
  }

  /** The {@code exp} claim. */
  public Instant expiry() {
    return expiry;
  }

  /** The {@code iat} claim, if present. */
  public Optional<Instant> issuedAt() {
    return Optional.ofNullable(issuedAt);
  }

  /** Every claim of the payload (unmodifiable, deeply). */
  public Map<String, Object> claims() {
    return claims;
  }

  /** One claim. */
  public Optional<Object> claim(String name) {
    return Optional.ofNullable(claims.get(name));
  }

  /** One claim, if it is a string. */
  public Optional<String> stringClaim(String name) {
    Object v = claims.get(name);
    return v instanceof String string ? Optional.of(string) : Optional.empty();
  }

  /**
   * The value at a dot path such as {@code realm_access.roles}, descending through JSON objects. A
   * top-level claim whose name itself contains dots is found first.
   */
  public Optional<Object> claimAtPath(String path) {
    if (claims.containsKey(path)) {
      return Optional.ofNullable(claims.get(path));
    }
    Object cur = claims;
    for (String part : path.split("\\.", -1)) {
      if (!(cur instanceof Map)) {
        return Optional.empty();
      }
      cur = ((Map<?, ?>) cur).get(part);
    }
    return Optional.ofNullable(cur);
  }

  /**
   * The value {@code owner} derives from this token with {@code compute}, computed once and kept
   * with the token (the verifier's cache hands the same {@code VerifiedJwt} to every call with the
   * same token). One owner's value is kept at a time, the latest computed: after a reload that
   * shares the verifier's cache, the new source's value replaces the old source's (and the old
   * source is no longer held). An owner only ever reads a value it computed itself (compared by
   * identity). {@code compute} must depend on nothing but this token and fixed state of {@code
   * owner}: per-call checks (replay, peer binding) must never be derived. Two racing calls may both
   * compute; either result is kept.
   */
  public <T> T derive(Object owner, Class<T> type, Function<? super VerifiedJwt, T> compute) {
    Derived d = derived;
    if (d != null && d.owner() == owner) {
      return type.cast(d.value());
    }
    T value = compute.apply(this);
    derived = new Derived(owner, value);
    return value;
  }

  @Override
  public String toString() {
    return "VerifiedJwt{iss="
        + issuer
        + ", sub="
        + subject().map(LogSafe::quote).orElse("-")
        + ", kid="
        + (keyId == null ? "-" : LogSafe.quote(keyId))
        + ", alg="
        + algorithm
        + "}";
  }
}
