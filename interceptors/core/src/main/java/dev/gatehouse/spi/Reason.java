package dev.gatehouse.spi;

/**
 * Why a call was allowed or refused. Goes to the audit listener and the server log, never to the
 * client, which only sees the fixed texts of {@code AuthStatus}.
 *
 * <p>Two groups share this type so that one audit event names one reason. A source refusing a
 * credential gives one of the reasons for which {@link #isCredentialRefusal()} is true (via {@link
 * AuthResult#rejected(Reason, String)}); the others are the chain's own: the call was allowed, keys
 * are unavailable ({@link AuthResult#unavailable(String)}), no credential or one of the wrong kind,
 * and the policy decisions after authentication.
 */
public enum Reason {
  /** The call was allowed. */
  OK,
  /** No credential where one is needed. */
  MISSING_CREDENTIALS,
  /** A credential header carried more than one value. */
  DUPLICATE_CREDENTIALS,
  /** The credential could not be parsed (framing, encoding, size). */
  MALFORMED_CREDENTIALS,
  /** A credential of the wrong kind: a user JWT on an internal method, or the reverse. */
  WRONG_CREDENTIAL_KIND,
  /** A header or algorithm the policy does not allow. */
  DISALLOWED_HEADER,
  /** The algorithm is not allowed for the issuer or does not match the key. */
  ALGORITHM_NOT_ALLOWED,
  /** The issuer is not configured. */
  UNKNOWN_ISSUER,
  /** No key of the issuer matches. */
  UNKNOWN_KEY,
  /** The signature does not verify. */
  BAD_SIGNATURE,
  /** The credential has expired. */
  EXPIRED,
  /** The credential is not valid yet ({@code nbf}) or was issued in the future ({@code iat}). */
  NOT_YET_VALID,
  /** A required claim is missing or has the wrong type. */
  INVALID_CLAIMS,
  /** The audience does not contain this service. */
  AUDIENCE_MISMATCH,
  /** The subject is not the one the policy expects. */
  SUBJECT_MISMATCH,
  /** The credential lives longer than the configured maximum. */
  LIFETIME_TOO_LONG,
  /** The token's cluster binding does not match. */
  CLUSTER_MISMATCH,
  /** A token identifier was seen before. */
  REPLAYED,
  /** A forwarded identity came from a peer that is not a trusted proxy. */
  UNTRUSTED_PROXY,
  /** The identity is valid but not on the allow-list. */
  IDENTITY_NOT_ALLOWED,
  /** A certificate is not an acceptable SVID. */
  INVALID_CERTIFICATE,
  /** A proof-of-possession binding does not match the peer. */
  BINDING_MISMATCH,
  /** A shared secret does not match. */
  SECRET_MISMATCH,
  /** A token names a delegating user, but its issuer is not allowed to propagate users. */
  DELEGATION_NOT_ALLOWED,
  /** A delegation chain is deeper than the issuer's configured maximum. */
  DELEGATION_TOO_DEEP,
  /** Keys could not be fetched. */
  KEYS_UNAVAILABLE,
  /** Authenticated, but the method's policy denies everyone. */
  POLICY_DENY,
  /** Authenticated, but roles or scopes are missing. */
  INSUFFICIENT_GRANTS,
  /** An internal method with {@code requires_user} was called without a delegating user. */
  DELEGATING_USER_REQUIRED,
  /** The method was not resolved at startup. */
  UNRESOLVED_METHOD,
  /** An unexpected exception in the chain. */
  INTERNAL_ERROR;

  /**
   * Whether a source may give this reason when it refuses a credential it found. False for the
   * chain's own reasons: {@link #OK}, {@link #MISSING_CREDENTIALS}, {@link #WRONG_CREDENTIAL_KIND},
   * {@link #KEYS_UNAVAILABLE}, {@link #POLICY_DENY}, {@link #INSUFFICIENT_GRANTS}, {@link
   * #DELEGATING_USER_REQUIRED}, {@link #UNRESOLVED_METHOD} and {@link #INTERNAL_ERROR}.
   */
  public boolean isCredentialRefusal() {
    return switch (this) {
      case OK,
          MISSING_CREDENTIALS,
          WRONG_CREDENTIAL_KIND,
          KEYS_UNAVAILABLE,
          POLICY_DENY,
          INSUFFICIENT_GRANTS,
          DELEGATING_USER_REQUIRED,
          UNRESOLVED_METHOD,
          INTERNAL_ERROR ->
          false;
      default -> true;
    };
  }
}
