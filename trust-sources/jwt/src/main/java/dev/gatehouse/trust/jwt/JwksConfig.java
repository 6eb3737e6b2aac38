package dev.gatehouse.trust.jwt;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import dev.gatehouse.trust.jwt.internal.KeySource;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where an issuer's or trust domain's keys come from in the configuration file: exactly one of
 * {@code jwks_uri} or {@code jwks_file}. Immutable; read with {@link #read(ConfigNode)}, turned
 * into a {@link JwksSource} with {@link #toSource()}.
 *
 * @param jwksUri an {@code https} URL (or {@code http} on a literal loopback address)
 * @param jwksFile a readable JWKS file
 */
public record JwksConfig(Optional<URI> jwksUri, Optional<Path> jwksFile) {
  /** Validates. */
  public JwksConfig {
    if (jwksUri.isPresent() == jwksFile.isPresent()) {
      throw new IllegalArgumentException("exactly one of jwks_uri and jwks_file");
    }
  }

  /**
   * Reads {@code jwks_uri} or {@code jwks_file} of {@code o}. Plain {@code http} is accepted for
   * literal loopback addresses only, by the same rule as {@link JwksSource#uri(String)}; nothing is
   * resolved.
   *
   * @throws ConfigException naming the field
   */
  public static JwksConfig read(ConfigNode o) {
    boolean hasUri = o.has("jwks_uri");
    boolean hasFile = o.has("jwks_file");
    if (hasUri == hasFile) {
      if (!hasUri) {
        String both = "exactly one of jwks_uri and jwks_file";
        ConfigException typo = o.missing("jwks_file", both);
        throw typo.field().equals(o.path("jwks_file")) ? o.missing("jwks_uri", both) : typo;
      }
      throw new ConfigException(o.path("jwks_uri"), "exactly one of jwks_uri and jwks_file");
    }
    if (hasFile) {
      return new JwksConfig(Optional.empty(), Optional.of(o.readableFile("jwks_file")));
    }
    String raw = o.requiredString("jwks_uri");
    URI uri;
    try {
      uri = new URI(raw);
    } catch (URISyntaxException e) {
      throw new ConfigException(o.path("jwks_uri"), "not a URI");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme();
    if (uri.getHost() == null || uri.getUserInfo() != null || uri.getFragment() != null) {
      throw new ConfigException(o.path("jwks_uri"), "must be an absolute http(s) URL with a host");
    }
    if (scheme.equals("http")) {
      if (!JwksSource.isLoopback(uri.getHost())) {
        throw new ConfigException(
            o.path("jwks_uri"),
            "plain http is accepted for literal loopback addresses only (use https"
                + KeySource.localhostAdvice(uri.getHost())
                + ")");
      }
    } else if (!scheme.equals("https")) {
      throw new ConfigException(o.path("jwks_uri"), "must be https (or http on loopback)");
    }
    try {
      // The source's own check has the last word.
      JwksSource.uri(raw);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(o.path("jwks_uri"), "not a valid URL");
    }
    return new JwksConfig(Optional.of(uri), Optional.empty());
  }

  /** The key source this describes. */
  public JwksSource toSource() {
    return jwksUri.isPresent()
        ? JwksSource.uri(jwksUri.get().toString())
        : JwksSource.file(jwksFile.orElseThrow());
  }
}
