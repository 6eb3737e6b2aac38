package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.nimbusds.jose.jwk.source.JWKSetUnavailableException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A JWKS file is read with a bound, whatever size the file system reports. */
class FileJwkSetSourceTest {
  @TempDir Path dir;

  @Test
  void fileWithinTheBound_isParsed() throws Exception {
    Path file = Files.writeString(dir.resolve("keys.jwks.json"), "{\"keys\":[]}");
    assertEquals(0, new FileJwkSetSource(file, 64).getJWKSet(null, 0, null).size());
  }

  @Test
  void fileLongerThanTheBound_isUnavailable() throws Exception {
    Path file = Files.writeString(dir.resolve("keys.jwks.json"), "{\"keys\":[]}" + " ".repeat(64));
    JWKSetUnavailableException e =
        assertThrows(
            JWKSetUnavailableException.class,
            () -> new FileJwkSetSource(file, 64).getJWKSet(null, 0, null));
    assertTrue(e.getMessage().contains("larger than 64 bytes"), e.getMessage());
  }

  @Test
  void endlessFileThatReportsSizeZero_isUnavailableNotReadWhole() {
    Path endless = Path.of("/dev/zero");
    assumeTrue(Files.isReadable(endless), "needs /dev/zero");
    assertThrows(
        JWKSetUnavailableException.class,
        () -> new FileJwkSetSource(endless, 1024).getJWKSet(null, 0, null));
  }
}
