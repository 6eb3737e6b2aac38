package dev.gatehouse.testkit;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README shows {@link ReadmeExampleTest} as it is, and it stays under 30 lines. */
class ReadmeInSyncTest {
  private static final String START = "// README-EXAMPLE-START\n";
  private static final String END = "// README-EXAMPLE-END";

  @Test
  void readmeShowsTheExampleTestVerbatim() throws IOException {
    Path module = Path.of(System.getProperty("gatehouse.root", "..")).resolve("testing");
    String source =
        Files.readString(
            module.resolve("src/test/java/dev/gatehouse/testkit/ReadmeExampleTest.java"));
    int from = source.indexOf(START);
    int to = source.indexOf(END);
    assertTrue(from >= 0 && to > from, "markers missing in ReadmeExampleTest");
    String example = source.substring(from + START.length(), to);
    String readme = Files.readString(module.resolve("README.md"));
    assertTrue(readme.contains(example), "README.md does not show ReadmeExampleTest as it is");
    long lines = example.lines().count();
    assertTrue(lines < 30, "the example test has " + lines + " lines");
  }
}
