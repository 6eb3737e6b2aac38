package dev.gatehouse.trust.jwt;

import static java.util.Objects.requireNonNull;

import com.google.common.net.InetAddresses;
import com.nimbusds.jose.jwk.JWKSet;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.Locale;

/**
 * Where an issuer's public keys (a JWKS document) come from: an {@code https} URL, a file, or an
 * in-memory set.
 *
 * <p>Plain {@code http} URLs are accepted only for literal loopback addresses (127.0.0.0/8, {@code
 * ::1}), e.g. a local sidecar or a test server; the check is made on the URL text, never by
 * resolving a name, so the name {@code localhost} is refused (it could resolve anywhere). Every
 * factory validates its argument and throws {@link IllegalArgumentException} on a bad one, so a
 * misconfiguration fails at startup.
 */
public final class JwksSource {
  enum Kind {
    URL,
    FILE,
    STATIC
  }

  private final Kind kind;
  private final URL url;
  private final Path file;
  private final JWKSet jwkSet;

  private JwksSource(Kind kind, URL url, Path file, JWKSet jwkSet) {
    this.kind = kind;
    this.url = url;
    this.file = file;
    this.jwkSet = jwkSet;
  }

  /**
   * Keys fetched from a JWKS URL.
   *
   * @throws IllegalArgumentException unless the URL is {@code https}, or {@code http} to a literal
   *     loopback address, without user info or fragment
   */
  public static JwksSource uri(String uri) {
    requireNonNull(uri, "uri");
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
            "plain http JWKS URI is only allowed for loopback addresses (use https): "
                + LogSafe.quote(uri));
      }
    } else if (!scheme.equals("https")) {
      throw new IllegalArgumentException("JWKS URI must be https: " + LogSafe.quote(uri));
    }
    try {
      return new JwksSource(Kind.URL, parsed.toURL(), null, null);
    } catch (MalformedURLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("JWKS URI is not a valid URL: " + LogSafe.quote(uri), e);
    }
  }

  /** Keys read from a JWKS file; the file is re-read when it changes (checked on cache refresh). */
  public static JwksSource file(Path file) {
    requireNonNull(file, "file");
    return new JwksSource(Kind.FILE, null, file.toAbsolutePath(), null);
  }

  /** A fixed in-memory key set (tests, or keys obtained elsewhere). Only public parts are kept. */
  public static JwksSource of(JWKSet jwkSet) {
    requireNonNull(jwkSet, "jwkSet");
    return new JwksSource(Kind.STATIC, null, null, jwkSet.toPublicJWKSet());
  }

  /**
   * A fixed in-memory key set parsed from a JWKS JSON document.
   *
   * @throws IllegalArgumentException if the document is not a JWKS
   */
  public static JwksSource json(String jwksJson) {
    requireNonNull(jwksJson, "jwksJson");
    try {
      return of(JWKSet.parse(jwksJson));
    } catch (ParseException e) {
      throw new IllegalArgumentException("not a JWKS document", e);
    }
  }

  /**
   * True only for a literal loopback address: 127.0.0.0/8 or {@code ::1} (brackets allowed). Names,
   * {@code localhost} included, are refused; nothing is ever resolved.
   */
  static boolean isLoopback(String host) {
    String h =
        host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return InetAddresses.isInetAddress(h) && InetAddresses.forString(h).isLoopbackAddress();
  }

  Kind kind() {
    return kind;
  }

  URL url() {
    return url;
  }

  Path path() {
    return file;
  }

  JWKSet jwkSet() {
    return jwkSet;
  }

  @Override
  public String toString() {
    return switch (kind) {
      case URL -> "jwks_uri " + url;
      case FILE -> "jwks_file " + file;
      default -> "jwks (in memory, " + jwkSet.size() + " keys)";
    };
  }
}
