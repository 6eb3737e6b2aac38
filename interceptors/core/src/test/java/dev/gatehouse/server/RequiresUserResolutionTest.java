package dev.gatehouse.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.policy.MethodPolicy;
import dev.gatehouse.policy.PolicyException;
import dev.gatehouse.policy.UserRequirement;
import dev.gatehouse.test.v1.BadDefaultRequiresUserGrpc;
import dev.gatehouse.test.v1.BadRequiresUserGrpc;
import dev.gatehouse.test.v1.OnBehalfDefaultGrpc;
import dev.gatehouse.test.v1.OnBehalfTargetGrpc;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How {@code requires_user} and {@code default_requires_user} resolve, and when startup fails. */
class RequiresUserResolutionTest {
  private static final String T = "gatehouse.test.v1.";

  private static Gatehouse.Builder builder() {
    return Gatehouse.newBuilder()
        .userAuthenticator(FakeAuthenticator.user("authorization"))
        .addTrustSource(FakeAuthenticator.source("fake_service", "x-svc"));
  }

  @Test
  void requiresUser_onInternalMethods_resolvesNextToTheServiceRequirement() {
    Map<String, MethodPolicy> p =
        builder().addService(new OnBehalfTargetGrpc.OnBehalfTargetImplBase() {}).build().policies();
    assertEquals(Optional.empty(), p.get(T + "OnBehalfTarget/Who").userRequirement());
    assertEquals(Optional.empty(), p.get(T + "OnBehalfTarget/ServiceOnly").userRequirement());
    assertEquals(
        Optional.of(UserRequirement.of(List.of())),
        p.get(T + "OnBehalfTarget/ForAnyUser").userRequirement());
    MethodPolicy forRider = p.get(T + "OnBehalfTarget/ForRider");
    assertEquals(Set.of("rider"), forRider.userRequirement().orElseThrow().anyOfRoles());
    assertEquals(Set.of("trip-reader"), forRider.requirements().orElseThrow().anyOfRoles());
    assertTrue(
        forRider.describe().endsWith("on behalf of a delegating user with roles any of [rider]"),
        forRider::describe);
  }

  @Test
  void serviceDefault_appliesToInternalMethodsWithoutTheirOwn_neverToGated() {
    Map<String, MethodPolicy> p =
        builder()
            .addService(new OnBehalfDefaultGrpc.OnBehalfDefaultImplBase() {})
            .build()
            .policies();
    assertEquals(
        Set.of("rider"),
        p.get(T + "OnBehalfDefault/Internal").userRequirement().orElseThrow().anyOfRoles());
    assertEquals(
        Set.of("admin"),
        p.get(T + "OnBehalfDefault/OwnUser").userRequirement().orElseThrow().anyOfRoles());
    assertEquals(Optional.empty(), p.get(T + "OnBehalfDefault/Gated").userRequirement());
  }

  @Test
  void requiresUser_onPublicGatedWithScopesOrBlank_failsStartupNamingEachMethod() {
    PolicyException e =
        assertThrows(
            PolicyException.class,
            () ->
                builder().addService(new BadRequiresUserGrpc.BadRequiresUserImplBase() {}).build());
    assertProblem(e, T + "BadRequiresUser/OnPublic", "requires_user on a public method");
    assertProblem(e, T + "BadRequiresUser/OnGated", "requires_user on a gated method");
    assertProblem(e, T + "BadRequiresUser/WithScopes", "requires_user names scopes");
    assertProblem(e, T + "BadRequiresUser/BlankRole", "blank or padded role in requires_user");
    assertFalse(e.getMessage().contains(T + "BadRequiresUser/Fine:"), e::getMessage);
  }

  @Test
  void serviceDefault_withoutAnyInternalMethod_failsStartupNamingTheService() {
    PolicyException e =
        assertThrows(
            PolicyException.class,
            () ->
                builder()
                    .addService(new BadDefaultRequiresUserGrpc.BadDefaultRequiresUserImplBase() {})
                    .build());
    assertProblem(
        e,
        T + "BadDefaultRequiresUser",
        "default_requires_user but the service has no internal method");
  }

  @Test
  void userRequirement_isRefusedOnAnythingButAnInternalPolicy() {
    MethodPolicy gated =
        builder()
            .addService(new OnBehalfDefaultGrpc.OnBehalfDefaultImplBase() {})
            .build()
            .policies()
            .get(T + "OnBehalfDefault/Gated");
    assertThrows(
        IllegalStateException.class,
        () -> gated.withUserRequirement(UserRequirement.of(List.of())));
  }

  private static void assertProblem(PolicyException e, String name, String text) {
    assertTrue(
        e.problems().stream().anyMatch(p -> p.startsWith(name + ":") && p.contains(text)),
        () -> "no problem '" + text + "' for " + name + " in " + e.problems());
  }
}
