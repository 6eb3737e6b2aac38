package dev.gatehouse.trust.insecure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing of {@code internal.shared_secret} by its provider. */
class InsecureSharedSecretSectionTest {
  @TempDir Path dir;

  private static final ConfigSections SECTIONS =
      ConfigSections.of(InsecureSharedSecretSection.provider());

  private static final String FULL =
      """
      service_name: trips
      dev_mode: true
      internal:
        shared_secret:
          header: x-internal-secret
          secret_file: dev-secret.txt
          roles: [r]
      """;

  @BeforeEach
  void files() throws Exception {
    Files.writeString(dir.resolve("dev-secret.txt"), "0123456789abcdef0123456789abcdef\n");
  }

  private GatehouseConfig parse(String yaml) {
    return GatehouseConfig.parse(yaml, dir, SECTIONS);
  }

  private ConfigException fails(String yaml) {
    return assertThrows(ConfigException.class, () -> parse(yaml));
  }

  @Test
  void parse_designExample_allFieldsRead() {
    InsecureSharedSecretSection s =
        parse(FULL).section(InsecureSharedSecretSection.provider()).orElseThrow();
    assertEquals("x-internal-secret", s.header());
    assertEquals(dir.resolve("dev-secret.txt"), s.secretFile());
    assertEquals(List.of("r"), s.roles());
  }

  @Test
  void parse_sharedSecretWithoutDevMode_refused() {
    ConfigException e =
        fails("service_name: a\ninternal:\n  shared_secret:\n    secret_file: dev-secret.txt\n");
    assertEquals("internal.shared_secret", e.field());
  }

  @Test
  void parse_shortSecret_refusedWithoutQuotingIt() throws Exception {
    Files.writeString(dir.resolve("short.txt"), "tooshort-but-31-bytes-long-abcd\n\n");
    ConfigException e =
        fails(
            """
            service_name: a
            dev_mode: true
            internal:
              shared_secret:
                secret_file: short.txt
            """);
    assertEquals("internal.shared_secret.secret_file", e.field());
    assertFalse(e.getMessage().contains("tooshort"));
  }

  @Test
  void parse_unreadableSecretFile_refused() {
    assertEquals(
        "internal.shared_secret.secret_file",
        fails(
                """
                service_name: a
                dev_mode: true
                internal:
                  shared_secret:
                    secret_file: missing.txt
                """)
            .field());
  }

  @Test
  void load_file_resolvesRelativePaths() throws Exception {
    Path f = dir.resolve("gatehouse.yaml");
    Files.write(f, FULL.getBytes(StandardCharsets.UTF_8));
    GatehouseConfig c = GatehouseConfig.load(f, SECTIONS);
    assertEquals(
        dir.resolve("dev-secret.txt"),
        c.section(InsecureSharedSecretSection.provider()).orElseThrow().secretFile());
  }

  @Test
  void parse_secretFileLongerThanTheBound_refusedNamingSecretFile() throws Exception {
    Files.writeString(dir.resolve("dev-secret.txt"), "0123456789abcdef".repeat(257));
    ConfigException e = fails(FULL);
    assertEquals("internal.shared_secret.secret_file", e.field());
    assertTrue(e.getMessage().contains("larger than 4096 bytes"), e.getMessage());
  }

  @Test
  void parse_secretFileThatNeverEnds_refusedWithoutReadingItWhole() {
    Path endless = Path.of("/dev/zero");
    assumeTrue(Files.isReadable(endless), "needs /dev/zero");
    ConfigException e = fails(FULL.replace("dev-secret.txt", endless.toString()));
    assertEquals("internal.shared_secret.secret_file", e.field());
  }
}
