package dev.gatehouse.config;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for the configuration loader: {@link GatehouseConfig#parse(String, Path,
 * ConfigSections)} with every documented section provider registered ({@link TestSections#ALL}),
 * relative paths resolved against a directory holding a JWKS file and a dev secret that this class
 * writes (the secret is generated, never committed).
 *
 * <p>Contract: a {@link GatehouseConfig} or a {@link ConfigException} with a message; never any
 * other {@link Throwable} (a {@code StackOverflowError} from deep nesting, an {@code
 * OutOfMemoryError} from aliases or a file read included), never a hang.
 */
class GatehouseConfigFuzzTest {
  private static final Path BASE_DIR = baseDir();

  private static Path baseDir() {
    try {
      Path dir = Files.createTempDirectory("gatehouse-config-fuzz");
      Files.writeString(dir.resolve("keys.jwks.json"), "{\"keys\":[]}");
      byte[] secret = new byte[24];
      new SecureRandom().nextBytes(secret);
      Files.writeString(dir.resolve("dev-secret.txt"), HexFormat.of().formatHex(secret) + "\n");
      dir.toFile().deleteOnExit();
      dir.resolve("keys.jwks.json").toFile().deleteOnExit();
      dir.resolve("dev-secret.txt").toFile().deleteOnExit();
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  @FuzzTest(maxDuration = "30s")
  void parsesOrThrowsConfigException(byte[] data) {
    String text = new String(data, StandardCharsets.UTF_8);
    try {
      GatehouseConfig config = GatehouseConfig.parse(text, BASE_DIR, TestSections.ALL);
      assertNotNull(config.serviceName());
    } catch (ConfigException e) {
      assertFalse(String.valueOf(e.getMessage()).isBlank(), "a ConfigException says what is wrong");
    }
  }
}
