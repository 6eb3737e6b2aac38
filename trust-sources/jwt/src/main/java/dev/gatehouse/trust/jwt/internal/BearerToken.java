package dev.gatehouse.trust.jwt.internal;

import java.util.Optional;

/**
 * Parses an {@code authorization} header value of the form {@code Bearer <token>}: scheme matched
 * case-insensitively, exactly one space, a non-empty token without whitespace.
 */
final class BearerToken {
  private static final String SCHEME = "bearer";

  private BearerToken() {}

  /**
   * The token of a {@code Bearer} header value; empty for any other scheme, a missing or empty
   * token, extra spaces, or whitespace or control characters in the token.
   */
  static Optional<String> parse(String headerValue) {
    if (headerValue == null || headerValue.length() <= SCHEME.length() + 1) {
      return Optional.empty();
    }
    if (!headerValue.regionMatches(true, 0, SCHEME, 0, SCHEME.length())
        || headerValue.charAt(SCHEME.length()) != ' ') {
      return Optional.empty();
    }
    String token = headerValue.substring(SCHEME.length() + 1);
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        return Optional.empty();
      }
    }
    return Optional.of(token);
  }
}
