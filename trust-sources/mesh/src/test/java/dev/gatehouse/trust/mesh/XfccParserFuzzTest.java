package dev.gatehouse.trust.mesh;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for the {@code x-forwarded-client-cert} parser. Contract: for any header value the
 * parser returns at least one element or throws {@link XfccParseException} whose message names no
 * content; a {@link RuntimeException} inside the scanner (which the parser turns into a generic
 * "unparseable header" error) is a parser bug and fails the target, as does any other {@link
 * Throwable} or a run longer than the timeout.
 *
 * <p>Regression inputs: {@code
 * src/test/resources/dev/gatehouse/trust/mesh/XfccParserFuzzTestInputs}. See {@code
 * docs/fuzzing.md} for the longer run.
 */
class XfccParserFuzzTest {
  private static final int MAX_LENGTH = MeshIdentityTrustSource.DEFAULT_MAX_HEADER_LENGTH;

  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  @FuzzTest(maxDuration = "30s")
  void parsesOrRefusesWithParseException(byte[] data) {
    // Latin-1 keeps every byte as one char, so control and non-ASCII characters reach the parser.
    String header = new String(data, StandardCharsets.ISO_8859_1);
    List<XfccElement> elements;
    try {
      elements = XfccParser.parse(header, MAX_LENGTH);
    } catch (XfccParseException e) {
      String message = String.valueOf(e.getMessage());
      if (message.startsWith("unparseable header")) {
        fail("the scanner threw a runtime exception: " + message);
      }
      if (header.length() >= 8) {
        assertFalse(message.contains(header), "the message quotes the header");
      }
      return;
    }
    assertFalse(elements.isEmpty(), "a parsed header has at least one element");
    assertTrue(header.length() <= MAX_LENGTH, "a header over the cap was parsed");
  }
}
