package dev.gatehouse.trust.jwt.internal;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Reason;

/**
 * The outcome of {@link JwtVerifier#verify(String)}: a {@link VerifiedJwt}, a refusal with a {@link
 * Reason} and a log-safe detail, or "keys cannot be fetched right now"; from {@link
 * JwtVerifier#verifyBearer} also "no credential at all".
 */
public final class JwtVerification {
  private final VerifiedJwt token;
  private final Reason reason;
  private final String detail;
  private final boolean unavailable;

  private JwtVerification(VerifiedJwt token, Reason reason, String detail, boolean unavailable) {
    this.token = token;
    this.reason = reason;
    this.detail = detail;
    this.unavailable = unavailable;
  }

  static JwtVerification verified(VerifiedJwt token) {
    return new JwtVerification(requireNonNull(token), Reason.OK, "", false);
  }

  static JwtVerification rejected(Reason reason, String detail) {
    return new JwtVerification(null, requireNonNull(reason), requireNonNull(detail), false);
  }

  static JwtVerification absent() {
    return ABSENT;
  }

  private static final JwtVerification ABSENT =
      new JwtVerification(null, Reason.MISSING_CREDENTIALS, "no credential", false);

  static JwtVerification unavailable(String detail) {
    return new JwtVerification(null, Reason.KEYS_UNAVAILABLE, requireNonNull(detail), true);
  }

  /** Whether the token verified. */
  public boolean isVerified() {
    return token != null;
  }

  /** Whether the keys could not be fetched (the token may be fine; retry later). */
  public boolean isUnavailable() {
    return unavailable;
  }

  /**
   * The verified token.
   *
   * @throws IllegalStateException if the token did not verify
   */
  public VerifiedJwt token() {
    if (token == null) {
      throw new IllegalStateException("token did not verify: " + reason);
    }
    return token;
  }

  /** Why the token was refused; {@link Reason#OK} when verified. */
  public Reason reason() {
    return reason;
  }

  /** A log-safe detail (may name issuer, subject, kid; never token or claim values). */
  public String detail() {
    return detail;
  }

  /**
   * The failure as an {@link AuthResult}: {@code noCredential}, {@code rejected} or {@code
   * unavailable}.
   *
   * @throws IllegalStateException if the token verified
   */
  public AuthResult toFailure() {
    if (token != null) {
      throw new IllegalStateException("token verified");
    }
    if (this == ABSENT) {
      return AuthResult.noCredential();
    }
    return unavailable ? AuthResult.unavailable(detail) : AuthResult.rejected(reason, detail);
  }

  @Override
  public String toString() {
    return token != null
        ? "verified " + token
        : (unavailable ? "unavailable" : reason) + ": " + detail;
  }
}
