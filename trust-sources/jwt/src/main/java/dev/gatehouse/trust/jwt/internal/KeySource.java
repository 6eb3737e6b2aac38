package dev.gatehouse.trust.jwt.internal;

import com.google.common.net.InetAddresses;
import com.nimbusds.jose.jwk.JWKSet;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where one key set (a JWKS document) comes from: a URL, a file, or an in-memory set. Internal: the
 * public {@code dev.gatehouse.trust.jwt.JwksSource} extends it (and validates URLs); the
 * verification core reads it through package-private accessors, so the public package depends on
 * this one and never the other way round.
 */
public abstract class KeySource {
  /** The three kinds of key source. */
  enum Kind {
    URL,
    FILE,
    STATIC,
    LIVE
  }

  private final Kind kind;
  private final URL url;
  private final Path file;
  private final JWKSet jwkSet;
  private final java.util.function.Supplier<JWKSet> live;

  /**
   * A key source; exactly one argument must be non-null. An in-memory set keeps public parts only.
   *
   * @throws IllegalArgumentException unless exactly one argument is non-null
   */
  protected KeySource(URL url, Path file, JWKSet jwkSet) {
    int given = (url == null ? 0 : 1) + (file == null ? 0 : 1) + (jwkSet == null ? 0 : 1);
    if (given != 1) {
      throw new IllegalArgumentException("exactly one of url, file, key set is required");
    }
    this.kind = url != null ? Kind.URL : file != null ? Kind.FILE : Kind.STATIC;
    this.url = url;
    this.file = file == null ? null : file.toAbsolutePath();
    this.jwkSet = jwkSet == null ? null : jwkSet.toPublicJWKSet();
    this.live = null;
  }

  /**
   * A live key source: the current key set is read from {@code live} on every lookup (never
   * fetched, never cached by time), for key sets that another component keeps up to date, such as a
   * SPIFFE trust bundle fed by the Workload API or a bundle endpoint. The supplier must be cheap,
   * thread-safe and return the same set object until the keys change; public parts only are used.
   */
  protected KeySource(java.util.function.Supplier<JWKSet> live) {
    this.kind = Kind.LIVE;
    this.url = null;
    this.file = null;
    this.jwkSet = null;
    this.live = java.util.Objects.requireNonNull(live, "live");
  }

  /**
   * Validates a JWKS URL: {@code https}, or {@code http} to a literal loopback address
   * (127.0.0.0/8, {@code ::1}; names such as {@code localhost} are refused, nothing is resolved),
   * with a host and without user info or fragment.
   *
   * @throws IllegalArgumentException on any other URL; the message quotes it log-safely
   */
  protected static URL jwksUrl(String uri) {
    URI parsed;
    try {
      parsed = new URI(uri);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("JWKS URI is not a valid URI: " + LogSafe.quote(uri), e);
    }
    String scheme = parsed.getScheme() == null ? "" : parsed.getScheme().toLowerCase(Locale.ROOT);
    String host = parsed.getHost();
    if (host == null || host.isEmpty()) {
      throw new IllegalArgumentException("JWKS URI has no host: " + LogSafe.quote(uri));
    }
    if (parsed.getRawUserInfo() != null || parsed.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "JWKS URI must not carry user info or a fragment: " + LogSafe.quote(uri));
    }
    if (scheme.equals("http")) {
      if (!isLoopback(host)) {
        throw new IllegalArgumentException(
            "plain http JWKS URI is only allowed for literal loopback addresses (use https"
                + localhostAdvice(host)
                + "): "
                + LogSafe.quote(uri));
      }
    } else if (!scheme.equals("https")) {
      throw new IllegalArgumentException("JWKS URI must be https: " + LogSafe.quote(uri));
    }
    try {
      return parsed.toURL();
    } catch (MalformedURLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("JWKS URI is not a valid URL: " + LogSafe.quote(uri), e);
    }
  }

  /**
   * For the host name {@code localhost} (any case, with or without a trailing dot), the advice to
   * write the address instead: {@code ", or write 127.0.0.1 instead of localhost"}; otherwise
   * empty. Names are never resolved, so {@code localhost} is refused like any other name.
   */
  public static String localhostAdvice(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    return h.equals("localhost") || h.equals("localhost.")
        ? ", or write 127.0.0.1 instead of localhost (host names are never resolved)"
        : "";
  }

  /**
   * True only for a literal loopback address: 127.0.0.0/8 or {@code ::1} (brackets allowed). Names,
   * {@code localhost} included, are refused; nothing is ever resolved.
   */
  public static boolean isLoopback(String host) {
    String h =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return InetAddresses.isInetAddress(h) && InetAddresses.forString(h).isLoopbackAddress();
  }

  /**
   * Whether {@code other} names the same key location: the same URL (compared as text, never
   * resolved) or the same file. In-memory sets never match (there is nothing to keep).
   */
  final boolean sameLocation(KeySource other) {
    if (other == null || other.kind != kind) {
      return false;
    }
    return switch (kind) {
      case URL -> url.toExternalForm().equals(other.url.toExternalForm());
      case FILE -> file.equals(other.file);
      default -> false;
    };
  }

  final Kind kind() {
    return kind;
  }

  final URL url() {
    return url;
  }

  final Path path() {
    return file;
  }

  final JWKSet jwkSet() {
    return jwkSet;
  }

  final java.util.function.Supplier<JWKSet> live() {
    return live;
  }

  /**
   * The URL as shown in logs, descriptions and health details: scheme, host, port and path, never
   * the query (it may carry an access token). User info is refused by {@link #jwksUrl}.
   */
  final String displayUrl() {
    return url.getProtocol() + "://" + url.getAuthority() + url.getPath();
  }

  /** Names the source (URL without query, or file); never prints key material. */
  @Override
  public final String toString() {
    return switch (kind) {
      case URL -> "jwks_uri " + displayUrl();
      case FILE -> "jwks_file " + file;
      case LIVE -> "live bundle";
      default -> "jwks (in memory, " + jwkSet.size() + " keys)";
    };
  }
}
