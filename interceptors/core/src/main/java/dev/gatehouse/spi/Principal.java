package dev.gatehouse.spi;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
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
 * Who a source verified: the subject, the issuer that vouched for it, the grants the server
 * assigns, selected claims and the credential's expiry.
 *
 * <p>A source returns it in {@link AuthResult#authenticated(Principal)}; it does not say what kind
 * of caller this is or which source found it. The chain stamps both (an end-user authenticator's
 * principals are users, a trust source's are services) when it attaches the caller's context, so a
 * source cannot present a user as a service or borrow another source's name. Immutable; {@link
 * #toString()} never shows claim values.
 */
public final class Principal {
  private final String subject;
  private final String issuer;
  private final Set<String> roles;
  private final Set<String> scopes;
  private final Map<String, Object> claims;
  private final Instant expiry;
  private final DelegatingUser delegatingUser;

  private Principal(Builder b) {
    this.subject = b.subject;
    this.issuer = b.issuer;
    // Copies, so a builder reused afterwards cannot change this principal; empties are shared.
    this.roles =
        b.roles.isEmpty() ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(b.roles));
    this.scopes =
        b.scopes.isEmpty() ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(b.scopes));
    this.claims =
        b.claims.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(b.claims));
    this.expiry = b.expiry;
    this.delegatingUser = b.delegatingUser;
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The verified subject (a user id, a service name, a SPIFFE ID). */
  public String subject() {
    return subject;
  }

  /** The issuer that vouched for the subject, when the credential names one. */
  public Optional<String> issuer() {
    return Optional.ofNullable(issuer);
  }

  /** The roles granted. */
  public Set<String> roles() {
    return roles;
  }

  /** The scopes granted. */
  public Set<String> scopes() {
    return scopes;
  }

  /** Selected claims (strings, numbers, booleans, lists and maps of those), unmodifiable. */
  public Map<String, Object> claims() {
    return claims;
  }

  /** When the credential expires, if it does. */
  public Optional<Instant> expiry() {
    return Optional.ofNullable(expiry);
  }

  /**
   * The end user on whose behalf this (service) principal calls, when its source verified one and
   * its configuration allows this caller to propagate users; see {@link DelegatingUser}.
   */
  public Optional<DelegatingUser> delegatingUser() {
    return Optional.ofNullable(delegatingUser);
  }

  /** Names the subject, issuer and grants; claim names only, never claim values. */
  @Override
  public String toString() {
    return "Principal{subject="
        + subject
        + (issuer != null ? ", issuer=" + issuer : "")
        + ", roles="
        + roles
        + ", scopes="
        + scopes
        + ", claims="
        + claims.keySet()
        + (expiry != null ? ", expiry=" + expiry : "")
        + (delegatingUser != null ? ", onBehalfOf=" + delegatingUser.subject() : "")
        + "}";
  }

  /** Builds a {@link Principal}; the subject is required. */
  public static final class Builder {
    private String subject;
    private String issuer;
    private final Set<String> roles = new LinkedHashSet<>();
    private final Set<String> scopes = new LinkedHashSet<>();
    private final Map<String, Object> claims = new LinkedHashMap<>();
    private Instant expiry;
    private DelegatingUser delegatingUser;

    private Builder() {}

    /** The subject. */
    public Builder subject(String subject) {
      this.subject = requireNonNull(subject, "subject");
      return this;
    }

    /** The issuer. */
    public Builder issuer(String issuer) {
      this.issuer = issuer;
      return this;
    }

    /** Adds roles. */
    public Builder roles(Collection<String> roles) {
      roles.forEach(r -> this.roles.add(requireNonNull(r, "role")));
      return this;
    }

    /** Adds scopes. */
    public Builder scopes(Collection<String> scopes) {
      scopes.forEach(s -> this.scopes.add(requireNonNull(s, "scope")));
      return this;
    }

    /**
     * Adds a selected claim (strings, numbers, booleans, lists of those). Lists and maps are copied
     * into unmodifiable ones, so the principal stays immutable after {@link #build()}.
     */
    public Builder claim(String name, Object value) {
      claims.put(requireNonNull(name, "name"), immutableCopy(requireNonNull(value, "value")));
      return this;
    }

    private static Object immutableCopy(Object value) {
      if (value instanceof Collection<?> list) {
        List<Object> copy = new ArrayList<>(list.size());
        for (Object v : list) {
          copy.add(immutableCopy(requireNonNull(v, "claim element")));
        }
        return Collections.unmodifiableList(copy);
      }
      if (value instanceof Map<?, ?> map) {
        Map<Object, Object> copy = new LinkedHashMap<>();
        map.forEach(
            (k, v) ->
                copy.put(
                    requireNonNull(k, "claim key"), immutableCopy(requireNonNull(v, "claim"))));
        return Collections.unmodifiableMap(copy);
      }
      return value;
    }

    /** The expiry. */
    public Builder expiry(Instant expiry) {
      this.expiry = expiry;
      return this;
    }

    /**
     * The end user this caller acts for. Only a source that verified the delegation and whose
     * configuration allows the caller to propagate users sets it; the chain exposes it on service
     * callers only.
     */
    public Builder delegatingUser(DelegatingUser user) {
      this.delegatingUser = requireNonNull(user, "user");
      return this;
    }

    /** Builds the principal. */
    public Principal build() {
      if (subject == null || subject.isEmpty()) {
        throw new IllegalStateException("subject is required");
      }
      return new Principal(this);
    }
  }
}
