package dev.gatehouse.policy;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What a caller must hold: <em>any one</em> of {@link #anyOfRoles()} (when non-empty) and
 * <em>all</em> of {@link #allOfScopes()}. Never empty: an empty requirement would read as "allow"
 * and is refused at startup instead.
 */
public final class Requirements {
  private final Set<String> anyOfRoles;
  private final Set<String> allOfScopes;

  private Requirements(Set<String> anyOfRoles, Set<String> allOfScopes) {
    this.anyOfRoles = anyOfRoles;
    this.allOfScopes = allOfScopes;
  }

  /**
   * Creates requirements.
   *
   * @throws IllegalArgumentException if both lists are empty or a value is blank
   */
  public static Requirements of(Collection<String> anyOfRoles, Collection<String> allOfScopes) {
    Set<String> roles = copy(requireNonNull(anyOfRoles, "anyOfRoles"), "role");
    Set<String> scopes = copy(requireNonNull(allOfScopes, "allOfScopes"), "scope");
    if (roles.isEmpty() && scopes.isEmpty()) {
      throw new IllegalArgumentException("requirements name no role and no scope");
    }
    return new Requirements(roles, scopes);
  }

  private static Set<String> copy(Collection<String> values, String what) {
    Set<String> out = new LinkedHashSet<>();
    for (String v : values) {
      if (v == null || v.isBlank() || !v.strip().equals(v)) {
        throw new IllegalArgumentException("blank or padded " + what + " in requirements");
      }
      out.add(v);
    }
    return Collections.unmodifiableSet(out);
  }

  /** Roles of which the caller needs at least one; empty means no role is needed. */
  public Set<String> anyOfRoles() {
    return anyOfRoles;
  }

  /** Scopes the caller needs every one of. */
  public Set<String> allOfScopes() {
    return allOfScopes;
  }

  /** Whether a caller holding these roles and scopes satisfies the requirements. */
  public boolean isSatisfiedBy(Set<String> roles, Set<String> scopes) {
    if (!anyOfRoles.isEmpty() && Collections.disjoint(anyOfRoles, roles)) {
      return false;
    }
    return scopes.containsAll(allOfScopes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Requirements r
        && anyOfRoles.equals(r.anyOfRoles)
        && allOfScopes.equals(r.allOfScopes);
  }

  @Override
  public int hashCode() {
    return 31 * anyOfRoles.hashCode() + allOfScopes.hashCode();
  }

  @Override
  public String toString() {
    List<String> parts = new ArrayList<>();
    if (!anyOfRoles.isEmpty()) {
      parts.add("roles any of " + anyOfRoles);
    }
    if (!allOfScopes.isEmpty()) {
      parts.add("scopes all of " + allOfScopes);
    }
    return String.join(" and ", parts);
  }
}
