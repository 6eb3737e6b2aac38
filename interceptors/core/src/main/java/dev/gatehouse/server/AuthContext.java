package dev.gatehouse.server;

import static java.util.Objects.requireNonNull;

import io.grpc.Context;
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
 * The authenticated caller of the current call, as the chain attached it.
 *
 * <p>Handlers read it with {@link #current()} or {@link #require()}; it is visible in every
 * listener callback of unary and streaming calls and never leaks between calls. The context key is
 * private, so application code cannot attach a forged one. Immutable; {@link #toString()} never
 * shows token material or claim values.
 */
public final class AuthContext {
  private static final Context.Key<AuthContext> KEY = Context.key("gatehouse-auth-context");

  private final String subject;
  private final PrincipalKind kind;
  private final String trustSource;
  private final String issuer;
  private final Set<String> roles;
  private final Set<String> scopes;
  private final Map<String, Object> claims;
  private final Instant expiry;

  private AuthContext(Builder b) {
    this.subject = b.subject;
    this.kind = b.kind;
    this.trustSource = b.trustSource;
    this.issuer = b.issuer;
    // Copies, so a builder reused afterwards cannot change this context; empties are shared.
    this.roles =
        b.roles.isEmpty() ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(b.roles));
    this.scopes =
        b.scopes.isEmpty() ? Set.of() : Collections.unmodifiableSet(new LinkedHashSet<>(b.scopes));
    this.claims =
        b.claims.isEmpty() ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(b.claims));
    this.expiry = b.expiry;
  }

  /** The caller of the current call, if the chain authenticated one. */
  public static Optional<AuthContext> current() {
    return Optional.ofNullable(KEY.get());
  }

  /**
   * The caller of the current call.
   *
   * @throws IllegalStateException on a public method, in dry-run for a refused credential, or
   *     outside a call protected by Gatehouse
   */
  public static AuthContext require() {
    AuthContext ctx = KEY.get();
    if (ctx == null) {
      throw new IllegalStateException("no authenticated caller on this call");
    }
    return ctx;
  }

  /** Returns {@code base} with this context attached; for the chain only. */
  Context attachTo(Context base) {
    return base.withValue(KEY, this);
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The subject: the user id, the service's issuer/subject, or its SPIFFE ID. */
  public String subject() {
    return subject;
  }

  /** USER or SERVICE. */
  public PrincipalKind kind() {
    return kind;
  }

  /** The name of the authenticator or trust source that vouched for the caller. */
  public String trustSource() {
    return trustSource;
  }

  /** The token issuer, when the credential had one. */
  public Optional<String> issuer() {
    return Optional.ofNullable(issuer);
  }

  /** The caller's roles. */
  public Set<String> roles() {
    return roles;
  }

  /** The caller's scopes. */
  public Set<String> scopes() {
    return scopes;
  }

  /** Whether the caller holds a role. */
  public boolean hasRole(String role) {
    return roles.contains(role);
  }

  /** Whether the caller holds a scope. */
  public boolean hasScope(String scope) {
    return scopes.contains(scope);
  }

  /** Selected claims of the credential (strings, numbers, booleans, lists of those). */
  public Map<String, Object> claims() {
    return claims;
  }

  /** When the credential expires, if it does. */
  public Optional<Instant> expiry() {
    return Optional.ofNullable(expiry);
  }

  @Override
  public String toString() {
    return "AuthContext{subject="
        + subject
        + ", kind="
        + kind
        + ", trustSource="
        + trustSource
        + (issuer != null ? ", issuer=" + issuer : "")
        + ", roles="
        + roles
        + ", scopes="
        + scopes
        + ", claims="
        + claims.keySet()
        + (expiry != null ? ", expiry=" + expiry : "")
        + "}";
  }

  /** Builds an {@link AuthContext}; subject, kind and trust source are required. */
  public static final class Builder {
    private String subject;
    private PrincipalKind kind;
    private String trustSource;
    private String issuer;
    private final Set<String> roles = new LinkedHashSet<>();
    private final Set<String> scopes = new LinkedHashSet<>();
    private final Map<String, Object> claims = new LinkedHashMap<>();
    private Instant expiry;

    private Builder() {}

    /** The subject. */
    public Builder subject(String subject) {
      this.subject = requireNonNull(subject, "subject");
      return this;
    }

    /** USER or SERVICE. */
    public Builder kind(PrincipalKind kind) {
      this.kind = requireNonNull(kind, "kind");
      return this;
    }

    /** The authenticator's name. */
    public Builder trustSource(String trustSource) {
      this.trustSource = requireNonNull(trustSource, "trustSource");
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
     * into unmodifiable ones, so the context stays immutable after {@link #build()}.
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

    /** Builds the context. */
    public AuthContext build() {
      if (subject == null || subject.isEmpty()) {
        throw new IllegalStateException("subject is required");
      }
      if (kind == null) {
        throw new IllegalStateException("kind is required");
      }
      if (trustSource == null || trustSource.isEmpty()) {
        throw new IllegalStateException("trustSource is required");
      }
      return new AuthContext(this);
    }
  }
}
