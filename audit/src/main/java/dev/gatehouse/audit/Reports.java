package dev.gatehouse.audit;

import dev.gatehouse.policy.MethodPolicy;
import dev.gatehouse.policy.Mode;
import dev.gatehouse.policy.Origin;
import dev.gatehouse.policy.Requirements;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Renders an {@link AuditReport} as a table, JSON or Markdown. */
final class Reports {
  /** The value of the JSON report's {@code schema} field; bumped on any incompatible change. */
  static final String SCHEMA = "gatehouse-audit/1";

  private Reports() {}

  static String render(AuditReport report, String format) {
    return switch (format) {
      case "json" -> json(report);
      case "markdown" -> markdown(report);
      default -> table(report);
    };
  }

  // ---- shared wording -------------------------------------------------------------------------

  static String mode(Mode mode) {
    return mode.name().toLowerCase(Locale.ROOT);
  }

  static String origin(Origin origin) {
    return origin.name().toLowerCase(Locale.ROOT);
  }

  /**
   * Who may call, in words: the requirements, or the access decision; on internal methods with
   * {@code requires_user}, followed by what the delegating user needs.
   */
  static String rule(MethodPolicy p) {
    String rule;
    if (p.requirements().isPresent()) {
      rule = requirements(p.requirements().get());
    } else {
      rule =
          switch (p.mode()) {
            case PUBLIC -> "anyone, no credential read";
            case INTERNAL -> "any trusted service";
            case GATED -> p.deniesEveryone() ? "deny everyone" : "any authenticated user";
          };
    }
    return p.userRequirement().map(u -> rule + ", on behalf of " + u).orElse(rule);
  }

  static String requirements(Requirements r) {
    List<String> parts = new ArrayList<>();
    if (!r.anyOfRoles().isEmpty()) {
      parts.add("roles any of [" + String.join(", ", r.anyOfRoles()) + "]");
    }
    if (!r.allOfScopes().isEmpty()) {
      parts.add("scopes all of [" + String.join(", ", r.allOfScopes()) + "]");
    }
    return String.join(" and ", parts);
  }

  /** One-line posture summary, as used by the diff. */
  static String summary(MethodPolicy p) {
    return mode(p.mode()) + " (" + rule(p) + ")";
  }

  private static String findings(MethodPosture m) {
    if (m.findings().isEmpty()) {
      return "ok";
    }
    List<String> codes = new ArrayList<>();
    for (Finding f : m.findings()) {
      codes.add(f.code());
    }
    return String.join(",", codes);
  }

  /**
   * Escapes control, C1, line-separator and bidirectional-override characters, so a hostile
   * descriptor cannot move the cursor, recolour a terminal or reorder what a reviewer reads.
   */
  static String printable(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20
          || (c >= 0x7f && c <= 0x9f)
          || c == '\u2028'
          || c == '\u2029'
          || (c >= '\u202a' && c <= '\u202e')
          || (c >= '\u2066' && c <= '\u2069')
          || c == '\u200e'
          || c == '\u200f'
          || c == '\u061c') {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  // ---- table ----------------------------------------------------------------------------------

  static String table(AuditReport report) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"METHOD", "MODE", "MODE FROM", "RULE", "RULE FROM", "CHECK"});
    for (MethodPosture m : report.methods()) {
      MethodPolicy p = m.policy();
      if (p == null) {
        rows.add(
            new String[] {
              m.method(), "ERROR", "-", String.join("; ", m.problems()), "-", findings(m)
            });
      } else {
        rows.add(
            new String[] {
              m.method(),
              mode(p.mode()),
              origin(p.modeOrigin()),
              rule(p),
              p.ruleOrigin().map(Reports::origin).orElse("-"),
              findings(m)
            });
      }
    }
    StringBuilder sb = new StringBuilder();
    appendColumns(sb, rows);
    for (String problem : report.problems()) {
      sb.append("# problem: ").append(printable(problem)).append('\n');
    }
    for (String warning : report.warnings()) {
      sb.append("# warning: ").append(printable(warning)).append('\n');
    }
    return sb.toString();
  }

  /**
   * Appends rows as left-aligned columns separated by two spaces; the last column is not padded.
   */
  static void appendColumns(StringBuilder sb, List<String[]> rows) {
    int columns = rows.get(0).length;
    int[] width = new int[columns];
    for (String[] row : rows) {
      for (int i = 0; i < columns; i++) {
        row[i] = printable(row[i]);
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns; i++) {
        line.append(row[i]);
        if (i < columns - 1) {
          line.append(" ".repeat(width[i] - row[i].length() + 2));
        }
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
  }

  // ---- JSON -----------------------------------------------------------------------------------

  static String json(AuditReport report) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("schema", SCHEMA);
    List<Object> methods = new ArrayList<>();
    for (MethodPosture m : report.methods()) {
      methods.add(jsonMethod(m));
    }
    root.put("methods", methods);
    root.put("problems", report.problems());
    root.put("warnings", report.warnings());
    root.put("check_failures", report.failures());
    return Json.write(root);
  }

  private static Map<String, Object> jsonMethod(MethodPosture m) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("method", m.method());
    o.put("service", m.service());
    o.put("file", m.file());
    MethodPolicy p = m.policy();
    o.put("mode", p == null ? null : mode(p.mode()));
    o.put("mode_origin", p == null ? null : origin(p.modeOrigin()));
    if (p != null && p.requirements().isPresent()) {
      Map<String, Object> r = new LinkedHashMap<>();
      r.put("any_of_roles", List.copyOf(p.requirements().get().anyOfRoles()));
      r.put("all_of_scopes", List.copyOf(p.requirements().get().allOfScopes()));
      o.put("requires", r);
    } else {
      o.put("requires", null);
    }
    if (p != null && p.userRequirement().isPresent()) {
      o.put(
          "requires_user",
          Map.of("any_of_roles", List.copyOf(p.userRequirement().get().anyOfRoles())));
    } else {
      o.put("requires_user", null);
    }
    o.put("access", p == null ? null : p.access().name().toLowerCase(Locale.ROOT));
    o.put("rule_origin", p == null ? null : p.ruleOrigin().map(Reports::origin).orElse(null));
    o.put("rule", p == null ? null : rule(p));
    o.put("problems", m.problems());
    List<String> codes = new ArrayList<>();
    for (Finding f : m.findings()) {
      codes.add(f.code());
    }
    o.put("findings", codes);
    return o;
  }

  // ---- Markdown -------------------------------------------------------------------------------

  static String markdown(AuditReport report) {
    StringBuilder sb = new StringBuilder("## Gatehouse posture\n\n");
    sb.append("| Method | Mode | Mode from | Rule | Rule from | Check |\n");
    sb.append("|---|---|---|---|---|---|\n");
    for (MethodPosture m : report.methods()) {
      MethodPolicy p = m.policy();
      sb.append("| `").append(md(m.method())).append("` | ");
      if (p == null) {
        sb.append("**ERROR** | - | ").append(md(String.join("; ", m.problems()))).append(" | - | ");
      } else {
        sb.append(p.mode() == Mode.PUBLIC ? "**public**" : mode(p.mode()))
            .append(" | ")
            .append(origin(p.modeOrigin()))
            .append(" | ")
            .append(md(rule(p)))
            .append(" | ")
            .append(p.ruleOrigin().map(Reports::origin).orElse("-"))
            .append(" | ");
      }
      sb.append(m.findings().isEmpty() ? "ok" : "**" + md(findings(m)) + "**").append(" |\n");
    }
    if (!report.problems().isEmpty()) {
      sb.append("\n### Problems\n\n");
      for (String problem : report.problems()) {
        sb.append("- ").append(md(problem)).append('\n');
      }
    }
    if (!report.warnings().isEmpty()) {
      sb.append("\n### Warnings\n\n");
      for (String warning : report.warnings()) {
        sb.append("- ").append(md(warning)).append('\n');
      }
    }
    return sb.toString();
  }

  /** Escapes text for a Markdown table cell: no HTML, no cell breaks, no code-span escapes. */
  static String md(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : printable(s).toCharArray()) {
      switch (c) {
        case '|' -> sb.append("\\|");
        case '<' -> sb.append("&lt;");
        case '>' -> sb.append("&gt;");
        case '&' -> sb.append("&amp;");
        case '`' -> sb.append('\'');
        default -> sb.append(c);
      }
    }
    return sb.toString();
  }
}
