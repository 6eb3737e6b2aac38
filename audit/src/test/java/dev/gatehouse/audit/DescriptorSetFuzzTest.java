package dev.gatehouse.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for the audit CLI's descriptor-set reader, driven through {@link AuditCli#run} with
 * {@code --check --format json} over a file holding the input. Contract: exit 0 or 1 with a report,
 * or exit 2 with exactly one diagnostic line; never an uncaught {@link Throwable}, never an
 * "internal error" (a runtime exception the reader did not turn into a diagnostic), never a hang.
 */
class DescriptorSetFuzzTest {
  private static final Path INPUT = tempFile();

  private static Path tempFile() {
    try {
      Path p = Files.createTempFile("gatehouse-audit-fuzz", ".pb");
      p.toFile().deleteOnExit();
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  @FuzzTest(maxDuration = "30s")
  void exitsZeroOneOrTwoWithOneLine(byte[] data) throws IOException {
    Files.write(INPUT, data);
    CliRun run = CliRun.of("--check", "--format", "json", INPUT.toString());
    assertTrue(
        List.of(AuditCli.OK, AuditCli.CHECK_FAILED, AuditCli.USAGE).contains(run.exitCode()),
        "exit code " + run.exitCode());
    if (run.exitCode() == AuditCli.USAGE) {
      assertEquals(1, run.errLines().size(), "exit 2 prints one line: " + run.err());
      assertFalse(run.err().contains("internal error"), "uncaught runtime exception: " + run.err());
      assertTrue(run.out().isEmpty(), "no report on exit 2");
    } else {
      assertTrue(run.out().startsWith("{") || run.out().startsWith("["), "a JSON report");
    }
  }
}
