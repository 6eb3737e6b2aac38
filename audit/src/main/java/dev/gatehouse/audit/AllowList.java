package dev.gatehouse.audit;

import dev.gatehouse.policy.Mode;
import dev.gatehouse.policy.ModeOverride;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The {@code --allow-public} file: one full method name or {@code package.Service/*} per line;
 * {@code #} starts a comment; blank lines are ignored. A malformed entry is an error, never
 * skipped.
 */
final class AllowList {
  static final long MAX_BYTES = 4L * 1024 * 1024;

  private final List<String> patterns;

  private AllowList(List<String> patterns) {
    this.patterns = List.copyOf(patterns);
  }

  static AllowList read(Path path) throws UsageException {
    String text;
    try {
      if (Files.size(path) > MAX_BYTES) {
        throw new UsageException("allow-public file larger than " + MAX_BYTES + " bytes: " + path);
      }
      text = Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UsageException("cannot read allow-public file " + path + ": " + e);
    }
    return parse(text, path.toString());
  }

  static AllowList parse(String text, String source) throws UsageException {
    List<String> patterns = new ArrayList<>();
    if (text.startsWith("\uFEFF")) {
      text = text.substring(1); // a byte-order mark some editors add
    }
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int hash = line.indexOf('#');
      if (hash >= 0) {
        line = line.substring(0, hash);
      }
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      try {
        ModeOverride.of(line, Mode.PUBLIC); // validates the pattern syntax
      } catch (IllegalArgumentException e) {
        throw new UsageException(
            source
                + ":"
                + (i + 1)
                + ": not a full method name or package.Service/*: "
                + Reports.printable(line));
      }
      if (!patterns.contains(line)) {
        patterns.add(line);
      }
    }
    return new AllowList(patterns);
  }

  boolean allows(String fullMethodName) {
    for (String p : patterns) {
      if (matches(p, fullMethodName)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code fullMethodName} is listed by its full name (not through a {@code /*} entry). */
  boolean listsExactly(String fullMethodName) {
    return patterns.contains(fullMethodName);
  }

  /** Entries that match none of {@code publicMethods}: stale, or pre-approving a future method. */
  List<String> unused(Collection<String> publicMethods) {
    List<String> out = new ArrayList<>();
    for (String p : patterns) {
      if (publicMethods.stream().noneMatch(m -> matches(p, m))) {
        out.add(p);
      }
    }
    return out;
  }

  private static boolean matches(String pattern, String fullMethodName) {
    if (pattern.endsWith("/*")) {
      return fullMethodName.startsWith(pattern.substring(0, pattern.length() - 1));
    }
    return pattern.equals(fullMethodName);
  }
}
