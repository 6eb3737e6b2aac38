package dev.gatehouse.trust.jwt.internal;

import com.nimbusds.jose.jwk.JWKSet;
import java.net.URL;
import java.nio.file.Path;

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
    STATIC
  }

  private final Kind kind;
  private final URL url;
  private final Path file;
  private final JWKSet jwkSet;

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

  /** Names the source (URL or file); never prints key material. */
  @Override
  public final String toString() {
    switch (kind) {
      case URL:
        return "jwks_uri " + url;
      case FILE:
        return "jwks_file " + file;
      default:
        return "jwks (in memory, " + jwkSet.size() + " keys)";
    }
  }
}
