package dev.gatehouse.trust.jwt.internal;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One named key set a {@link KeySelector} can choose: an issuer (named by its exact {@code iss}) or
 * a SPIFFE trust domain (named by its trust-domain name), where its keys come from, the algorithms
 * they may verify, and the audiences a token verified with them must name. Immutable and validated.
 */
public final class TrustAnchor {
  private final String name;
  private final KeySource keys;
  private final List<String> algorithms;
  private final Set<String> audiences;

  private TrustAnchor(String name, KeySource keys, List<String> algorithms, Set<String> audiences) {
    this.name = name;
    this.keys = keys;
    this.algorithms = algorithms;
    this.audiences = audiences;
  }

  /**
   * A validated key set.
   *
   * @throws IllegalArgumentException checked in this order: an empty name, no audience or an empty
   *     one, or an empty, duplicated or unsupported algorithm (messages start with "issuer NAME: ")
   */
  public static TrustAnchor of(
      String name, KeySource keys, List<String> algorithms, Collection<String> audiences) {
    requireNonNull(name, "name");
    requireNonNull(keys, "keys");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("key set name must not be empty");
    }
    Set<String> auds = new LinkedHashSet<>(requireNonNull(audiences, "audiences"));
    if (auds.isEmpty() || auds.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException(
          "issuer " + name + ": at least one non-empty audience is required");
    }
    List<String> algs = List.copyOf(requireNonNull(algorithms, "algorithms"));
    JwtSettings.checkAlgorithms("issuer " + name + ": ", algs);
    return new TrustAnchor(name, keys, algs, Set.copyOf(auds));
  }

  /** The issuer or trust-domain name. */
  public String name() {
    return name;
  }

  /** Where the keys come from. */
  public KeySource keys() {
    return keys;
  }

  /** The algorithms its keys may verify, in configured order (the first RSA one pins RSA keys). */
  public List<String> algorithms() {
    return algorithms;
  }

  /** The accepted audiences; a token must name at least one. */
  public Set<String> audiences() {
    return audiences;
  }

  @Override
  public String toString() {
    return "TrustAnchor{" + name + ", " + keys + ", algorithms=" + algorithms + "}";
  }
}
