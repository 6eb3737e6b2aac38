package dev.gatehouse.spi;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * What an {@link Authenticator} found on one call. Exactly one of four outcomes:
 *
 * <ul>
 *   <li>{@link #noCredential()}: nothing of its kind; the chain tries the next source.
 *   <li>{@link #authenticated(Principal)}: a verified principal.
 *   <li>{@link #rejected(Reason, String)}: a credential was present and is refused for one of the
 *       reasons {@link Reason#isCredentialRefusal()} allows; the chain stops ({@code
 *       UNAUTHENTICATED}) and never falls through to a weaker source.
 *   <li>{@link #unavailable(String)}: keys cannot be fetched ({@code UNAVAILABLE}).
 * </ul>
 *
 * <p>The {@code detail} texts go to the server log and the audit listener. They may name a subject,
 * issuer, SPIFFE ID or {@code kid}, never a token, secret, key, signature or claim value.
 */
public final class AuthResult {
  /** The four outcomes. */
  public enum Outcome {
    /** Nothing of this authenticator's kind was presented. */
    NO_CREDENTIAL,
    /** A credential was verified. */
    AUTHENTICATED,
    /** A credential was presented and refused. */
    REJECTED,
    /** The credential cannot be verified right now. */
    UNAVAILABLE
  }

  private static final AuthResult NO_CREDENTIAL =
      new AuthResult(Outcome.NO_CREDENTIAL, null, Reason.MISSING_CREDENTIALS, "no credential");

  private final Outcome outcome;
  private final Principal principal;
  private final Reason reason;
  private final String detail;

  private AuthResult(Outcome outcome, Principal principal, Reason reason, String detail) {
    this.outcome = outcome;
    this.principal = principal;
    this.reason = reason;
    this.detail = detail;
  }

  /** Nothing of this authenticator's kind is on the call. */
  public static AuthResult noCredential() {
    return NO_CREDENTIAL;
  }

  /** The call carries a verified credential. */
  public static AuthResult authenticated(Principal principal) {
    return new AuthResult(
        Outcome.AUTHENTICATED, requireNonNull(principal, "principal"), Reason.OK, "");
  }

  /**
   * A credential is present and refused.
   *
   * @param reason why, for the audit listener
   * @param detail a log-safe explanation (no token material)
   */
  public static AuthResult rejected(Reason reason, String detail) {
    requireNonNull(reason, "reason");
    if (!reason.isCredentialRefusal()) {
      throw new IllegalArgumentException("not a credential refusal: " + reason);
    }
    return new AuthResult(Outcome.REJECTED, null, reason, requireNonNull(detail, "detail"));
  }

  /** Keys to verify the credential cannot be fetched right now. */
  public static AuthResult unavailable(String detail) {
    return new AuthResult(
        Outcome.UNAVAILABLE, null, Reason.KEYS_UNAVAILABLE, requireNonNull(detail, "detail"));
  }

  /** The outcome. */
  public Outcome outcome() {
    return outcome;
  }

  /** The principal, present only when {@link #outcome()} is AUTHENTICATED. */
  public Optional<Principal> principal() {
    return Optional.ofNullable(principal);
  }

  /** The reason; {@link Reason#OK} when authenticated. */
  public Reason reason() {
    return reason;
  }

  /** The log-safe detail. */
  public String detail() {
    return detail;
  }

  @Override
  public String toString() {
    return outcome
        + (principal != null ? " " + principal : "")
        + (outcome == Outcome.REJECTED || outcome == Outcome.UNAVAILABLE
            ? " " + reason + ": " + detail
            : "");
  }
}
