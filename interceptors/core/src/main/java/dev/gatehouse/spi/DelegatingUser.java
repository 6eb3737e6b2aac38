package dev.gatehouse.spi;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The end user on whose behalf a calling service makes an internal call (on-behalf-of, in the
 * spirit of RFC 8693's actor claim): the user's subject, the issuer that vouched for the user, the
 * roles the calling service saw on the user, and the services the user's call passed through before
 * the calling service.
 *
 * <p>It is <em>not</em> the caller: the principal of such a call stays the calling service, and
 * every decision Gatehouse makes on the method's {@code requires} stays on the service's grants. A
 * delegating user only matters where a method says so ({@code requires_user}) or where the handler
 * reads it. A trust source attaches it to a {@link Principal} only for a caller its configuration
 * allows to propagate users. Immutable; {@link #toString()} names the subject, issuer, roles and
 * actors and nothing else.
 */
public final class DelegatingUser {
  private static final int MAX_LENGTH = 1024;

  private final String subject;
  private final String issuer;
  private final Set<String> roles;
  private final List<String> priorActors;

  private DelegatingUser(
      String subject, String issuer, Set<String> roles, List<String> priorActors) {
    this.subject = subject;
    this.issuer = issuer;
    this.roles = roles;
    this.priorActors = priorActors;
  }

  /**
   * A delegating user.
   *
   * @param subject the user's subject (required, non-blank)
   * @param issuer the user's issuer, or null when the calling service did not name one
   * @param roles the user's roles as the calling service saw them (may be empty)
   * @param priorActors the services that passed the user on before the calling service, nearest
   *     first; empty when the calling service received the user's call itself (one hop)
   * @throws IllegalArgumentException on a blank subject, issuer, role or actor, or an over-long one
   */
  public static DelegatingUser of(
      String subject, String issuer, Collection<String> roles, List<String> priorActors) {
    check(requireNonNull(subject, "subject"), "subject");
    if (issuer != null) {
      check(issuer, "issuer");
    }
    Set<String> r = new LinkedHashSet<>();
    for (String role : requireNonNull(roles, "roles")) {
      check(requireNonNull(role, "role"), "role");
      r.add(role);
    }
    List<String> a = new ArrayList<>();
    for (String actor : requireNonNull(priorActors, "priorActors")) {
      check(requireNonNull(actor, "actor"), "actor");
      a.add(actor);
    }
    return new DelegatingUser(
        subject, issuer, r.isEmpty() ? Set.of() : Collections.unmodifiableSet(r), List.copyOf(a));
  }

  private static void check(String value, String what) {
    if (value.isBlank() || value.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("delegating user: blank or over-long " + what);
    }
  }

  /** The user's subject. */
  public String subject() {
    return subject;
  }

  /** The issuer that vouched for the user, when the calling service named one. */
  public Optional<String> issuer() {
    return Optional.ofNullable(issuer);
  }

  /** The user's roles as the calling service saw them; never the calling service's own. */
  public Set<String> roles() {
    return roles;
  }

  /** Whether the user holds a role. */
  public boolean hasRole(String role) {
    return roles.contains(role);
  }

  /**
   * The services that passed the user on before the calling service, nearest first; empty for a
   * single hop (the calling service received the user's own call).
   */
  public List<String> priorActors() {
    return priorActors;
  }

  /** How many services stand between the user and this server: 1 + {@link #priorActors()}. */
  public int depth() {
    return 1 + priorActors.size();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DelegatingUser u
        && subject.equals(u.subject)
        && java.util.Objects.equals(issuer, u.issuer)
        && roles.equals(u.roles)
        && priorActors.equals(u.priorActors);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(subject, issuer, roles, priorActors);
  }

  /** Names the subject, issuer, roles and prior actors. */
  @Override
  public String toString() {
    return "DelegatingUser{subject="
        + subject
        + (issuer != null ? ", issuer=" + issuer : "")
        + ", roles="
        + roles
        + (priorActors.isEmpty() ? "" : ", priorActors=" + priorActors)
        + "}";
  }
}
