package dev.gatehouse.client;

import io.grpc.Status;

/**
 * The only statuses the client side fails a call with, with fixed descriptions. They never carry a
 * token, key or claim value; the service name in {@link #noAudience(String)} comes from the method
 * descriptor, not from a credential.
 */
public final class ClientStatus {
  /**
   * {@code refusing to send a service token over an insecure channel: use TLS on the channel, or
   * allowPlaintextToLocalSidecar() for a plaintext hop to a local sidecar that encrypts}: the
   * refusal and its two fixes.
   */
  public static final String INSECURE_CHANNEL_TEXT =
      "refusing to send a service token over an insecure channel: use TLS on the channel, or"
          + " allowPlaintextToLocalSidecar() for a plaintext hop to a local sidecar that encrypts";

  /** Prefix of the {@code FAILED_PRECONDITION} text; the full service name follows. */
  public static final String NO_AUDIENCE_TEXT_PREFIX =
      "no service-token audience configured for service ";

  /** {@code service token cannot be minted, retry later}. */
  public static final String TOKEN_UNAVAILABLE_TEXT = "service token cannot be minted, retry later";

  /** The connection is below {@code PRIVACY_AND_INTEGRITY} and plaintext was not allowed. */
  public static final Status INSECURE_CHANNEL =
      Status.UNAUTHENTICATED.withDescription(INSECURE_CHANNEL_TEXT);

  /** Signing failed and no still-valid token is cached; the call may be retried. */
  public static final Status TOKEN_UNAVAILABLE =
      Status.UNAVAILABLE.withDescription(TOKEN_UNAVAILABLE_TEXT);

  /** {@code service token cannot be fetched from the issuer, retry later}. */
  public static final String ISSUER_UNAVAILABLE_TEXT =
      "service token cannot be fetched from the issuer, retry later";

  /**
   * Tokens are fetched from an issuer ({@code fetchFrom}), the issuer failed and no still-valid
   * token is cached; the call may be retried.
   */
  public static final Status ISSUER_UNAVAILABLE =
      Status.UNAVAILABLE.withDescription(ISSUER_UNAVAILABLE_TEXT);

  private ClientStatus() {}

  /**
   * The call's service has no audience mapping: {@code FAILED_PRECONDITION} with {@link
   * #NO_AUDIENCE_TEXT_PREFIX} followed by the full service name. A configuration mistake on the
   * calling side; no token is sent.
   */
  public static Status noAudience(String fullServiceName) {
    return Status.FAILED_PRECONDITION.withDescription(
        NO_AUDIENCE_TEXT_PREFIX + String.valueOf(fullServiceName));
  }

  /**
   * {@code refusing to send a JWT-SVID over an insecure channel: use TLS on the channel, or
   * allowPlaintextToLocalSidecar() for a plaintext hop to a local sidecar that encrypts}: the
   * refusal of {@link JwtSvidCallCredentials} and its two fixes.
   */
  public static final String SVID_INSECURE_CHANNEL_TEXT =
      "refusing to send a JWT-SVID over an insecure channel: use TLS on the channel, or"
          + " allowPlaintextToLocalSidecar() for a plaintext hop to a local sidecar that encrypts";

  /** {@code no valid JWT-SVID is available, retry later}. */
  public static final String SVID_UNAVAILABLE_TEXT = "no valid JWT-SVID is available, retry later";

  /** Prefix of the {@code FAILED_PRECONDITION} text of a JWT-SVID call without an audience. */
  public static final String NO_SVID_AUDIENCE_TEXT_PREFIX =
      "no JWT-SVID audience configured for service ";

  /** A JWT-SVID call whose connection is below {@code PRIVACY_AND_INTEGRITY}, plaintext refused. */
  public static final Status SVID_INSECURE_CHANNEL =
      Status.UNAUTHENTICATED.withDescription(SVID_INSECURE_CHANNEL_TEXT);

  /** No unexpired JWT-SVID could be obtained for the call's audience; the call may be retried. */
  public static final Status SVID_UNAVAILABLE =
      Status.UNAVAILABLE.withDescription(SVID_UNAVAILABLE_TEXT);

  /**
   * A JWT-SVID call to a service without an audience mapping: {@code FAILED_PRECONDITION} with
   * {@link #NO_SVID_AUDIENCE_TEXT_PREFIX} followed by the full service name.
   */
  public static Status noSvidAudience(String fullServiceName) {
    return Status.FAILED_PRECONDITION.withDescription(
        NO_SVID_AUDIENCE_TEXT_PREFIX + String.valueOf(fullServiceName));
  }
}
