package dev.gatehouse.server;

import io.grpc.Status;

/**
 * The only statuses the chain ever sends, with fixed descriptions. The precise reason goes to the
 * audit listener and the server log, never to the client, so there is no oracle.
 */
public final class AuthStatus {
  /** {@code missing credentials}. */
  public static final String MISSING_TEXT = "missing credentials";

  /** {@code invalid credentials}, the same for every reason. */
  public static final String INVALID_TEXT = "invalid credentials";

  /** {@code credentials cannot be verified, retry later}. */
  public static final String UNAVAILABLE_TEXT = "credentials cannot be verified, retry later";

  /** {@code access denied}. */
  public static final String DENIED_TEXT = "access denied";

  /**
   * {@code access denied: a delegating user is required}: an internal method with {@code
   * requires_user} called by a service that names no end user. A user who lacks the required roles
   * gets {@link #DENIED_TEXT}, like any other missing grant.
   */
  public static final String USER_REQUIRED_TEXT = "access denied: a delegating user is required";

  /** {@code internal error}. */
  public static final String INTERNAL_TEXT = "internal error";

  /** No credential where one is needed. */
  public static final Status MISSING_CREDENTIALS =
      Status.UNAUTHENTICATED.withDescription(MISSING_TEXT);

  /** A credential is present but invalid, for any reason. */
  public static final Status INVALID_CREDENTIALS =
      Status.UNAUTHENTICATED.withDescription(INVALID_TEXT);

  /** Keys cannot be fetched. */
  public static final Status KEYS_UNAVAILABLE =
      Status.UNAVAILABLE.withDescription(UNAVAILABLE_TEXT);

  /** Authenticated, not allowed. */
  public static final Status ACCESS_DENIED = Status.PERMISSION_DENIED.withDescription(DENIED_TEXT);

  /** An internal method needs a delegating user and the calling service named none. */
  public static final Status DELEGATING_USER_REQUIRED =
      Status.PERMISSION_DENIED.withDescription(USER_REQUIRED_TEXT);

  /** An unexpected exception in the chain. */
  public static final Status INTERNAL_ERROR = Status.INTERNAL.withDescription(INTERNAL_TEXT);

  private AuthStatus() {}
}
