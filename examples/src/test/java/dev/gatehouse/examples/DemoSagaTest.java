package dev.gatehouse.examples;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.examples.demo.DemoSaga;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The README's first command, in-process: every row of the saga must match. */
class DemoSagaTest {
  @Test
  void demo_playsSaga_everyDecisionMatches() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean passed;
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      passed = DemoSaga.run(out);
    }
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(passed, text);
    assertTrue(text.contains("demo passed: all 21 decisions matched"), text);
    assertTrue(text.contains("intruder forging worker"), text);
    // The audit lines name subjects and reasons, never token material.
    assertTrue(text.lines().noneMatch(l -> l.matches(".*eyJ[A-Za-z0-9_-]{10,}.*")), text);
  }
}
