package dev.gatehouse.examples.issuer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The registration demo, in-process: every decision must match, and no token is printed. */
class RegistrationDemoTest {
  @Test
  void demo_playsRegistrationStory_everyDecisionMatches() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    boolean passed;
    try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      passed = RegistrationDemo.run(out);
    }
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(passed, text);
    assertTrue(text.contains("registration demo passed: all 7 decisions matched"), text);
    assertTrue(text.contains("reason=CLUSTER_MISMATCH"), text);
    assertTrue(text.contains("reason=SUBJECT_MISMATCH"), text);
    assertTrue(text.lines().noneMatch(l -> l.matches(".*eyJ[A-Za-z0-9_-]{10,}.*")), text);
  }
}
