package dev.gatehouse.spi;

import java.util.Set;

/**
 * Authenticates one call from its headers and transport attributes.
 *
 * <p>Implementations are thread-safe, never block for long (fetch keys ahead of need, keep timeouts
 * short) and never throw for bad input: every bad credential is a {@link AuthResult#rejected}. An
 * exception is a bug and becomes {@code INTERNAL}.
 */
public interface Authenticator extends AutoCloseable {
  /** A short stable name for logs and {@code AuthContext.trustSource()}, e.g. {@code user_jwt}. */
  String name();

  /**
   * The lower-case ASCII header names this authenticator reads. The chain refuses a call that
   * carries more than one value of any of them (never "first wins") before calling {@link
   * #authenticate}.
   */
  Set<String> credentialHeaders();

  /**
   * Header names the chain removes from what the application sees, on every call, whether the
   * credential was accepted or not (for example a forwarded-identity header). Empty by default.
   */
  default Set<String> headersToRemove() {
    return Set.of();
  }

  /**
   * Runs on every checked call (gated and internal), for every configured source, before any source
   * authenticates: a refusal here stops the call even when another source would accept it. For
   * headers that must never arrive from where they came, whichever method is called, e.g. a
   * forwarded identity from a peer that is not a trusted proxy. Must be cheap; the default finds
   * nothing.
   *
   * @return {@link AuthResult#noCredential()} when nothing is wrong, or a {@linkplain
   *     AuthResult#rejected(Reason, String) refusal}
   */
  default AuthResult screen(IncomingCall request) {
    return AuthResult.noCredential();
  }

  /** Authenticates the call. */
  AuthResult authenticate(IncomingCall request);

  /**
   * Whether {@code request} carries a credential of this authenticator's own kind, judged without
   * verifying it: for a user-JWT authenticator, a bearer token whose (unverified) {@code iss} is
   * one of its issuers. Only words the log of a refusal (a user token presented on an internal
   * method is logged as the wrong kind of credential, not as an unknown service issuer); never part
   * of a decision. Must be cheap and never throw. The default recognizes nothing.
   */
  default boolean recognizes(IncomingCall request) {
    return false;
  }

  /**
   * Whether {@link #authenticate} of {@code request} might have to wait right now for something
   * fetched in the background (a key set not cached yet, or an unknown {@code kid} that would
   * trigger a refresh). Answered without fetching and without blocking. When any authenticator the
   * method's mode calls for answers true, the chain does not decide on the calling thread (a
   * transport event loop on a {@code directExecutor()} server): it runs the very same decision on a
   * Gatehouse thread and holds the call meanwhile. When in doubt answer true: deferring is always
   * safe, only slower. Must be cheap (it runs on every checked call, before {@link #authenticate}),
   * must not allocate on a cache hit, and never throw; a throw counts as true. The default never
   * waits.
   */
  default boolean mayWaitForKeys(IncomingCall request) {
    return false;
  }

  /** Releases background resources (refresh threads, HTTP clients). */
  @Override
  default void close() {}
}
