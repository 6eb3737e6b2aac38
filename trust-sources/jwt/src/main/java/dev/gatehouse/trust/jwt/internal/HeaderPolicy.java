package dev.gatehouse.trust.jwt.internal;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.Reason;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The JOSE header rules, applied to the parsed header before any key is chosen:
 *
 * <ol>
 *   <li>no member is JSON {@code null} ({@link Reason#MALFORMED_CREDENTIALS}): a present member
 *       with no value is refused, never read as absent;
 *   <li>only {@code alg}, {@code kid}, {@code typ} and the configured extras ({@code x5t}, {@code
 *       x5t#S256}; never used to pick a key) may appear; {@code crit}, {@code jku}, {@code jwk},
 *       {@code x5u}, {@code x5c}, {@code zip}, {@code b64} and anything else are {@link
 *       Reason#DISALLOWED_HEADER};
 *   <li>{@code alg} a string ({@link Reason#MALFORMED_CREDENTIALS}), asymmetric and supported,
 *       never {@code none} or HMAC ({@link Reason#ALGORITHM_NOT_ALLOWED});
 *   <li>{@code kid}, when present, a non-empty string of at most 256 characters ({@link
 *       Reason#MALFORMED_CREDENTIALS});
 *   <li>{@code typ} absent or one of the allowed types, compared case-insensitively with an {@code
 *       application/} prefix ignored, or exactly when {@link Builder#exactTypes()} is set ({@link
 *       Reason#DISALLOWED_HEADER});
 *   <li>{@code x5t} and {@code x5t#S256}, when allowed and present, strings ({@link
 *       Reason#MALFORMED_CREDENTIALS}).
 * </ol>
 *
 * <p>Immutable. Details name header parameters, never their values.
 */
public final class HeaderPolicy {
  private static final Set<String> BASE_HEADERS = Set.of("alg", "kid", "typ");
  private static final Set<String> OPTIONAL_HEADERS = Set.of("x5t", "x5t#S256");
  static final int MAX_KID_LENGTH = 256;

  private final Set<String> allowedHeaders;
  private final Set<String> allowedTypes;
  private final boolean exactTypes;

  private HeaderPolicy(Builder b) {
    Set<String> headers = new LinkedHashSet<>(BASE_HEADERS);
    headers.addAll(b.extraHeaders);
    this.allowedHeaders = Set.copyOf(headers);
    this.exactTypes = b.exactTypes;
    Set<String> types = new LinkedHashSet<>();
    b.allowedTypes.forEach(t -> types.add(exactTypes ? t : normaliseType(t)));
    this.allowedTypes = Set.copyOf(types);
  }

  /**
   * A builder: headers {@code alg}, {@code kid}, {@code typ}; {@code typ} absent or {@code JWT}.
   */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The header parameters that may appear. */
  public Set<String> allowedHeaders() {
    return allowedHeaders;
  }

  /**
   * The accepted {@code typ} values: as given when {@linkplain Builder#exactTypes() exact},
   * otherwise normalised (lower case, no {@code application/}).
   */
  public Set<String> allowedTypes() {
    return allowedTypes;
  }

  /** The refusal for {@code header}, or empty when the header is acceptable. Never throws. */
  Optional<JwtVerification> check(Map<String, Object> header) {
    for (Map.Entry<String, Object> member : header.entrySet()) {
      if (member.getValue() == null) {
        return refuse(
            Reason.MALFORMED_CREDENTIALS,
            "header parameter " + LogSafe.quote(member.getKey()) + " is null");
      }
    }
    for (String name : header.keySet()) {
      if (!allowedHeaders.contains(name)) {
        return refuse(
            Reason.DISALLOWED_HEADER, "header parameter " + LogSafe.quote(name) + " not allowed");
      }
    }
    Object alg = header.get("alg");
    if (!(alg instanceof String algName)) {
      return refuse(Reason.MALFORMED_CREDENTIALS, "alg missing or not a string");
    }
    if (!Algorithms.isSupported(algName)) {
      return refuse(
          Reason.ALGORITHM_NOT_ALLOWED, "algorithm " + LogSafe.quote(algName) + " not allowed");
    }
    Object kid = header.get("kid");
    if (kid != null
        && (!(kid instanceof String kidName)
            || kidName.isEmpty()
            || kidName.length() > MAX_KID_LENGTH)) {
      return refuse(Reason.MALFORMED_CREDENTIALS, "kid is not a usable string");
    }
    if (header.containsKey("typ")) {
      Object typ = header.get("typ");
      if (!(typ instanceof String typName)
          || !allowedTypes.contains(exactTypes ? typName : normaliseType(typName))) {
        return refuse(Reason.DISALLOWED_HEADER, "typ not allowed");
      }
    }
    for (String optional : OPTIONAL_HEADERS) {
      if (header.containsKey(optional) && !(header.get(optional) instanceof String)) {
        return refuse(Reason.MALFORMED_CREDENTIALS, optional + " not a string");
      }
    }
    return Optional.empty();
  }

  private static Optional<JwtVerification> refuse(Reason reason, String detail) {
    return Optional.of(JwtVerification.rejected(reason, detail));
  }

  private static String normaliseType(String typ) {
    String t = typ.toLowerCase(Locale.ROOT);
    return t.startsWith("application/") ? t.substring("application/".length()) : t;
  }

  @Override
  public String toString() {
    return "HeaderPolicy{headers=" + allowedHeaders + ", types=" + allowedTypes + "}";
  }

  /** Builds a {@link HeaderPolicy}; every method validates its argument. */
  public static final class Builder {
    private final Set<String> extraHeaders = new LinkedHashSet<>();
    private final Set<String> allowedTypes = new LinkedHashSet<>(List.of("JWT"));
    private boolean exactTypes;

    private Builder() {}

    /**
     * Compares {@code typ} exactly with the allowed values: no case folding, no {@code
     * application/} prefix (the JWT-SVID rule: absent, {@code JWT} or {@code JOSE}).
     */
    public Builder exactTypes() {
      this.exactTypes = true;
      return this;
    }

    /**
     * Additional allowed header parameters besides {@code alg}, {@code kid}, {@code typ}: only
     * {@code x5t} and {@code x5t#S256} may be added (they are never used to pick a key).
     *
     * @throws IllegalArgumentException for any other name
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

    /** Builds the policy. */
    public HeaderPolicy build() {
      return new HeaderPolicy(this);
    }
  }
}
