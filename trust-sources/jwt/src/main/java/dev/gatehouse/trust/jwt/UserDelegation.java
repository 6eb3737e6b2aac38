package dev.gatehouse.trust.jwt;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Allows one {@code signed_token} issuer to propagate end users (on-behalf-of): its tokens may name
 * the user it calls for in the {@value #CLAIM} claim, which the server then exposes as the
 * delegating user of the call ({@code AuthContext.delegatingUser()}). A token of an issuer without
 * this setting that carries the claim is refused ({@code DELEGATION_NOT_ALLOWED}), never accepted
 * with the claim dropped.
 *
 * <p>{@link #maxDepth()} bounds the chain: 1 (the default) accepts only a user the calling service
 * received the call of itself; a claim naming prior actors (a nested {@code act}) counts one more
 * per actor and is refused beyond the bound ({@code DELEGATION_TOO_DEEP}). {@link #userIssuers()},
 * when not empty, lists the only user issuers the claim may name (its {@code iss} is then
 * required).
 */
public final class UserDelegation {
  /** The claim carrying the delegating user. */
  public static final String CLAIM = "gatehouse_obo";

  /** The largest configurable {@link #maxDepth()}. */
  public static final int MAX_DEPTH = 4;

  private final int maxDepth;
  private final Set<String> userIssuers;

  private UserDelegation(int maxDepth, Set<String> userIssuers) {
    this.maxDepth = maxDepth;
    this.userIssuers = userIssuers;
  }

  /** Users this issuer received the call of itself (depth 1), from any user issuer. */
  public static UserDelegation directUsers() {
    return new UserDelegation(1, Set.of());
  }

  /**
   * A delegation setting.
   *
   * @param maxDepth the longest accepted chain, 1 to {@value #MAX_DEPTH}
   * @param userIssuers the user issuers the claim may name; empty: any
   * @throws IllegalArgumentException on a depth out of range or a blank user issuer
   */
  public static UserDelegation of(int maxDepth, Collection<String> userIssuers) {
    if (maxDepth < 1 || maxDepth > MAX_DEPTH) {
      throw new IllegalArgumentException(
          "max delegation depth must be between 1 and " + MAX_DEPTH + ": " + maxDepth);
    }
    Set<String> issuers = new LinkedHashSet<>();
    for (String i : requireNonNull(userIssuers, "userIssuers")) {
      if (i == null || i.isBlank()) {
        throw new IllegalArgumentException("blank delegated user issuer");
      }
      issuers.add(i);
    }
    return new UserDelegation(maxDepth, Set.copyOf(issuers));
  }

  /** The longest accepted chain: 1 + the number of prior actors the claim may name. */
  public int maxDepth() {
    return maxDepth;
  }

  /** The user issuers the claim may name; empty: any (and the claim's {@code iss} is optional). */
  public Set<String> userIssuers() {
    return userIssuers;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UserDelegation d
        && maxDepth == d.maxDepth
        && userIssuers.equals(d.userIssuers);
  }

  @Override
  public int hashCode() {
    return 31 * maxDepth + userIssuers.hashCode();
  }

  @Override
  public String toString() {
    return "UserDelegation{maxDepth=" + maxDepth + ", userIssuers=" + userIssuers + "}";
  }
}
