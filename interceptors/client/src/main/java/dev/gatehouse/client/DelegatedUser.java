package dev.gatehouse.client;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The end user a calling service acts for (on-behalf-of), as its service token carries it in the
 * {@value #CLAIM} claim:
 *
 * <pre>{@code
 * "gatehouse_obo": {"sub": "user-42", "iss": "https://idp.example", "roles": ["rider"],
 *                   "act": {"sub": "frontend"}}
 * }</pre>
 *
 * <p>{@code sub} always; {@code iss} and {@code roles} when set; {@code act} only when the user
 * came through other services first ({@link #priorActors()}, nearest first, nested as RFC 8693
 * nests prior actors). The token's own {@code iss}/{@code sub} stay the calling service. Immutable;
 * equal values mint interchangeable tokens, different values never share one. {@link #toString()}
 * names the subject only.
 */
public final class DelegatedUser {
  /** The claim name. */
  public static final String CLAIM = "gatehouse_obo";

  private static final int MAX_LENGTH = 1024;

  private final String subject;
  private final String issuer;
  private final Set<String> roles;
  private final List<String> priorActors;

  private DelegatedUser(
      String subject, String issuer, Set<String> roles, List<String> priorActors) {
    this.subject = subject;
    this.issuer = issuer;
    this.roles = roles;
    this.priorActors = priorActors;
  }

  /**
   * A user with a subject only.
   *
   * @throws IllegalArgumentException on a blank or over-long subject
   */
  public static DelegatedUser of(String subject) {
    return of(subject, null, List.of(), List.of());
  }

  /**
   * A user.
   *
   * @param subject the user's subject (required)
   * @param issuer the issuer that vouched for the user, or null
   * @param roles the user's roles to pass on (may be empty)
   * @param priorActors services the user's call passed through before this one, nearest first
   * @throws IllegalArgumentException on a blank or over-long value
   */
  public static DelegatedUser of(
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
    return new DelegatedUser(
        subject, issuer, Collections.unmodifiableSet(r), Collections.unmodifiableList(a));
  }

  private static void check(String value, String what) {
    if (value.isBlank() || value.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("delegated user: blank or over-long " + what);
    }
  }

  /** The user's subject. */
  public String subject() {
    return subject;
  }

  /** The user's issuer, if known. */
  public Optional<String> issuer() {
    return Optional.ofNullable(issuer);
  }

  /** The roles passed on. */
  public Set<String> roles() {
    return roles;
  }

  /** Services before this one, nearest first; empty for a user who called this service. */
  public List<String> priorActors() {
    return priorActors;
  }

  /** The claim's value, as Nimbus serializes it. */
  Map<String, Object> claimValue() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("sub", subject);
    if (issuer != null) {
      out.put("iss", issuer);
    }
    if (!roles.isEmpty()) {
      out.put("roles", new ArrayList<>(roles));
    }
    Map<String, Object> act = null;
    for (int i = priorActors.size() - 1; i >= 0; i--) {
      Map<String, Object> actor = new LinkedHashMap<>();
      actor.put("sub", priorActors.get(i));
      if (act != null) {
        actor.put("act", act);
      }
      act = actor;
    }
    if (act != null) {
      out.put("act", act);
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DelegatedUser u
        && subject.equals(u.subject)
        && java.util.Objects.equals(issuer, u.issuer)
        && roles.equals(u.roles)
        && priorActors.equals(u.priorActors);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(subject, issuer, roles, priorActors);
  }

  @Override
  public String toString() {
    return "DelegatedUser[" + subject + "]";
  }
}
