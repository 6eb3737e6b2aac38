package dev.gatehouse.trust.jwt.internal;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetUnavailableException;
import com.nimbusds.jose.proc.SecurityContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.util.Arrays;

/** Reads a JWKS file; re-parses only when its bytes changed. */
final class FileJwkSetSource implements JWKSetSource<SecurityContext> {
  private final Path path;
  private final int maxBytes;
  private byte[] lastBytes;
  private JWKSet lastSet;

  FileJwkSetSource(Path path, int maxBytes) {
    this.path = path;
    this.maxBytes = maxBytes;
  }

  @Override
  public synchronized JWKSet getJWKSet(
      JWKSetCacheRefreshEvaluator eval, long now, SecurityContext ctx) throws KeySourceException {
    byte[] bytes;
    // Read with a bound, never by the size the file system reports: a special file such as
    // /dev/zero reports size 0 and never ends.
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8L, maxBytes + 1L));
      if (bytes.length > maxBytes) {
        throw new JWKSetUnavailableException("JWKS file larger than " + maxBytes + " bytes", null);
      }
    } catch (IOException e) {
      throw new JWKSetUnavailableException("cannot read JWKS file " + path, e);
    }
    if (lastSet != null && Arrays.equals(bytes, lastBytes)) {
      return lastSet;
    }
    try {
      lastSet = JWKSet.parse(new String(bytes, StandardCharsets.UTF_8));
      lastBytes = bytes;
      return lastSet;
    } catch (ParseException e) {
      throw new JWKSetUnavailableException("JWKS file " + path + " is not a JWKS document", null);
    }
  }

  @Override
  public void close() {}
}
