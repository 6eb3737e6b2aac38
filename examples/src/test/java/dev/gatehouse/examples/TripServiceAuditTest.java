package dev.gatehouse.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.audit.AuditCli;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the posture audit CLI on the descriptor set the examples build writes
 * (target/descriptors.pb) and on the seeded bad protos (target/test-descriptors/bad.pb).
 */
class TripServiceAuditTest {
  static final Path DESCRIPTORS = Path.of("target/descriptors.pb");
  static final Path BAD = Path.of("target/test-descriptors/bad.pb");
  private static final String S = "carsharing.v1.TripService/";

  /** Expected table rows: method, mode, mode from, rule, rule from, check. */
  private static final List<List<String>> EXPECTED_TABLE =
      List.of(
          List.of(S + "Ping", "public", "method", "anyone, no credential read", "-", "ok"),
          List.of(S + "StartTrip", "gated", "default", "roles any of [driver]", "method", "ok"),
          List.of(S + "GetTrip", "gated", "default", "scopes all of [trips:read]", "method", "ok"),
          List.of(S + "ListTrips", "gated", "default", "any authenticated user", "service", "ok"),
          List.of(S + "PurgeTrips", "gated", "default", "deny everyone", "method", "ok"),
          List.of(S + "RecordTrip", "internal", "method", "any trusted service", "-", "ok"),
          List.of(
              S + "EndTrip", "internal", "method", "roles any of [trip-finisher]", "method", "ok"));

  @TempDir Path tmp;

  @Test
  void buildWritesDescriptorSet() {
    assertTrue(Files.isRegularFile(DESCRIPTORS), "mvn package writes " + DESCRIPTORS);
  }

  @Test
  void table_tripService_everyMethodResolvedAsDeclared() {
    Run run = Run.of(DESCRIPTORS.toString());

    assertEquals(AuditCli.OK, run.code, run.err);
    List<List<String>> rows =
        run.out.lines().skip(1).map(l -> List.of(l.split(" {2,}"))).collect(Collectors.toList());
    assertEquals(EXPECTED_TABLE, rows);
  }

  @Test
  void json_tripService_everyMethodResolvedAsDeclared() {
    Run run = Run.of("--format", "json", DESCRIPTORS.toString());

    assertEquals(AuditCli.OK, run.code, run.err);
    String json = run.out;
    assertTrue(json.contains("\"schema\": \"gatehouse-audit/1\""), json);
    assertEquals(
        "public|method|null|allow|null",
        posture(json, "Ping"),
        "Ping: mode|from|requires|access|rule from");
    assertEquals(
        "gated|default|{\"any_of_roles\": [\"driver\"], \"all_of_scopes\": []}|allow|\"method\"",
        posture(json, "StartTrip"));
    assertEquals(
        "gated|default|{\"any_of_roles\": [], \"all_of_scopes\": [\"trips:read\"]}|allow|\"method\"",
        posture(json, "GetTrip"));
    assertEquals("gated|default|null|allow|\"service\"", posture(json, "ListTrips"));
    assertEquals("gated|default|null|deny|\"method\"", posture(json, "PurgeTrips"));
    assertEquals("internal|method|null|allow|null", posture(json, "RecordTrip"));
    assertEquals(
        "internal|method|{\"any_of_roles\": [\"trip-finisher\"], \"all_of_scopes\": []}|allow|\"method\"",
        posture(json, "EndTrip"));
    assertTrue(json.contains("\"check_failures\": 0"), json);
  }

  /** mode|mode_origin|requires (compacted)|access|rule_origin of one method in the JSON report. */
  private static String posture(String json, String method) {
    Pattern p =
        Pattern.compile(
            "\"method\": \"carsharing\\.v1\\.TripService/"
                + method
                + "\",\\s*\"service\": \"carsharing\\.v1\\.TripService\",\\s*"
                + "\"file\": \"carsharing/v1/trips\\.proto\",\\s*"
                + "\"mode\": \"(\\w+)\",\\s*\"mode_origin\": \"(\\w+)\",\\s*"
                + "\"requires\": (null|\\{[^}]*\\}),\\s*"
                + "\"requires_user\": (?:null|\\{[^}]*\\}),\\s*\"access\": \"(\\w+)\",\\s*"
                + "\"rule_origin\": (null|\"\\w+\"),\\s*\"rule\": \"[^\"]*\",\\s*"
                + "\"problems\": \\[\\],\\s*\"findings\": \\[\\]");
    Matcher m = p.matcher(json);
    assertTrue(m.find(), method + " not found in\n" + json);
    String requires = m.group(3).replaceAll("\\s+", " ").replace("{ ", "{").replace(" }", "}");
    return String.join("|", m.group(1), m.group(2), requires, m.group(4), m.group(5));
  }

  @Test
  void check_allowPublicListsPing_passes() throws IOException {
    Path allow =
        Files.writeString(
            tmp.resolve("allow-public.txt"), "# liveness probe\ncarsharing.v1.TripService/Ping\n");

    Run run = Run.of("--check", "--allow-public", allow.toString(), DESCRIPTORS.toString());

    assertEquals(AuditCli.OK, run.code, run.err);
    assertEquals("gatehouse-audit: check passed: 7 methods\n", run.err);
  }

  @Test
  void check_allowPublicWithoutPing_failsNamingPing() throws IOException {
    Path allow = Files.writeString(tmp.resolve("allow-public.txt"), "# nothing is public\n");

    Run run = Run.of("--check", "--allow-public", allow.toString(), DESCRIPTORS.toString());

    assertEquals(AuditCli.CHECK_FAILED, run.code);
    assertEquals(
        List.of(
            "gatehouse-audit: check: carsharing.v1.TripService/Ping: public but not listed in "
                + allow,
            "gatehouse-audit: check failed: 1 finding"),
        run.err.lines().toList());
    assertTrue(
        run.out
            .lines()
            .anyMatch(l -> l.startsWith(S + "Ping ") && l.endsWith("public_not_allowed")));
  }

  @Test
  void check_seededBadProto_exitsOneNamingEveryOffendingMethod() {
    Run run = Run.of("--check", BAD.toString());

    assertEquals(AuditCli.CHECK_FAILED, run.code);
    String b = "carsharing.seeded.v1.BadTripService/";
    String l = "carsharing.seeded.v1.LegacyTripService/";
    assertEquals(
        List.of(
            "gatehouse-audit: check: "
                + b
                + "EndTrip: the server would refuse to start: method sets both public and internal",
            "gatehouse-audit: check: "
                + b
                + "RecordTrip: the server would refuse to start: policy on an internal method",
            "gatehouse-audit: check: "
                + l
                + "Ping: no Gatehouse option applies (gated, deny everyone by default);"
                + " annotate it or declare it with an override",
            "gatehouse-audit: check: "
                + l
                + "StartTrip: no Gatehouse option applies (gated, deny everyone by default);"
                + " annotate it or declare it with an override",
            "gatehouse-audit: check failed: 4 findings"),
        run.err.lines().toList());
    // The method without a mistake still shows its posture.
    assertTrue(
        run.out.lines().anyMatch(x -> x.matches(Pattern.quote(b + "ListTrips") + " +gated .* ok")),
        run.out);
  }

  @Test
  void diff_baselineHadPingGated_pingCalledOutAsWidened() throws IOException {
    String json = Run.of("--format", "json", DESCRIPTORS.toString()).out;
    // Edit the baseline: Ping was a gated method requiring the driver role.
    String edited =
        json.replaceFirst(
            "(\"method\": \"carsharing\\.v1\\.TripService/Ping\",[^{]*?)\"mode\": \"public\","
                + "\\s*\"mode_origin\": \"method\",\\s*\"requires\": null,",
            "$1\"mode\": \"gated\", \"mode_origin\": \"default\","
                + " \"requires\": {\"any_of_roles\": [\"driver\"], \"all_of_scopes\": []},");
    assertFalse(edited.equals(json), "baseline edit applied");
    Path baseline = Files.writeString(tmp.resolve("baseline.json"), edited);

    Run run = Run.of("--diff", baseline.toString(), DESCRIPTORS.toString());

    assertEquals(AuditCli.OK, run.code, run.err);
    assertEquals(
        List.of(
            List.of("CHANGE", "METHOD", "BEFORE", "AFTER"),
            List.of(
                "WIDENED",
                S + "Ping",
                "gated (roles any of [driver])",
                "public (anyone, no credential read)")),
        run.out.lines().map(x -> List.of(x.split(" {2,}"))).toList());

    Run checked = Run.of("--check", "--diff", baseline.toString(), DESCRIPTORS.toString());
    assertEquals(AuditCli.CHECK_FAILED, checked.code);
    assertTrue(checked.err.contains(S + "Ping: WIDENED since the baseline"), checked.err);
  }

  @Test
  void markdown_tripService_oneRowPerMethod() {
    Run run = Run.of("--format", "markdown", DESCRIPTORS.toString());

    assertEquals(AuditCli.OK, run.code, run.err);
    List<String> rows = run.out.lines().filter(l -> l.startsWith("| `")).toList();
    assertEquals(7, rows.size(), run.out);
    assertEquals(
        "| `carsharing.v1.TripService/EndTrip` | internal | method | roles any of [trip-finisher]"
            + " | method | ok |",
        rows.get(6));
  }

  /** Internal methods by name, for the deployment test's cross-check. */
  static Map<String, String> modesByMethod() {
    Run run = Run.of(DESCRIPTORS.toString());
    return run.out
        .lines()
        .skip(1)
        .map(l -> l.split(" {2,}"))
        .collect(Collectors.toMap(r -> r[0], r -> r[1]));
  }

  /** One captured CLI run. */
  static final class Run {
    final int code;
    final String out;
    final String err;

    private Run(int code, String out, String err) {
      this.code = code;
      this.out = out;
      this.err = err;
    }

    static Run of(String... args) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code =
          AuditCli.run(
              Arrays.asList(args),
              new PrintStream(out, true, StandardCharsets.UTF_8),
              new PrintStream(err, true, StandardCharsets.UTF_8));
      return new Run(
          code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
  }
}
