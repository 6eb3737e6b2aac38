package dev.gatehouse.trust.jwt;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.trust.jwt.internal.KeySource;
import java.net.URL;
import java.nio.file.Path;
import java.text.ParseException;

/**
 * Where an issuer's public keys (a JWKS document) come from: an {@code https} URL, a file, or an
 * in-memory set.
 *
 * <p>Plain {@code http} URLs are accepted only for literal loopback addresses (127.0.0.0/8, {@code
 * ::1}), e.g. a local sidecar or a test server; the check is made on the URL text, never by
 * resolving a name, so the name {@code localhost} is refused (it could resolve anywhere). Every
 * factory validates its argument and throws {@link IllegalArgumentException} on a bad one, so a
 * misconfiguration fails at startup.
 *
 * <p>Its superclass {@code dev.gatehouse.trust.jwt.internal.KeySource} is not API: it only lets the
 * verification core read the source without depending on this package. It adds no public method.
 */
public final class JwksSource extends KeySource {
  private JwksSource(URL url, Path file, JWKSet jwkSet) {
    super(url, file, jwkSet);
  }

  private JwksSource(java.util.function.Supplier<JWKSet> live) {
    super(live);
  }

  /**
   * Keys fetched from a JWKS URL.
   *
   * @throws IllegalArgumentException unless the URL is {@code https}, or {@code http} to a literal
   *     loopback address, without user info or fragment
   */
  public static JwksSource uri(String uri) {
    return new JwksSource(jwksUrl(requireNonNull(uri, "uri")), null, null);
  }

  /** Keys read from a JWKS file; the file is re-read when it changes (checked on cache refresh). */
  public static JwksSource file(Path file) {
    requireNonNull(file, "file");
    return new JwksSource(null, file.toAbsolutePath(), null);
  }

  /** A fixed in-memory key set (tests, or keys obtained elsewhere). Only public parts are kept. */
  public static JwksSource of(JWKSet jwkSet) {
    requireNonNull(jwkSet, "jwkSet");
    return new JwksSource(null, null, jwkSet.toPublicJWKSet());
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
   * Keys that another component keeps up to date (a SPIFFE bundle fed by the Workload API or a
   * bundle endpoint): {@code current} is read on every lookup, never fetched and never cached by
   * time. It must be cheap and thread-safe, and return the very same set object until the keys
   * change (the filtered set is kept per object). Only public parts are used.
   */
  public static JwksSource live(java.util.function.Supplier<JWKSet> current) {
    return new JwksSource(requireNonNull(current, "current"));
  }
}
