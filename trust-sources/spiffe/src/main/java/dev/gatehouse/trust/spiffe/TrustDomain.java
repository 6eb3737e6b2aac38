package dev.gatehouse.trust.spiffe;

import static java.util.Objects.requireNonNull;

/**
 * A SPIFFE trust domain name, such as {@code example.org}: 1 to 255 characters of {@code
 * [a-z0-9._-]}. Upper case is refused, never lower-cased, so {@code EXAMPLE.ORG} and {@code
 * example.org} can never become two principals. Immutable; equal when the names are equal.
 */
public final class TrustDomain {
  /** The longest trust domain name the specification allows, in bytes. */
  public static final int MAX_LENGTH = 255;

  private final String name;

  TrustDomain(String name) {
    this.name = name;
  }

  /**
   * Parses a trust domain name (without the {@code spiffe://} prefix).
   *
   * @throws IllegalArgumentException if the name is empty, longer than 255 bytes or has a character
   *     outside {@code [a-z0-9._-]}; the message never quotes the input
   */
  public static TrustDomain parse(String name) {
    requireNonNull(name, "name");
    String problem = problem(name);
    if (problem != null) {
      throw new IllegalArgumentException("invalid SPIFFE trust domain: " + problem);
    }
    return new TrustDomain(name);
  }

  /** Returns null when {@code name} is a valid trust domain name, otherwise what is wrong. */
  static String problem(String name) {
    if (name.isEmpty()) {
      return "trust domain is empty";
    }
    if (name.length() > MAX_LENGTH) {
      return "trust domain is longer than " + MAX_LENGTH + " bytes";
    }
    for (int i = 0; i < name.length(); i++) {
      if (!isTrustDomainChar(name.charAt(i))) {
        return "trust domain has a character outside [a-z0-9._-] at index " + i;
      }
    }
    return null;
  }

  static boolean isTrustDomainChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
  }

  /** The name, e.g. {@code example.org}. */
  public String name() {
    return name;
  }

  /** The trust domain's own SPIFFE ID, {@code spiffe://NAME}. */
  public SpiffeId spiffeId() {
    return SpiffeId.parse(SpiffeId.SCHEME_PREFIX + name);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrustDomain other && other.name.equals(name);
  }

  @Override
  public int hashCode() {
    return name.hashCode();
  }

  /** The name. */
  @Override
  public String toString() {
    return name;
  }
}
