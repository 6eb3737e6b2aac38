package dev.gatehouse.policy;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What an internal method needs of the <em>delegating user</em> (the end user a calling service
 * acts for, on-behalf-of), written as {@code requires_user}: a delegating user must be present, and
 * when {@link #anyOfRoles()} is non-empty the user needs at least one of those roles. The calling
 * service's own grants are checked separately by the method's {@code requires}; the two never mix.
 */
public final class UserRequirement {
  private final Set<String> anyOfRoles;

  private UserRequirement(Set<String> anyOfRoles) {
    this.anyOfRoles = anyOfRoles;
  }

  /**
   * A requirement; {@code anyOfRoles} empty means any delegating user.
   *
   * @throws IllegalArgumentException on a blank or padded role
   */
  public static UserRequirement of(Collection<String> anyOfRoles) {
    Set<String> roles = new LinkedHashSet<>();
    for (String r : requireNonNull(anyOfRoles, "anyOfRoles")) {
      if (r == null || r.isBlank() || !r.strip().equals(r)) {
        throw new IllegalArgumentException("blank or padded role in requires_user");
      }
      roles.add(r);
    }
    return new UserRequirement(roles.isEmpty() ? Set.of() : Collections.unmodifiableSet(roles));
  }

  /** Roles of which the delegating user needs one; empty: any delegating user. */
  public Set<String> anyOfRoles() {
    return anyOfRoles;
  }

  /** Whether a delegating user holding these roles satisfies the requirement. */
  public boolean isSatisfiedBy(Set<String> userRoles) {
    return anyOfRoles.isEmpty() || !Collections.disjoint(anyOfRoles, userRoles);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UserRequirement u && anyOfRoles.equals(u.anyOfRoles);
  }

  @Override
  public int hashCode() {
    return anyOfRoles.hashCode();
  }

  /** {@code a delegating user} or {@code a delegating user with roles any of [...]}. */
  @Override
  public String toString() {
    return anyOfRoles.isEmpty()
        ? "a delegating user"
        : "a delegating user with roles any of " + anyOfRoles;
  }
}
