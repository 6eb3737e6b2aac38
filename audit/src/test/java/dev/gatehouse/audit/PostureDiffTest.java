package dev.gatehouse.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.audit.PostureDiff.Change;
import dev.gatehouse.audit.PostureDiff.Kind;
import dev.gatehouse.audit.PostureDiff.Snapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

class PostureDiffTest {
  private static final String M = "a.v1.S/M";

  private static final String PUBLIC = entry("public", null, "allow", "method", null);
  private static final String INTERNAL_ANY = entry("internal", null, "allow", "method", null);
  private static final String INTERNAL_FINISHER =
      entry("internal", req("[\"trip-finisher\"]", "[]"), "allow", "method", "method");
  private static final String GATED_DENY = entry("gated", null, "deny", "default", "default");
  private static final String GATED_DENY_EXPLICIT =
      entry("gated", null, "deny", "default", "method");
  private static final String GATED_ANY = entry("gated", null, "allow", "default", "service");
  private static final String DRIVER =
      entry("gated", req("[\"driver\"]", "[]"), "allow", "default", "method");
  private static final String DRIVER_OR_ADMIN =
      entry("gated", req("[\"driver\", \"admin\"]", "[]"), "allow", "default", "method");
  private static final String ADMIN =
      entry("gated", req("[\"admin\"]", "[]"), "allow", "default", "method");
  private static final String DRIVER_READ =
      entry("gated", req("[\"driver\"]", "[\"trips:read\"]"), "allow", "default", "method");
  private static final String READ =
      entry("gated", req("[]", "[\"trips:read\"]"), "allow", "default", "method");
  private static final String ERROR =
      "{\"method\": \"" + M + "\", \"mode\": null, \"problems\": [\"x\"]}";

  private static String req(String roles, String scopes) {
    return "{\"any_of_roles\": " + roles + ", \"all_of_scopes\": " + scopes + "}";
  }

  private static String entry(
      String mode, String requires, String access, String modeOrigin, String ruleOrigin) {
    return "{\"method\": \""
        + M
        + "\", \"mode\": \""
        + mode
        + "\", \"mode_origin\": \""
        + modeOrigin
        + "\", \"requires\": "
        + requires
        + ", \"access\": \""
        + access
        + "\", \"rule_origin\": "
        + (ruleOrigin == null ? "null" : "\"" + ruleOrigin + "\"")
        + "}";
  }

  private static List<Snapshot> report(String... entries) {
    return PostureDiff.parseBaseline(
        "{\"schema\": \"gatehouse-audit/1\", \"methods\": [" + String.join(",", entries) + "]}");
  }

  private static Kind kind(String before, String after) {
    List<Change> changes = PostureDiff.diff(report(before), report(after));
    return changes.isEmpty() ? null : changes.get(0).kind();
  }

  @Test
  void becamePublic_fromAnyMode_widened() {
    assertEquals(Kind.WIDENED, kind(GATED_DENY, PUBLIC));
    assertEquals(Kind.WIDENED, kind(GATED_ANY, PUBLIC));
    assertEquals(Kind.WIDENED, kind(DRIVER, PUBLIC));
    assertEquals(Kind.WIDENED, kind(INTERNAL_ANY, PUBLIC));
    assertEquals(Kind.WIDENED, kind(INTERNAL_FINISHER, PUBLIC));
    assertEquals(Kind.WIDENED, kind(ERROR, PUBLIC));
  }

  @Test
  void lostOrLoosenedRequirements_widened() {
    assertEquals(Kind.WIDENED, kind(DRIVER, GATED_ANY));
    assertEquals(Kind.WIDENED, kind(INTERNAL_FINISHER, INTERNAL_ANY));
    assertEquals(Kind.WIDENED, kind(DRIVER, DRIVER_OR_ADMIN)); // any-of grew
    assertEquals(Kind.WIDENED, kind(DRIVER_READ, DRIVER)); // a required scope dropped
    assertEquals(Kind.WIDENED, kind(DRIVER_READ, READ)); // role no longer needed
    assertEquals(Kind.WIDENED, kind(DRIVER, ADMIN)); // admits admins who were refused
    assertEquals(Kind.WIDENED, kind(GATED_DENY, GATED_ANY));
    assertEquals(Kind.WIDENED, kind(GATED_DENY, DRIVER));
  }

  @Test
  void movedBetweenInternalAndGated_widenedBecauseNewCallersGetIn() {
    assertEquals(Kind.WIDENED, kind(DRIVER, INTERNAL_FINISHER));
    assertEquals(Kind.WIDENED, kind(INTERNAL_ANY, GATED_ANY));
    assertEquals(Kind.WIDENED, kind(GATED_DENY, INTERNAL_ANY));
  }

  @Test
  void tightened_narrowed() {
    assertEquals(Kind.NARROWED, kind(PUBLIC, INTERNAL_ANY));
    assertEquals(Kind.NARROWED, kind(PUBLIC, GATED_DENY));
    assertEquals(Kind.NARROWED, kind(GATED_ANY, DRIVER));
    assertEquals(Kind.NARROWED, kind(DRIVER_OR_ADMIN, DRIVER));
    assertEquals(Kind.NARROWED, kind(DRIVER, DRIVER_READ));
    assertEquals(Kind.NARROWED, kind(INTERNAL_ANY, INTERNAL_FINISHER));
    assertEquals(Kind.NARROWED, kind(INTERNAL_FINISHER, GATED_DENY));
  }

  @Test
  void sameRuleDifferentOrigin_changed() {
    List<Change> changes = PostureDiff.diff(report(GATED_DENY), report(GATED_DENY_EXPLICIT));

    assertEquals(1, changes.size());
    assertEquals(Kind.CHANGED, changes.get(0).kind());
    assertTrue(changes.get(0).before().contains("rule from default"), changes.get(0).before());
    assertTrue(changes.get(0).after().contains("rule from method"), changes.get(0).after());
  }

  @Test
  void nowRefusedAtStartup_changed() {
    assertEquals(Kind.CHANGED, kind(DRIVER, ERROR));
  }

  @Test
  void identical_noChange() {
    assertNull(kind(DRIVER_READ, DRIVER_READ));
    assertNull(kind(ERROR, ERROR));
    assertNull(kind(PUBLIC, PUBLIC));
  }

  @Test
  void addedAndRemoved_addedPublicIsWidened() {
    List<Change> changes =
        PostureDiff.diff(
            report(DRIVER),
            report(PUBLIC.replace(M, "a.v1.S/New"), GATED_ANY.replace(M, "a.v1.S/Other")));

    assertEquals(
        List.of(
            new Change(Kind.WIDENED, "a.v1.S/New", null, "public (anyone, no credential read)"),
            new Change(Kind.ADDED, "a.v1.S/Other", null, "gated (any authenticated user)"),
            new Change(Kind.REMOVED, M, "gated (roles any of [driver])", null)),
        changes);
    assertEquals(1, PostureDiff.widened(changes));
  }

  @Test
  void parseBaseline_malformed_refused() {
    for (String bad :
        List.of(
            "[]",
            "{\"schema\": \"gatehouse-audit/2\", \"methods\": []}",
            "{\"schema\": \"gatehouse-audit/1\"}",
            "{\"schema\": \"gatehouse-audit/1\", \"methods\": [1]}",
            "{\"schema\": \"gatehouse-audit/1\", \"methods\": [{\"mode\": \"public\"}]}",
            "{\"schema\": \"gatehouse-audit/1\", \"methods\": [" + PUBLIC + "," + PUBLIC + "]}",
            "{\"schema\": \"gatehouse-audit/1\", \"methods\": ["
                + PUBLIC.replace("\"public\"", "\"open\"")
                + "]}",
            "{\"schema\": \"gatehouse-audit/1\", \"methods\": ["
                + entry("gated", req("[]", "[]"), "allow", "default", "method")
                + "]}",
            "{\"schema\": \"gatehouse-audit/1\", \"methods\": ["
                + entry("gated", req("[1]", "[]"), "allow", "default", "method")
                + "]}",
            "{\"schema\": \"gatehouse-audit/1\", \"methods\": ["
                + entry("gated", null, "maybe", "default", "method")
                + "]}")) {
      assertThrows(IllegalArgumentException.class, () -> PostureDiff.parseBaseline(bad), bad);
    }
  }
}
