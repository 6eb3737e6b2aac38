package dev.gatehouse.client;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * A token an issuer handed out and when it expires; what a {@link TokenFetcher} returns. Its {@link
 * #toString()} never shows the token.
 */
public final class IssuedToken {
  private final String token;
  private final Instant expiresAt;

  private IssuedToken(String token, Instant expiresAt) {
    this.token = token;
    this.expiresAt = expiresAt;
  }

  /**
   * A token and its expiry ({@code exp}).
   *
   * @throws IllegalArgumentException when the token is blank or contains characters a header value
   *     cannot carry
   */
  public static IssuedToken of(String token, Instant expiresAt) {
    requireNonNull(token, "token");
    requireNonNull(expiresAt, "expiresAt");
    if (token.isBlank() || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException("token must be non-empty printable ASCII without spaces");
    }
    return new IssuedToken(token, expiresAt);
  }

  /** The token, sent as {@code Bearer <token>}. */
  public String token() {
    return token;
  }

  /** When the token expires. */
  public Instant expiresAt() {
    return expiresAt;
  }

  @Override
  public String toString() {
    return "IssuedToken[expiresAt=" + expiresAt + "]";
  }
}
