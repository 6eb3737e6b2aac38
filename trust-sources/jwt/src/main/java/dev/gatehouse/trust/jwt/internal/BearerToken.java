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
    int start = tokenStart(headerValue);
    return start < 0 ? Optional.empty() : Optional.of(headerValue.substring(start));
  }

  /**
   * Where the token of a {@code Bearer} header value starts, under the same rules as {@link
   * #parse}; -1 when {@link #parse} would give nothing. Copies nothing.
   */
  static int tokenStart(String headerValue) {
    int start = schemeEnd(headerValue);
    return start < 0 || !tokenCharsValid(headerValue, start) ? -1 : start;
  }

  /**
   * Where the token would start after the scheme, checking only the scheme ({@code Bearer} in any
   * case, one space) and that something follows it: -1 otherwise. The characters after it are not
   * checked; see {@link #tokenCharsValid}. (A verified-token cache hit skips that scan: a token
   * equal to a cached one has only the characters of a token that passed it.)
   */
  static int schemeEnd(String headerValue) {
    if (headerValue == null || headerValue.length() <= SCHEME.length() + 1) {
      return -1;
    }
    if (!headerValue.regionMatches(true, 0, SCHEME, 0, SCHEME.length())
        || headerValue.charAt(SCHEME.length()) != ' ') {
      return -1;
    }
    return SCHEME.length() + 1;
  }

  /** Whether {@code headerValue} from {@code start} on has no whitespace, control or non-ASCII. */
  static boolean tokenCharsValid(String headerValue, int start) {
    for (int i = start, n = headerValue.length(); i < n; i++) {
      char c = headerValue.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }
}
