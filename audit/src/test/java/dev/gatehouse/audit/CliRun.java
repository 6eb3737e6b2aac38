package dev.gatehouse.audit;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** One CLI run captured for assertions. */
record CliRun(int exitCode, String out, String err) {

  static CliRun of(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        AuditCli.run(
            Arrays.asList(args),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new CliRun(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  List<String> outLines() {
    return out.lines().toList();
  }

  List<String> errLines() {
    return err.lines().toList();
  }

  /** The table line of {@code method}, split on runs of two or more spaces. */
  List<String> row(String method) {
    return outLines().stream()
        .filter(l -> l.startsWith(method + " "))
        .map(l -> List.of(l.split(" {2,}")))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no row for " + method + " in\n" + out));
  }
}
