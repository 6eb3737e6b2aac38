package dev.gatehouse.trust.spiffe;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * A SPIFFE ID, {@code spiffe://TRUST-DOMAIN[/PATH]}, parsed strictly to the SPIFFE-ID
 * specification:
 *
 * <ul>
 *   <li>the scheme is exactly {@code spiffe://} (lower case);
 *   <li>the trust domain is 1 to 255 characters of {@code [a-z0-9._-]}: upper case is refused,
 *       never normalised, and so are ports, user info, IP-literal brackets and percent-encoding;
 *   <li>the path is empty or {@code /}-separated segments of {@code [A-Za-z0-9._-]}, none empty,
 *       {@code .} or {@code ..}, with no trailing slash, query or fragment;
 *   <li>the whole ID is at most 2048 bytes (exactly 2048 is accepted).
 * </ul>
 *
 * <p>Because nothing is normalised, two SPIFFE IDs are the same identity exactly when their strings
 * are equal. Immutable; {@link #toString()} returns the ID.
 */
public final class SpiffeId {
  /** {@code spiffe://}. */
  public static final String SCHEME_PREFIX = "spiffe://";

  /** The longest SPIFFE ID accepted, in bytes. */
  public static final int MAX_LENGTH = 2048;

  private final TrustDomain trustDomain;
  private final String path;
  private final String id;

  private SpiffeId(TrustDomain trustDomain, String path) {
    this.trustDomain = trustDomain;
    this.path = path;
    this.id = SCHEME_PREFIX + trustDomain.name() + path;
  }

  /**
   * Parses a SPIFFE ID.
   *
   * @throws IllegalArgumentException if {@code id} is not a valid SPIFFE ID; the message says what
   *     is wrong and never quotes the input
   */
  public static SpiffeId parse(String id) {
    requireNonNull(id, "id");
    Object result = parseOrProblem(id);
    if (result instanceof SpiffeId spiffeId) {
      return spiffeId;
    }
    throw new IllegalArgumentException("invalid SPIFFE ID: " + result);
  }

  /** Parses a SPIFFE ID, or returns empty if {@code id} is null or not a valid SPIFFE ID. */
  public static Optional<SpiffeId> tryParse(String id) {
    if (id == null) {
      return Optional.empty();
    }
    Object result = parseOrProblem(id);
    return result instanceof SpiffeId spiffeId ? Optional.of(spiffeId) : Optional.empty();
  }

  /**
   * Builds a SPIFFE ID from a trust domain and a path ({@code ""} or {@code /seg/seg}).
   *
   * @throws IllegalArgumentException if the path or the resulting ID is invalid
   */
  public static SpiffeId of(TrustDomain trustDomain, String path) {
    requireNonNull(trustDomain, "trustDomain");
    requireNonNull(path, "path");
    String problem = pathProblem(path);
    if (problem != null) {
      throw new IllegalArgumentException("invalid SPIFFE ID: " + problem);
    }
    return parse(SCHEME_PREFIX + trustDomain.name() + path);
  }

  /** Returns the parsed ID, or a String saying what is wrong. */
  private static Object parseOrProblem(String id) {
    // Every valid character is one byte, so a string longer than MAX_LENGTH chars is too long in
    // bytes too; checking first bounds the work done on hostile input.
    if (id.length() > MAX_LENGTH) {
      return "longer than " + MAX_LENGTH + " bytes";
    }
    if (!id.startsWith(SCHEME_PREFIX)) {
      return "scheme is not spiffe:// (lower case)";
    }
    int tdStart = SCHEME_PREFIX.length();
    int slash = id.indexOf('/', tdStart);
    int tdEnd = slash < 0 ? id.length() : slash;
    String td = id.substring(tdStart, tdEnd);
    String tdProblem = TrustDomain.problem(td);
    if (tdProblem != null) {
      return tdProblem;
    }
    String path = id.substring(tdEnd);
    String pathProblem = pathProblem(path);
    if (pathProblem != null) {
      return pathProblem;
    }
    return new SpiffeId(new TrustDomain(td), path);
  }

  /** Null when {@code path} is a valid SPIFFE ID path ({@code ""} or {@code /seg...}). */
  static String pathProblem(String path) {
    if (path.isEmpty()) {
      return null;
    }
    if (path.charAt(0) != '/') {
      return "path does not start with /";
    }
    int segStart = 1;
    for (int i = 1; i <= path.length(); i++) {
      if (i == path.length() || path.charAt(i) == '/') {
        int len = i - segStart;
        if (len == 0) {
          return i == path.length() ? "path has a trailing slash" : "path has an empty segment";
        }
        if ((len == 1 && path.charAt(segStart) == '.')
            || (len == 2 && path.charAt(segStart) == '.' && path.charAt(segStart + 1) == '.')) {
          return "path has a dot segment";
        }
        segStart = i + 1;
      } else if (!isPathChar(path.charAt(i))) {
        return "path has a character outside [A-Za-z0-9._-] at index " + i;
      }
    }
    return null;
  }

  private static boolean isPathChar(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '.'
        || c == '-'
        || c == '_';
  }

  /** The trust domain. */
  public TrustDomain trustDomain() {
    return trustDomain;
  }

  /** The path: {@code ""} for a trust domain's own ID, otherwise {@code /seg/seg...}. */
  public String path() {
    return path;
  }

  /** The path's segments, e.g. {@code [ns, trips, sa, worker]}; empty when there is no path. */
  public List<String> pathSegments() {
    if (path.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String s : path.substring(1).split("/", -1)) {
      out.add(s);
    }
    return Collections.unmodifiableList(out);
  }

  /** Whether this ID belongs to {@code trustDomain}. */
  public boolean memberOf(TrustDomain trustDomain) {
    return this.trustDomain.equals(requireNonNull(trustDomain, "trustDomain"));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SpiffeId other && other.id.equals(id);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  /** The ID, e.g. {@code spiffe://example.org/ns/trips/sa/worker}. */
  @Override
  public String toString() {
    return id;
  }
}
