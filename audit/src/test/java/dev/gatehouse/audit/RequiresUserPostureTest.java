package dev.gatehouse.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.policy.MethodPolicy;
import dev.gatehouse.policy.Origin;
import dev.gatehouse.policy.Requirements;
import dev.gatehouse.policy.UserRequirement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** An internal method's {@code requires_user} shows in every report format. */
class RequiresUserPostureTest {
  private static AuditReport report(MethodPolicy p) {
    return new AuditReport(
        List.of(
            new MethodPosture(p.fullMethodName(), "t.v1.T", "t.proto", p, List.of(), List.of())),
        List.of(),
        List.of());
  }

  private static final MethodPolicy FOR_RIDER =
      MethodPolicy.internalMethod(
              "t.v1.T/ForRider",
              Origin.METHOD,
              Requirements.of(List.of("trip-reader"), List.of()),
              Origin.METHOD)
          .withUserRequirement(UserRequirement.of(List.of("rider")));

  @Test
  void tableAndMarkdown_nameTheServiceRuleThenTheUserRule() {
    String rule =
        "roles any of [trip-reader], on behalf of a delegating user with roles any of [rider]";
    assertEquals(rule, Reports.rule(FOR_RIDER));
    assertTrue(
        Reports.table(report(FOR_RIDER)).contains(rule), () -> Reports.table(report(FOR_RIDER)));
    assertTrue(Reports.markdown(report(FOR_RIDER)).contains(Reports.md(rule)));
  }

  @Test
  void json_hasRequiresUser_nullWhenTheMethodHasNone() {
    Map<?, ?> withUser = method(Reports.json(report(FOR_RIDER)));
    assertEquals(Map.of("any_of_roles", List.of("rider")), withUser.get("requires_user"));
    MethodPolicy plain = MethodPolicy.internalMethod("t.v1.T/Plain", Origin.METHOD, null, null);
    Map<?, ?> without = method(Reports.json(report(plain)));
    assertTrue(without.containsKey("requires_user"));
    assertEquals(null, without.get("requires_user"));
    assertEquals("any trusted service", without.get("rule"));
  }

  private static Map<?, ?> method(String json) {
    return (Map<?, ?>) ((List<?>) ((Map<?, ?>) Json.parse(json)).get("methods")).get(0);
  }
}
