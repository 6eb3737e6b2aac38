package dev.gatehouse.server;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.Principal;
import io.grpc.Context;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The authenticated caller of the current call, as the chain attached it: the {@link Principal} a
 * source verified, stamped by the chain with its {@link PrincipalKind} and the name of the source
 * that vouched for it.
 *
 * <p>Handlers read it with {@link #current()} or {@link #require()}; it is visible in every
 * listener callback of unary and streaming calls and never leaks between calls. On a call, only the
 * chain attaches one, under a private context key: the chain attaches its own to every call it
 * authenticates and removes any other from every call it lets through, so a context made with the
 * test hook {@link #attachForTesting} never reaches a handler behind Gatehouse. Immutable; {@link
 * #toString()} never shows token material or claim values.
 */
public final class AuthContext {
  private static final Context.Key<AuthContext> KEY = Context.key("gatehouse-auth-context");

  private final Principal principal;
  private final PrincipalKind kind;
  private final String trustSource;

  private AuthContext(Principal principal, PrincipalKind kind, String trustSource) {
    this.principal = principal;
    this.kind = kind;
    this.trustSource = trustSource;
  }

  /** The chain's stamp: what {@code source}, a slot of {@code kind}, verified. */
  static AuthContext stamp(Principal principal, PrincipalKind kind, String source) {
    requireNonNull(principal, "principal");
    requireNonNull(kind, "kind");
    if (source == null || source.isEmpty()) {
      throw new IllegalArgumentException("source is required");
    }
    return new AuthContext(principal, kind, source);
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

  /** Returns {@code base} without any context; for the chain only. */
  static Context detachFrom(Context base) {
    return KEY.get(base) == null ? base : base.withValue(KEY, null);
  }

  /**
   * <b>For unit tests of handlers only</b> (the {@code gatehouse-testing} kit wraps it): returns
   * {@code base} with an AuthContext for {@code principal} attached, as if the authenticator named
   * {@code trustSource} had authenticated a caller of {@code kind}, so that a handler called
   * directly inside {@code context.run(...)} sees it through {@link #current()}.
   *
   * <p>It is never reachable from a network call: it takes no input from a request, and the chain
   * removes a context attached this way from every call it lets through (it attaches its own to
   * authenticated calls and none to the others), so an interceptor or a thread context that calls
   * this cannot make a caller appear behind Gatehouse. Production code has no reason to call it.
   *
   * @throws IllegalArgumentException if {@code trustSource} is empty
   */
  public static Context attachForTesting(
      Context base, Principal principal, PrincipalKind kind, String trustSource) {
    requireNonNull(base, "base");
    return stamp(principal, kind, trustSource).attachTo(base);
  }

  /** What the source verified. */
  public Principal principal() {
    return principal;
  }

  /** The subject: the user id, the service's issuer/subject, or its SPIFFE ID. */
  public String subject() {
    return principal.subject();
  }

  /** USER or SERVICE, stamped by the chain from the slot that authenticated the call. */
  public PrincipalKind kind() {
    return kind;
  }

  /** The name of the authenticator or trust source that vouched for the caller. */
  public String trustSource() {
    return trustSource;
  }

  /** The token issuer, when the credential had one. */
  public Optional<String> issuer() {
    return principal.issuer();
  }

  /** The caller's roles. */
  public Set<String> roles() {
    return principal.roles();
  }

  /** The caller's scopes. */
  public Set<String> scopes() {
    return principal.scopes();
  }

  /** Whether the caller holds a role. */
  public boolean hasRole(String role) {
    return principal.roles().contains(role);
  }

  /** Whether the caller holds a scope. */
  public boolean hasScope(String scope) {
    return principal.scopes().contains(scope);
  }

  /** Selected claims of the credential (strings, numbers, booleans, lists of those). */
  public Map<String, Object> claims() {
    return principal.claims();
  }

  /** When the credential expires, if it does. */
  public Optional<Instant> expiry() {
    return principal.expiry();
  }

  /**
   * The end user on whose behalf the calling <em>service</em> makes this call (on-behalf-of), when
   * its trust source verified one and the server's configuration allows that caller to propagate
   * users; empty on user callers and on every other call.
   *
   * <p>It is not the caller: {@link #subject()}, {@link #roles()} and the method's {@code requires}
   * stay on the calling service. A method that needs the user writes {@code requires_user}; a
   * handler may read the user here for its own decisions or for auditing.
   */
  public Optional<dev.gatehouse.spi.DelegatingUser> delegatingUser() {
    return kind == PrincipalKind.SERVICE ? principal.delegatingUser() : Optional.empty();
  }

  /** Names subject, kind, source, issuer and grants; claim names only, never claim values. */
  @Override
  public String toString() {
    return "AuthContext{subject="
        + principal.subject()
        + ", kind="
        + kind
        + ", trustSource="
        + trustSource
        + principal.issuer().map(i -> ", issuer=" + i).orElse("")
        + ", roles="
        + principal.roles()
        + ", scopes="
        + principal.scopes()
        + ", claims="
        + principal.claims().keySet()
        + principal.expiry().map(e -> ", expiry=" + e).orElse("")
        + delegatingUser().map(u -> ", onBehalfOf=" + u.subject()).orElse("")
        + "}";
  }
}
