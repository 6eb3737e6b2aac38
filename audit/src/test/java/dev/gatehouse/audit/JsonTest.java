package dev.gatehouse.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {

  @Test
  void write_thenParse_roundTripsEveryValueKind() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("list", List.of("a", "b\"c", "\\", "\n\t\u0001\u2028é"));
    inner.put("empty", List.of());
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("s", "x");
    root.put("n", null);
    root.put("t", true);
    root.put("i", 42L);
    root.put("o", inner);
    root.put("objects", List.of(Map.of("k", "v")));
    root.put("none", Map.of());

    String text = Json.write(root);

    assertEquals(root, Json.parse(text));
    assertTrue(text.contains("\\u0001"), text);
    assertTrue(text.contains("\\u2028"), text);
  }

  @Test
  void parse_numbersAndEscapes_decoded() {
    assertEquals(
        List.of(-1L, 2.5, 1e3, "\u00e9/\b\f\r"),
        Json.parse("[-1, 2.5, 1e3, \"\\u00e9\\/\\b\\f\\r\"]"));
  }

  @Test
  void parse_malformed_throwsNamingOffset() {
    for (String bad :
        List.of(
            "",
            "{",
            "{\"a\":1,}",
            "[1,]",
            "{\"a\" 1}",
            "{a:1}",
            "tru",
            "\"unterminated",
            "\"bad \\x escape\"",
            "\"raw \n newline\"",
            "01x",
            "-",
            "1.",
            "1e",
            "{} {}",
            "\"\\u12\"")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Json.parse(bad), bad);
      assertTrue(e.getMessage().startsWith("invalid JSON at offset "), e.getMessage());
    }
  }

  @Test
  void parse_duplicateKey_refused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":1,\"a\":2}"));
    assertTrue(e.getMessage().contains("duplicate key"));
  }

  @Test
  void parse_deepNesting_refusedInsteadOfOverflowingTheStack() {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Json.parse(deep));
    assertTrue(e.getMessage().contains("nested too deeply"));
    String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
    Json.parse(ok);
  }
}
