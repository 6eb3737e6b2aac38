package dev.gatehouse.audit;

import dev.gatehouse.policy.MethodPolicy;
import dev.gatehouse.policy.Mode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Compares the current posture with a baseline (an earlier {@code --format json} report).
 *
 * <p>A change is {@code WIDENED} when the new posture admits some caller the old one refused: a
 * method that became public (or was added as public), lost or loosened its requirements, stopped
 * denying everyone, or moved between internal and gated (services and users are different callers).
 * {@code NARROWED} admits a strict subset; {@code CHANGED} is a change of origin only, or a method
 * the server would now refuse to start with; {@code ADDED} and {@code REMOVED} are methods that
 * appeared or disappeared.
 */
final class PostureDiff {
  static final String SCHEMA = "gatehouse-audit-diff/1";
  static final long MAX_BYTES = 64L * 1024 * 1024;

  /** Kinds of change, most important first. */
  enum Kind {
    WIDENED,
    NARROWED,
    CHANGED,
    ADDED,
    REMOVED
  }

  /** One change; {@code before}/{@code after} are one-line summaries, null when absent. */
  record Change(Kind kind, String method, String before, String after) {}

  /** A method's posture reduced to what decides who gets in. */
  record Snapshot(
      String method,
      boolean error,
      Mode mode,
      Set<String> roles,
      Set<String> scopes,
      boolean hasRequires,
      boolean denyAll,
      String modeOrigin,
      String ruleOrigin,
      String summary) {

    boolean samePosture(Snapshot o) {
      return error == o.error
          && mode == o.mode
          && hasRequires == o.hasRequires
          && denyAll == o.denyAll
          && roles.equals(o.roles)
          && scopes.equals(o.scopes);
    }
  }

  private PostureDiff() {}

  static Snapshot snapshot(MethodPosture m) {
    MethodPolicy p = m.policy();
    if (p == null) {
      return new Snapshot(
          m.method(),
          true,
          null,
          Set.of(),
          Set.of(),
          false,
          false,
          null,
          null,
          "refused at startup: " + String.join("; ", m.problems()));
    }
    Set<String> roles = p.requirements().map(r -> r.anyOfRoles()).orElse(Set.of());
    Set<String> scopes = p.requirements().map(r -> r.allOfScopes()).orElse(Set.of());
    return new Snapshot(
        m.method(),
        false,
        p.mode(),
        roles,
        scopes,
        p.requirements().isPresent(),
        p.deniesEveryone(),
        Reports.origin(p.modeOrigin()),
        p.ruleOrigin().map(Reports::origin).orElse(null),
        Reports.summary(p));
  }

  /** Reads a baseline report written by {@code --format json}. */
  static List<Snapshot> readBaseline(Path path) throws UsageException {
    String text;
    try {
      if (Files.size(path) > MAX_BYTES) {
        throw new UsageException("baseline larger than " + MAX_BYTES + " bytes: " + path);
      }
      text = Files.readString(path, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UsageException("cannot read baseline " + path + ": " + e);
    }
    try {
      return parseBaseline(text);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new UsageException("unusable baseline " + path + ": " + e.getMessage());
    }
  }

  static List<Snapshot> parseBaseline(String text) {
    if (!(Json.parse(text) instanceof Map<?, ?> root)) {
      throw new IllegalArgumentException("not a JSON object");
    }
    if (!Reports.SCHEMA.equals(root.get("schema"))) {
      throw new IllegalArgumentException("schema is not " + Reports.SCHEMA);
    }
    if (!(root.get("methods") instanceof List<?> methods)) {
      throw new IllegalArgumentException("methods is not an array");
    }
    List<Snapshot> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (Object item : methods) {
      if (!(item instanceof Map<?, ?> m)) {
        throw new IllegalArgumentException("a methods entry is not an object");
      }
      String name = string(m, "method", false);
      if (!seen.add(name)) {
        throw new IllegalArgumentException("method listed twice: " + Reports.printable(name));
      }
      out.add(baselineEntry(name, m));
    }
    return out;
  }

  private static Snapshot baselineEntry(String name, Map<?, ?> m) {
    String mode = string(m, "mode", true);
    if (mode == null) {
      return new Snapshot(
          name, true, null, Set.of(), Set.of(), false, false, null, null, "refused at startup");
    }
    Mode parsedMode =
        switch (mode) {
          case "public" -> Mode.PUBLIC;
          case "internal" -> Mode.INTERNAL;
          case "gated" -> Mode.GATED;
          default -> throw new IllegalArgumentException(name + ": unknown mode");
        };
    Set<String> roles = Set.of();
    Set<String> scopes = Set.of();
    boolean hasRequires = false;
    Object requires = m.get("requires");
    if (requires != null) {
      if (!(requires instanceof Map<?, ?> r)) {
        throw new IllegalArgumentException(name + ": requires is not an object");
      }
      roles = strings(r, "any_of_roles", name);
      scopes = strings(r, "all_of_scopes", name);
      hasRequires = !roles.isEmpty() || !scopes.isEmpty();
      if (!hasRequires) {
        throw new IllegalArgumentException(name + ": requires is empty");
      }
    }
    String access = string(m, "access", true);
    if (access != null && !access.equals("allow") && !access.equals("deny")) {
      throw new IllegalArgumentException(name + ": unknown access");
    }
    boolean denyAll = parsedMode == Mode.GATED && !hasRequires && "deny".equals(access);
    String rule;
    if (hasRequires) {
      List<String> parts = new ArrayList<>();
      if (!roles.isEmpty()) {
        parts.add("roles any of [" + String.join(", ", roles) + "]");
      }
      if (!scopes.isEmpty()) {
        parts.add("scopes all of [" + String.join(", ", scopes) + "]");
      }
      rule = String.join(" and ", parts);
    } else {
      rule =
          switch (parsedMode) {
            case PUBLIC -> "anyone, no credential read";
            case INTERNAL -> "any trusted service";
            case GATED -> denyAll ? "deny everyone" : "any authenticated user";
          };
    }
    return new Snapshot(
        name,
        false,
        parsedMode,
        roles,
        scopes,
        hasRequires,
        denyAll,
        string(m, "mode_origin", true),
        string(m, "rule_origin", true),
        mode + " (" + rule + ")");
  }

  private static String string(Map<?, ?> m, String key, boolean nullable) {
    Object v = m.get(key);
    if (v == null && nullable) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException(key + " is not a string");
    }
    return s;
  }

  private static Set<String> strings(Map<?, ?> m, String key, String method) {
    Object v = m.get(key);
    if (v == null) {
      return Set.of();
    }
    if (!(v instanceof List<?> list)) {
      throw new IllegalArgumentException(method + ": " + key + " is not an array");
    }
    Set<String> out = new LinkedHashSet<>();
    for (Object o : list) {
      if (!(o instanceof String s)) {
        throw new IllegalArgumentException(method + ": " + key + " holds a non-string");
      }
      out.add(s);
    }
    return out;
  }

  /** The changes from {@code baseline} to {@code current}, current order first, then removals. */
  static List<Change> diff(List<Snapshot> baseline, List<Snapshot> current) {
    Map<String, Snapshot> before = new LinkedHashMap<>();
    for (Snapshot s : baseline) {
      before.put(s.method(), s);
    }
    List<Change> out = new ArrayList<>();
    Set<String> present = new LinkedHashSet<>();
    for (Snapshot n : current) {
      present.add(n.method());
      Snapshot o = before.get(n.method());
      if (o == null) {
        boolean newlyPublic = !n.error() && n.mode() == Mode.PUBLIC;
        out.add(new Change(newlyPublic ? Kind.WIDENED : Kind.ADDED, n.method(), null, n.summary()));
        continue;
      }
      Kind kind = classify(o, n);
      if (kind != null) {
        String after = n.summary();
        String was = o.summary();
        if (kind == Kind.CHANGED && o.samePosture(n)) {
          was = was + " [mode from " + o.modeOrigin() + ", rule from " + o.ruleOrigin() + "]";
          after = after + " [mode from " + n.modeOrigin() + ", rule from " + n.ruleOrigin() + "]";
        }
        out.add(new Change(kind, n.method(), was, after));
      }
    }
    for (Snapshot o : baseline) {
      if (!present.contains(o.method())) {
        out.add(new Change(Kind.REMOVED, o.method(), o.summary(), null));
      }
    }
    return out;
  }

  /** The kind of change from {@code o} to {@code n}, or null when nothing changed. */
  static Kind classify(Snapshot o, Snapshot n) {
    if (o.samePosture(n)) {
      boolean sameOrigin =
          n.error()
              || (Objects.equals(o.modeOrigin(), n.modeOrigin())
                  && Objects.equals(o.ruleOrigin(), n.ruleOrigin()));
      return sameOrigin ? null : Kind.CHANGED;
    }
    if (n.error()) {
      return Kind.CHANGED;
    }
    return admitsSubset(n, o) ? Kind.NARROWED : Kind.WIDENED;
  }

  /** Whether every caller {@code n} admits is admitted by {@code o}. */
  static boolean admitsSubset(Snapshot n, Snapshot o) {
    if (n.error() || n.denyAll()) {
      return true;
    }
    if (o.error() || o.denyAll()) {
      return false;
    }
    if (o.mode() == Mode.PUBLIC) {
      return true;
    }
    if (n.mode() == Mode.PUBLIC || n.mode() != o.mode()) {
      return false;
    }
    if (!o.hasRequires()) {
      return true;
    }
    if (!n.hasRequires()) {
      return false;
    }
    boolean roles =
        o.roles().isEmpty() || (!n.roles().isEmpty() && o.roles().containsAll(n.roles()));
    return roles && n.scopes().containsAll(o.scopes());
  }

  static long widened(List<Change> changes) {
    return changes.stream().filter(c -> c.kind() == Kind.WIDENED).count();
  }

  // ---- rendering ------------------------------------------------------------------------------

  static String render(List<Change> changes, String format, String baselineName) {
    return switch (format) {
      case "json" -> json(changes);
      case "markdown" -> markdown(changes, baselineName);
      default -> table(changes, baselineName);
    };
  }

  private static String table(List<Change> changes, String baselineName) {
    if (changes.isEmpty()) {
      return "no posture changes against " + Reports.printable(baselineName) + "\n";
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"CHANGE", "METHOD", "BEFORE", "AFTER"});
    for (Change c : changes) {
      rows.add(
          new String[] {
            c.kind().name(), c.method(), or(c.before(), "(absent)"), or(c.after(), "(absent)")
          });
    }
    StringBuilder sb = new StringBuilder();
    Reports.appendColumns(sb, rows);
    return sb.toString();
  }

  private static String json(List<Change> changes) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("schema", SCHEMA);
    List<Object> list = new ArrayList<>();
    for (Change c : changes) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("change", c.kind().name().toLowerCase(Locale.ROOT));
      o.put("method", c.method());
      o.put("before", c.before());
      o.put("after", c.after());
      list.add(o);
    }
    root.put("changes", list);
    root.put("widened", widened(changes));
    return Json.write(root);
  }

  private static String markdown(List<Change> changes, String baselineName) {
    StringBuilder sb = new StringBuilder("## Gatehouse posture changes\n\n");
    if (changes.isEmpty()) {
      return sb.append("No posture changes against `")
          .append(Reports.md(baselineName))
          .append("`.\n")
          .toString();
    }
    sb.append("| Change | Method | Before | After |\n|---|---|---|---|\n");
    for (Change c : changes) {
      String kind = c.kind() == Kind.WIDENED ? "**WIDENED**" : c.kind().name();
      sb.append("| ")
          .append(kind)
          .append(" | `")
          .append(Reports.md(c.method()))
          .append("` | ")
          .append(Reports.md(or(c.before(), "(absent)")))
          .append(" | ")
          .append(Reports.md(or(c.after(), "(absent)")))
          .append(" |\n");
    }
    return sb.toString();
  }

  private static String or(String s, String fallback) {
    return s == null ? fallback : s;
  }
}
