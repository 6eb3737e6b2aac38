package dev.gatehouse.audit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A minimal JSON writer and a strict parser, enough for the audit report and its baseline. Values
 * are {@code null}, {@link Boolean}, {@link String}, {@link Long}/{@link Double}, {@link List} and
 * {@link Map} (insertion-ordered). The parser refuses duplicate keys, trailing data and nesting
 * deeper than {@value #MAX_DEPTH}.
 */
final class Json {
  static final int MAX_DEPTH = 64;

  private Json() {}

  /** Writes {@code value} as indented JSON (two spaces), ending with a newline. */
  static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(sb, value, 0);
    return sb.append('\n').toString();
  }

  private static void write(StringBuilder sb, Object value, int indent) {
    if (value == null) {
      sb.append("null");
    } else if (value instanceof String s) {
      quote(sb, s);
    } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
      sb.append(value);
    } else if (value instanceof Map<?, ?> map) {
      if (map.isEmpty()) {
        sb.append("{}");
        return;
      }
      sb.append("{\n");
      int i = 0;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        pad(sb, indent + 1);
        quote(sb, (String) e.getKey());
        sb.append(": ");
        write(sb, e.getValue(), indent + 1);
        sb.append(++i < map.size() ? ",\n" : "\n");
      }
      pad(sb, indent);
      sb.append('}');
    } else if (value instanceof Collection<?> list) {
      if (list.isEmpty()) {
        sb.append("[]");
        return;
      }
      boolean scalars = list.stream().allMatch(v -> v == null || v instanceof String);
      if (scalars) {
        sb.append('[');
        int i = 0;
        for (Object v : list) {
          write(sb, v, indent);
          if (++i < list.size()) {
            sb.append(", ");
          }
        }
        sb.append(']');
        return;
      }
      sb.append("[\n");
      int i = 0;
      for (Object v : list) {
        pad(sb, indent + 1);
        write(sb, v, indent + 1);
        sb.append(++i < list.size() ? ",\n" : "\n");
      }
      pad(sb, indent);
      sb.append(']');
    } else {
      throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
    }
  }

  private static void pad(StringBuilder sb, int indent) {
    sb.append("  ".repeat(indent));
  }

  private static void quote(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          // Control characters, and U+2028/2029 which break JavaScript consumers.
          if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029') {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }

  /**
   * Parses one JSON document.
   *
   * @throws IllegalArgumentException naming the offset of the first error
   */
  static Object parse(String text) {
    Parser p = new Parser(text);
    p.skipWhitespace();
    Object value = p.value(0);
    p.skipWhitespace();
    if (p.pos != text.length()) {
      throw p.error("trailing data");
    }
    return value;
  }

  private static final class Parser {
    private final String s;
    private int pos;

    Parser(String s) {
      this.s = s;
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException("invalid JSON at offset " + pos + ": " + what);
    }

    void skipWhitespace() {
      while (pos < s.length()) {
        char c = s.charAt(pos);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
          pos++;
        } else {
          break;
        }
      }
    }

    Object value(int depth) {
      if (depth > MAX_DEPTH) {
        throw error("nested too deeply");
      }
      if (pos >= s.length()) {
        throw error("unexpected end");
      }
      char c = s.charAt(pos);
      switch (c) {
        case '{' -> {
          return object(depth);
        }
        case '[' -> {
          return array(depth);
        }
        case '"' -> {
          return string();
        }
        case 't' -> {
          literal("true");
          return true;
        }
        case 'f' -> {
          literal("false");
          return false;
        }
        case 'n' -> {
          literal("null");
          return null;
        }
        default -> {
          if (c == '-' || (c >= '0' && c <= '9')) {
            return number();
          }
          throw error("unexpected character");
        }
      }
    }

    private void literal(String word) {
      if (!s.startsWith(word, pos)) {
        throw error("unexpected token");
      }
      pos += word.length();
    }

    private Map<String, Object> object(int depth) {
      pos++; // {
      Map<String, Object> out = new LinkedHashMap<>();
      skipWhitespace();
      if (peek() == '}') {
        pos++;
        return Collections.unmodifiableMap(out);
      }
      while (true) {
        skipWhitespace();
        if (peek() != '"') {
          throw error("expected a key");
        }
        String key = string();
        if (out.containsKey(key)) {
          throw error("duplicate key");
        }
        skipWhitespace();
        expect(':');
        skipWhitespace();
        out.put(key, value(depth + 1));
        skipWhitespace();
        char c = peek();
        pos++;
        if (c == '}') {
          return Collections.unmodifiableMap(out);
        }
        if (c != ',') {
          pos--;
          throw error("expected ',' or '}'");
        }
      }
    }

    private List<Object> array(int depth) {
      pos++; // [
      List<Object> out = new ArrayList<>();
      skipWhitespace();
      if (peek() == ']') {
        pos++;
        return Collections.unmodifiableList(out);
      }
      while (true) {
        skipWhitespace();
        out.add(value(depth + 1));
        skipWhitespace();
        char c = peek();
        pos++;
        if (c == ']') {
          return Collections.unmodifiableList(out);
        }
        if (c != ',') {
          pos--;
          throw error("expected ',' or ']'");
        }
      }
    }

    private char peek() {
      if (pos >= s.length()) {
        throw error("unexpected end");
      }
      return s.charAt(pos);
    }

    private void expect(char c) {
      if (peek() != c) {
        throw error("expected '" + c + "'");
      }
      pos++;
    }

    private String string() {
      pos++; // opening quote
      StringBuilder sb = new StringBuilder();
      while (true) {
        char c = peek();
        pos++;
        if (c == '"') {
          return sb.toString();
        }
        if (c < 0x20) {
          pos--;
          throw error("control character in string");
        }
        if (c != '\\') {
          sb.append(c);
          continue;
        }
        char e = peek();
        pos++;
        switch (e) {
          case '"' -> sb.append('"');
          case '\\' -> sb.append('\\');
          case '/' -> sb.append('/');
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
          case 'u' -> {
            if (pos + 4 > s.length()) {
              throw error("short unicode escape");
            }
            int code = 0;
            for (int i = 0; i < 4; i++) {
              int d = Character.digit(s.charAt(pos + i), 16);
              if (d < 0) {
                throw error("bad unicode escape");
              }
              code = code * 16 + d;
            }
            pos += 4;
            sb.append((char) code);
          }
          default -> {
            pos--;
            throw error("bad escape");
          }
        }
      }
    }

    private Object number() {
      int start = pos;
      if (peek() == '-') {
        pos++;
      }
      int digits = pos;
      while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
        pos++;
      }
      if (pos == digits) {
        throw error("bad number");
      }
      boolean fraction = false;
      if (pos < s.length() && s.charAt(pos) == '.') {
        fraction = true;
        pos++;
        int f = pos;
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
          pos++;
        }
        if (pos == f) {
          throw error("bad number");
        }
      }
      if (pos < s.length() && (s.charAt(pos) == 'e' || s.charAt(pos) == 'E')) {
        fraction = true;
        pos++;
        if (pos < s.length() && (s.charAt(pos) == '+' || s.charAt(pos) == '-')) {
          pos++;
        }
        int x = pos;
        while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
          pos++;
        }
        if (pos == x) {
          throw error("bad number");
        }
      }
      String text = s.substring(start, pos);
      try {
        return fraction ? (Object) Double.valueOf(text) : (Object) Long.valueOf(text);
      } catch (NumberFormatException e) {
        return Double.valueOf(text);
      }
    }
  }
}
