package dev.gatehouse.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.policy.Access;
import dev.gatehouse.policy.MethodPolicy;
import dev.gatehouse.policy.Mode;
import dev.gatehouse.policy.ModeOverride;
import dev.gatehouse.policy.Origin;
import dev.gatehouse.policy.PolicyException;
import dev.gatehouse.policy.Requirements;
import dev.gatehouse.test.v1.AllDeniedGrpc;
import dev.gatehouse.test.v1.BadBlankDefaultRoleGrpc;
import dev.gatehouse.test.v1.BadBlankRoleGrpc;
import dev.gatehouse.test.v1.BadBothMethodGrpc;
import dev.gatehouse.test.v1.BadBothServiceGrpc;
import dev.gatehouse.test.v1.BadEmptyDefaultRequiresGrpc;
import dev.gatehouse.test.v1.BadEmptyRequiresGrpc;
import dev.gatehouse.test.v1.BadPolicyOnInternalGrpc;
import dev.gatehouse.test.v1.BadPolicyOnPublicGrpc;
import dev.gatehouse.test.v1.BadRequiresAndPolicyGrpc;
import dev.gatehouse.test.v1.BadRequiresOnPublicGrpc;
import dev.gatehouse.test.v1.MergeAllowGrpc;
import dev.gatehouse.test.v1.MergeDenyGrpc;
import dev.gatehouse.test.v1.MergeEmptyServiceAuthGrpc;
import dev.gatehouse.test.v1.MergeInternalGrpc;
import dev.gatehouse.test.v1.MergePublicGrpc;
import dev.gatehouse.test.v1.MergeRequiresPolicyGrpc;
import dev.gatehouse.test.v1.NoOptionsGrpc;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ServerCalls;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Every merge rule and every startup failure of the policy resolution (docs/design.md), through
 * {@code Gatehouse.newBuilder().build()}.
 */
class PolicyResolutionTest {
  private static final String T = "gatehouse.test.v1.";

  private static Gatehouse.Builder withAuthenticators() {
    return Gatehouse.newBuilder()
        .userAuthenticator(FakeAuthenticator.user("authorization"))
        .addTrustSource(FakeAuthenticator.source("fake_service", "x-svc"));
  }

  private static Map<String, MethodPolicy> resolve(BindableService... services) {
    Gatehouse.Builder b = withAuthenticators();
    for (BindableService s : services) {
      b.addService(s);
    }
    return b.build().policies();
  }

  private static PolicyException refuse(Consumer<Gatehouse.Builder> config) {
    Gatehouse.Builder b = Gatehouse.newBuilder();
    config.accept(b);
    return assertThrows(PolicyException.class, b::build);
  }

  /** Every named method appears in the message and in exactly the problems that name it. */
  private static void assertNames(PolicyException e, String... fullMethodNames) {
    for (String m : fullMethodNames) {
      assertTrue(e.getMessage().contains(m + ":"), () -> m + " not named in " + e.getMessage());
      assertTrue(
          e.problems().stream().anyMatch(p -> p.startsWith(m + ":")),
          () -> m + " not in problems " + e.problems());
    }
  }

  private static void assertNotNamed(PolicyException e, String... fullMethodNames) {
    for (String m : fullMethodNames) {
      assertFalse(e.getMessage().contains(m + ":"), () -> m + " wrongly named: " + e.getMessage());
    }
  }

  private static void assertProblem(PolicyException e, String method, String text) {
    assertTrue(
        e.problems().stream().anyMatch(p -> p.startsWith(method + ":") && p.contains(text)),
        () -> "no problem '" + text + "' for " + method + " in " + e.problems());
  }

  private static Requirements req(List<String> roles, List<String> scopes) {
    return Requirements.of(roles, scopes);
  }

  // ---- merge rules ---------------------------------------------------------------------------

  @Test
  void serviceInternal_methodWithoutOptions_internalWithDefaultRequires() {
    MethodPolicy p =
        resolve(new MergeInternalGrpc.MergeInternalImplBase() {})
            .get(T + "MergeInternal/Inherited");
    assertEquals(Mode.INTERNAL, p.mode());
    assertEquals(Origin.SERVICE, p.modeOrigin());
    assertEquals(req(List.of("svc-role"), List.of()), p.requirements().orElseThrow());
    assertEquals(Origin.SERVICE, p.ruleOrigin().orElseThrow());
  }

  @Test
  void serviceInternal_methodPublicFalse_staysInternal() {
    MethodPolicy p =
        resolve(new MergeInternalGrpc.MergeInternalImplBase() {})
            .get(T + "MergeInternal/PublicFalse");
    assertEquals(Mode.INTERNAL, p.mode());
    assertEquals(Origin.SERVICE, p.modeOrigin());
    assertEquals(req(List.of("svc-role"), List.of()), p.requirements().orElseThrow());
  }

  @Test
  void serviceInternal_methodInternalFalse_gatedWithDefaultRequires() {
    MethodPolicy p =
        resolve(new MergeInternalGrpc.MergeInternalImplBase() {})
            .get(T + "MergeInternal/InternalFalse");
    assertEquals(Mode.GATED, p.mode());
    assertEquals(Origin.DEFAULT, p.modeOrigin());
    assertEquals(req(List.of("svc-role"), List.of()), p.requirements().orElseThrow());
    assertFalse(p.permits(Set.of(), Set.of()));
    assertTrue(p.permits(Set.of("svc-role"), Set.of()));
  }

  @Test
  void serviceInternal_methodPublic_publicWithoutDefaultRequires() {
    MethodPolicy p =
        resolve(new MergeInternalGrpc.MergeInternalImplBase() {})
            .get(T + "MergeInternal/MethodPublic");
    assertEquals(Mode.PUBLIC, p.mode());
    assertEquals(Origin.METHOD, p.modeOrigin());
    assertTrue(p.requirements().isEmpty());
    assertTrue(p.ruleOrigin().isEmpty());
  }

  @Test
  void serviceDefaultRequires_methodRequiresRoles_replacesWholeNeverMerged() {
    MethodPolicy p =
        resolve(new MergeInternalGrpc.MergeInternalImplBase() {})
            .get(T + "MergeInternal/RequiresRoles");
    assertEquals(Mode.INTERNAL, p.mode());
    assertEquals(req(List.of("m-role"), List.of()), p.requirements().orElseThrow());
    assertEquals(Origin.METHOD, p.ruleOrigin().orElseThrow());
    // OR-merging would let the service's role in.
    assertFalse(p.permits(Set.of("svc-role"), Set.of()));
    assertTrue(p.permits(Set.of("m-role"), Set.of()));
  }

  @Test
  void serviceDefaultRoles_methodRequiresScopesOnly_noRoleInherited() {
    MethodPolicy p =
        resolve(new MergeInternalGrpc.MergeInternalImplBase() {})
            .get(T + "MergeInternal/RequiresScopes");
    assertEquals(req(List.of(), List.of("s1", "s2")), p.requirements().orElseThrow());
    assertTrue(p.permits(Set.of(), Set.of("s1", "s2")));
    assertFalse(p.permits(Set.of("svc-role"), Set.of("s1")));
  }

  @Test
  void servicePublic_methodWithoutOptions_publicIgnoringDefaults() {
    Map<String, MethodPolicy> p = resolve(new MergePublicGrpc.MergePublicImplBase() {});
    MethodPolicy inherited = p.get(T + "MergePublic/Inherited");
    assertEquals(Mode.PUBLIC, inherited.mode());
    assertEquals(Origin.SERVICE, inherited.modeOrigin());
    assertTrue(inherited.requirements().isEmpty());
  }

  @Test
  void servicePublic_methodInternalFalse_staysPublic() {
    MethodPolicy p =
        resolve(new MergePublicGrpc.MergePublicImplBase() {}).get(T + "MergePublic/InternalFalse");
    assertEquals(Mode.PUBLIC, p.mode());
    assertEquals(Origin.SERVICE, p.modeOrigin());
  }

  @Test
  void servicePublic_methodInternal_internalWithDefaultRequires() {
    Map<String, MethodPolicy> p = resolve(new MergePublicGrpc.MergePublicImplBase() {});
    MethodPolicy internal = p.get(T + "MergePublic/MethodInternal");
    assertEquals(Mode.INTERNAL, internal.mode());
    assertEquals(Origin.METHOD, internal.modeOrigin());
    assertEquals(req(List.of("pub-default"), List.of()), internal.requirements().orElseThrow());
    MethodPolicy own = p.get(T + "MergePublic/MethodInternalRequires");
    assertEquals(req(List.of(), List.of("x")), own.requirements().orElseThrow());
  }

  @Test
  void servicePublic_methodPublicFalse_gatedWithDefaultRequires() {
    MethodPolicy p =
        resolve(new MergePublicGrpc.MergePublicImplBase() {}).get(T + "MergePublic/PublicFalse");
    assertEquals(Mode.GATED, p.mode());
    assertEquals(req(List.of("pub-default"), List.of()), p.requirements().orElseThrow());
  }

  @Test
  void serviceDefaultPolicyAllow_appliesToGatedOnly() {
    Map<String, MethodPolicy> p = resolve(new MergeAllowGrpc.MergeAllowImplBase() {});
    MethodPolicy inherited = p.get(T + "MergeAllow/Inherited");
    assertEquals(Mode.GATED, inherited.mode());
    assertEquals(Access.ALLOW, inherited.access());
    assertEquals(Origin.SERVICE, inherited.ruleOrigin().orElseThrow());
    assertTrue(inherited.permits(Set.of(), Set.of()));

    MethodPolicy deny = p.get(T + "MergeAllow/MethodDeny");
    assertTrue(deny.deniesEveryone());
    assertEquals(Origin.METHOD, deny.ruleOrigin().orElseThrow());

    MethodPolicy internal = p.get(T + "MergeAllow/MethodInternal");
    assertEquals(Mode.INTERNAL, internal.mode());
    assertTrue(internal.requirements().isEmpty());
    assertTrue(internal.ruleOrigin().isEmpty());

    MethodPolicy requires = p.get(T + "MergeAllow/MethodRequires");
    assertEquals(req(List.of("r"), List.of()), requires.requirements().orElseThrow());
    assertFalse(requires.permits(Set.of(), Set.of()));

    MethodPolicy open = p.get(T + "MergeAllow/MethodPublic");
    assertEquals(Mode.PUBLIC, open.mode());
  }

  @Test
  void serviceDefaultPolicyDeny_methodPolicyAllow_methodWins() {
    Map<String, MethodPolicy> p = resolve(new MergeDenyGrpc.MergeDenyImplBase() {});
    MethodPolicy inherited = p.get(T + "MergeDeny/Inherited");
    assertTrue(inherited.deniesEveryone());
    assertEquals(Origin.SERVICE, inherited.ruleOrigin().orElseThrow());
    MethodPolicy allow = p.get(T + "MergeDeny/MethodAllow");
    assertEquals(Access.ALLOW, allow.access());
    assertEquals(Origin.METHOD, allow.ruleOrigin().orElseThrow());
  }

  @Test
  void serviceDefaultRequires_methodPolicyDeny_deniesEveryone() {
    // Regression: the service's default_requires used to beat the method's own policy, so a
    // method written `policy: POLICY_DENY` let anyone holding the default role in.
    MethodPolicy p =
        resolve(new MergeRequiresPolicyGrpc.MergeRequiresPolicyImplBase() {})
            .get(T + "MergeRequiresPolicy/MethodDeny");
    assertEquals(Mode.GATED, p.mode());
    assertTrue(p.deniesEveryone(), p::describe);
    assertTrue(p.requirements().isEmpty());
    assertEquals(Origin.METHOD, p.ruleOrigin().orElseThrow());
    assertFalse(p.permits(Set.of("base"), Set.of("base:read")));
  }

  @Test
  void serviceDefaultRequires_methodPolicyAllow_methodRuleReplacesDefault() {
    MethodPolicy p =
        resolve(new MergeRequiresPolicyGrpc.MergeRequiresPolicyImplBase() {})
            .get(T + "MergeRequiresPolicy/MethodAllow");
    assertTrue(p.requirements().isEmpty());
    assertEquals(Access.ALLOW, p.access());
    assertEquals(Origin.METHOD, p.ruleOrigin().orElseThrow());
  }

  @Test
  void serviceDefaultRequiresAndDefaultPolicy_inherited_defaultRequiresApplies() {
    Map<String, MethodPolicy> p =
        resolve(new MergeRequiresPolicyGrpc.MergeRequiresPolicyImplBase() {});
    MethodPolicy inherited = p.get(T + "MergeRequiresPolicy/Inherited");
    assertEquals(
        req(List.of("base"), List.of("base:read")), inherited.requirements().orElseThrow());
    assertFalse(inherited.permits(Set.of(), Set.of()));
    MethodPolicy internal = p.get(T + "MergeRequiresPolicy/MethodInternal");
    assertEquals(Mode.INTERNAL, internal.mode());
    assertEquals(req(List.of("base"), List.of("base:read")), internal.requirements().orElseThrow());
  }

  @Test
  void emptyServiceAuth_gatedChainDefaultDeny() {
    Map<String, MethodPolicy> p =
        resolve(new MergeEmptyServiceAuthGrpc.MergeEmptyServiceAuthImplBase() {});
    MethodPolicy inherited = p.get(T + "MergeEmptyServiceAuth/Inherited");
    assertTrue(inherited.deniesEveryone());
    assertEquals(Origin.DEFAULT, inherited.ruleOrigin().orElseThrow());
    assertEquals(Access.ALLOW, p.get(T + "MergeEmptyServiceAuth/MethodAllow").access());
  }

  @Test
  void serviceWithoutOptions_everyMethodGatedDeny() {
    Map<String, MethodPolicy> p = resolve(new NoOptionsGrpc.NoOptionsImplBase() {});
    assertEquals(2, p.size());
    for (MethodPolicy m : p.values()) {
      assertEquals(Mode.GATED, m.mode());
      assertTrue(m.deniesEveryone());
      assertEquals(Origin.DEFAULT, m.modeOrigin());
      assertEquals(Origin.DEFAULT, m.ruleOrigin().orElseThrow());
    }
  }

  @Test
  void probeService_resolvesAsDocumented() {
    Map<String, MethodPolicy> p = resolve(new ProbeGrpc.ProbeImplBase() {});
    assertEquals(Mode.PUBLIC, p.get(T + "Probe/Open").mode());
    assertEquals(Mode.INTERNAL, p.get(T + "Probe/Worker").mode());
    assertTrue(p.get(T + "Probe/Worker").requirements().isEmpty());
    assertEquals(
        req(List.of("trip-finisher"), List.of()),
        p.get(T + "Probe/WorkerFinisher").requirements().orElseThrow());
    assertEquals(Access.ALLOW, p.get(T + "Probe/AnyUser").access());
    assertEquals(
        req(List.of("driver", "admin"), List.of("trips:write")),
        p.get(T + "Probe/Driver").requirements().orElseThrow());
    assertTrue(p.get(T + "Probe/Denied").deniesEveryone());
  }

  // ---- grpc.health.v1.Health -----------------------------------------------------------------

  @Test
  void healthService_noOverride_gatedDeny() {
    Map<String, MethodPolicy> p =
        Gatehouse.newBuilder()
            .addService(new HealthStatusManager().getHealthService())
            .build()
            .policies();
    assertFalse(p.isEmpty());
    assertEquals(HealthGrpc.getServiceDescriptor().getMethods().size(), p.size());
    for (MethodPolicy m : p.values()) {
      assertTrue(m.fullMethodName().startsWith("grpc.health.v1.Health/"));
      assertEquals(Mode.GATED, m.mode());
      assertTrue(m.deniesEveryone());
    }
    assertNotNull(p.get("grpc.health.v1.Health/Check"));
  }

  @Test
  void healthService_publicOverride_everyMethodPublic() {
    Map<String, MethodPolicy> p =
        Gatehouse.newBuilder()
            .addService(new HealthStatusManager().getHealthService())
            .addOverride("grpc.health.v1.Health/*", Mode.PUBLIC)
            .build()
            .policies();
    assertEquals(HealthGrpc.getServiceDescriptor().getMethods().size(), p.size());
    for (MethodPolicy m : p.values()) {
      assertEquals(Mode.PUBLIC, m.mode());
      assertEquals(Origin.OVERRIDE, m.modeOrigin());
    }
  }

  @Test
  void healthService_internalOverrideOnOneMethod_restStaysDeny() {
    Map<String, MethodPolicy> p =
        withAuthenticators()
            .addService(new HealthStatusManager().getHealthService())
            .addOverride("grpc.health.v1.Health/Check", Mode.INTERNAL)
            .build()
            .policies();
    assertEquals(Mode.INTERNAL, p.get("grpc.health.v1.Health/Check").mode());
    assertTrue(p.get("grpc.health.v1.Health/Watch").deniesEveryone());
  }

  // ---- startup failures ------------------------------------------------------------------------

  @Test
  void publicAndInternalOnMethod_refusedNamingEachMethod() {
    PolicyException e = refuse(b -> b.addService(new BadBothMethodGrpc.BadBothMethodImplBase() {}));
    assertNames(e, T + "BadBothMethod/A", T + "BadBothMethod/B");
    assertProblem(e, T + "BadBothMethod/A", "both public and internal");
    assertNotNamed(e, T + "BadBothMethod/Fine");
  }

  @Test
  void publicAndInternalOnService_refusedNamingEveryMethod() {
    PolicyException e =
        refuse(b -> b.addService(new BadBothServiceGrpc.BadBothServiceImplBase() {}));
    assertNames(e, T + "BadBothService/A", T + "BadBothService/B");
    assertProblem(e, T + "BadBothService/B", "service sets both public and internal");
  }

  @Test
  void requiresOnPublic_refusedWrittenOrInherited() {
    PolicyException e =
        refuse(b -> b.addService(new BadRequiresOnPublicGrpc.BadRequiresOnPublicImplBase() {}));
    assertNames(e, T + "BadRequiresOnPublic/A", T + "BadRequiresOnPublic/B");
    assertProblem(e, T + "BadRequiresOnPublic/B", "requires on a public method");
    assertNotNamed(e, T + "BadRequiresOnPublic/Fine");
  }

  @Test
  void policyOnPublic_refused() {
    PolicyException e =
        refuse(b -> b.addService(new BadPolicyOnPublicGrpc.BadPolicyOnPublicImplBase() {}));
    assertNames(e, T + "BadPolicyOnPublic/A", T + "BadPolicyOnPublic/B");
    assertProblem(e, T + "BadPolicyOnPublic/A", "policy on a public method");
    assertNotNamed(e, T + "BadPolicyOnPublic/Fine");
  }

  @Test
  void policyOnInternal_refusedWrittenOrInherited() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new BadPolicyOnInternalGrpc.BadPolicyOnInternalImplBase() {})
                    .addTrustSource(FakeAuthenticator.source("s", "x-svc")));
    assertNames(e, T + "BadPolicyOnInternal/A", T + "BadPolicyOnInternal/B");
    assertProblem(e, T + "BadPolicyOnInternal/A", "policy on an internal method");
    assertNotNamed(e, T + "BadPolicyOnInternal/Fine");
  }

  @Test
  void requiresAndPolicyOnOneMethod_refused() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new BadRequiresAndPolicyGrpc.BadRequiresAndPolicyImplBase() {})
                    .userAuthenticator(FakeAuthenticator.user("authorization")));
    assertNames(e, T + "BadRequiresAndPolicy/A", T + "BadRequiresAndPolicy/B");
    assertProblem(e, T + "BadRequiresAndPolicy/A", "both requires and policy");
    assertNotNamed(e, T + "BadRequiresAndPolicy/Fine");
  }

  @Test
  void emptyRequires_refused() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new BadEmptyRequiresGrpc.BadEmptyRequiresImplBase() {})
                    .userAuthenticator(FakeAuthenticator.user("authorization"))
                    .addTrustSource(FakeAuthenticator.source("s", "x-svc")));
    assertNames(e, T + "BadEmptyRequires/A", T + "BadEmptyRequires/B");
    assertProblem(e, T + "BadEmptyRequires/A", "requires is empty");
    assertNotNamed(e, T + "BadEmptyRequires/Fine");
  }

  @Test
  void emptyDefaultRequires_refusedNamingEveryMethod() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new BadEmptyDefaultRequiresGrpc.BadEmptyDefaultRequiresImplBase() {})
                    .userAuthenticator(FakeAuthenticator.user("authorization"))
                    .addTrustSource(FakeAuthenticator.source("s", "x-svc")));
    assertNames(e, T + "BadEmptyDefaultRequires/A", T + "BadEmptyDefaultRequires/B");
    assertProblem(e, T + "BadEmptyDefaultRequires/A", "default_requires is empty");
  }

  @Test
  void blankOrPaddedRoleOrScope_refused() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new BadBlankRoleGrpc.BadBlankRoleImplBase() {})
                    .userAuthenticator(FakeAuthenticator.user("authorization")));
    assertNames(e, T + "BadBlankRole/A", T + "BadBlankRole/B");
    assertNotNamed(e, T + "BadBlankRole/Fine");
  }

  @Test
  void paddedRoleInDefaultRequires_refusedEvenWhenEveryMethodHasItsOwnRule() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new BadBlankDefaultRoleGrpc.BadBlankDefaultRoleImplBase() {})
                    .userAuthenticator(FakeAuthenticator.user("authorization")));
    assertNames(e, T + "BadBlankDefaultRole/A", T + "BadBlankDefaultRole/B");
    assertProblem(e, T + "BadBlankDefaultRole/A", "service default_requires");
  }

  @Test
  void everyBadService_oneExceptionNamesEveryOffendingMethod() {
    PolicyException e =
        refuse(
            b ->
                withAuthenticatorsInto(b)
                    .addService(new BadBothMethodGrpc.BadBothMethodImplBase() {})
                    .addService(new BadBothServiceGrpc.BadBothServiceImplBase() {})
                    .addService(new BadRequiresOnPublicGrpc.BadRequiresOnPublicImplBase() {})
                    .addService(new BadPolicyOnPublicGrpc.BadPolicyOnPublicImplBase() {})
                    .addService(new BadPolicyOnInternalGrpc.BadPolicyOnInternalImplBase() {})
                    .addService(new BadRequiresAndPolicyGrpc.BadRequiresAndPolicyImplBase() {})
                    .addService(new BadEmptyRequiresGrpc.BadEmptyRequiresImplBase() {})
                    .addService(
                        new BadEmptyDefaultRequiresGrpc.BadEmptyDefaultRequiresImplBase() {})
                    .addService(new BadBlankRoleGrpc.BadBlankRoleImplBase() {})
                    .addService(new ProbeGrpc.ProbeImplBase() {}));
    for (String svc :
        List.of(
            "BadBothMethod",
            "BadBothService",
            "BadRequiresOnPublic",
            "BadPolicyOnPublic",
            "BadPolicyOnInternal",
            "BadRequiresAndPolicy",
            "BadEmptyRequires",
            "BadEmptyDefaultRequires",
            "BadBlankRole")) {
      assertNames(e, T + svc + "/A", T + svc + "/B");
    }
    assertNotNamed(e, T + "Probe/Open", T + "Probe/AnyUser", T + "BadBothMethod/Fine");
  }

  private static Gatehouse.Builder withAuthenticatorsInto(Gatehouse.Builder b) {
    return b.userAuthenticator(FakeAuthenticator.user("authorization"))
        .addTrustSource(FakeAuthenticator.source("fake_service", "x-svc"));
  }

  @Test
  void internalMethodsWithoutTrustSource_refusedNamingEach() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new ProbeGrpc.ProbeImplBase() {})
                    .userAuthenticator(FakeAuthenticator.user("authorization")));
    assertNames(e, T + "Probe/Worker", T + "Probe/WorkerFinisher", T + "Probe/StreamWorker");
    assertProblem(e, T + "Probe/Worker", "no internal trust source");
    assertNotNamed(e, T + "Probe/Open", T + "Probe/AnyUser", T + "Probe/Denied");
  }

  @Test
  void gatedMethodsWithoutUserAuthenticator_refusedNamingEachNonDeny() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new ProbeGrpc.ProbeImplBase() {})
                    .addTrustSource(FakeAuthenticator.source("s", "x-svc")));
    assertNames(e, T + "Probe/AnyUser", T + "Probe/Driver", T + "Probe/StreamAnyUser");
    assertProblem(e, T + "Probe/AnyUser", "no user-JWT issuer");
    assertNotNamed(e, T + "Probe/Denied", T + "Probe/Open", T + "Probe/Worker");
  }

  @Test
  void gatedMethodsAllDeny_noUserAuthenticator_builds() {
    Map<String, MethodPolicy> p =
        Gatehouse.newBuilder()
            .addService(new AllDeniedGrpc.AllDeniedImplBase() {})
            .addService(new NoOptionsGrpc.NoOptionsImplBase() {})
            .build()
            .policies();
    assertTrue(p.get(T + "AllDenied/Plain").deniesEveryone());
    assertTrue(p.get(T + "AllDenied/Explicit").deniesEveryone());
    assertEquals(Mode.PUBLIC, p.get(T + "AllDenied/Open").mode());
  }

  @Test
  void noServices_refused() {
    assertThrows(PolicyException.class, () -> Gatehouse.newBuilder().build());
  }

  @Test
  void overrideMatchingNoMethodOfRegisteredService_refused() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new NoOptionsGrpc.NoOptionsImplBase() {})
                    .addOverride("gatehouse.test.v1.Nope/*", Mode.PUBLIC)
                    .addOverride("gatehouse.test.v1.NoOptions/Third", Mode.PUBLIC));
    assertTrue(e.getMessage().contains("gatehouse.test.v1.NoOptions/Third"), e::getMessage);
    // A service the server does not register is only a startup warning.
    assertFalse(e.getMessage().contains("gatehouse.test.v1.Nope/*"), e::getMessage);
  }

  @Test
  void overrideNamingUnregisteredService_builds() {
    // Prefix only at the slash: NoOption/* names another service, not NoOptions.
    Map<String, MethodPolicy> p =
        Gatehouse.newBuilder()
            .addService(new NoOptionsGrpc.NoOptionsImplBase() {})
            .addOverride("gatehouse.test.v1.NoOption/*", Mode.PUBLIC)
            .build()
            .policies();
    assertTrue(p.get("gatehouse.test.v1.NoOptions/First").deniesEveryone());
  }

  @Test
  void overrideTouchingAnnotatedMethod_refusedNamingMethod() {
    PolicyException e =
        refuse(
            b ->
                withAuthenticatorsInto(b)
                    .addService(new ProbeGrpc.ProbeImplBase() {})
                    .addOverride("gatehouse.test.v1.Probe/Denied", Mode.PUBLIC)
                    // AnyUser has no method_auth but its service has service_auth.
                    .addOverride("gatehouse.test.v1.Probe/AnyUser", Mode.INTERNAL));
    assertNames(e, T + "Probe/Denied", T + "Probe/AnyUser");
    assertProblem(e, T + "Probe/Denied", "touches a method with Gatehouse options");
  }

  @Test
  void overrideServiceWildcardOnAnnotatedService_refusedNamingEveryMethod() {
    PolicyException e =
        refuse(
            b ->
                withAuthenticatorsInto(b)
                    .addService(new ProbeGrpc.ProbeImplBase() {})
                    .addOverride("gatehouse.test.v1.Probe/*", Mode.PUBLIC));
    for (var m : ProbeGrpc.getServiceDescriptor().getMethods()) {
      assertNames(e, m.getFullMethodName());
    }
  }

  @Test
  void overrideMalformedPattern_refusedAtConfiguration() {
    for (String bad :
        List.of(
            "",
            "Health",
            "grpc.health.v1.Health",
            "grpc.health.v1.Health/",
            "grpc.health.v1.Health/**",
            "*/Check",
            "grpc.health.v1.Health/Ch*",
            "/grpc.health.v1.Health/Check",
            "grpc.health.v1.Health/Check/x",
            "grpc.health.v1.Health/Check ")) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> Gatehouse.newBuilder().addOverride(bad, Mode.PUBLIC),
              () -> "accepted " + bad);
      assertTrue(e.getMessage().contains(bad), e::getMessage);
    }
  }

  @Test
  void overrideGatedMode_refused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Gatehouse.newBuilder().addOverride("grpc.health.v1.Health/*", Mode.GATED));
    assertTrue(e.getMessage().contains("grpc.health.v1.Health/*"));
  }

  @Test
  void overrideDeclaredTwice_refusedAndOtherProblemsStillNamed() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new HealthStatusManager().getHealthService())
                    .addService(new BadBothMethodGrpc.BadBothMethodImplBase() {})
                    .addOverride("grpc.health.v1.Health/*", Mode.PUBLIC)
                    .addOverride("grpc.health.v1.Health/*", Mode.INTERNAL));
    assertTrue(e.getMessage().contains("declared twice: grpc.health.v1.Health/*"), e::getMessage);
    assertNames(e, T + "BadBothMethod/A", T + "BadBothMethod/B");
  }

  @Test
  void overlappingOverrides_refusedNamingMethod() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new HealthStatusManager().getHealthService())
                    .addOverride("grpc.health.v1.Health/*", Mode.PUBLIC)
                    .addOverride("grpc.health.v1.Health/Check", Mode.PUBLIC));
    assertNames(e, "grpc.health.v1.Health/Check");
    assertProblem(e, "grpc.health.v1.Health/Check", "more than one override");
  }

  @Test
  void serviceAddedTwice_refusedNamingEveryMethod() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new NoOptionsGrpc.NoOptionsImplBase() {})
                    .addService(new NoOptionsGrpc.NoOptionsImplBase() {}));
    assertTrue(e.getMessage().contains("gatehouse.test.v1.NoOptions: service added twice"));
    assertNames(e, T + "NoOptions/First", T + "NoOptions/Second");
  }

  private static MethodDescriptor<Req, Resp> method(String service, String name) {
    return MethodDescriptor.<Req, Resp>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(service, name))
        .setRequestMarshaller(ProtoUtils.marshaller(Req.getDefaultInstance()))
        .setResponseMarshaller(ProtoUtils.marshaller(Resp.getDefaultInstance()))
        .build();
  }

  private static <ReqT, RespT> ServerCalls.UnaryMethod<ReqT, RespT> noop() {
    return (request, observer) -> observer.onCompleted();
  }

  @Test
  void nonProtoService_refusedNamingEveryMethod() {
    MethodDescriptor<Req, Resp> a = method("x.Manual", "A");
    MethodDescriptor<Req, Resp> bm = method("x.Manual", "B");
    ServerServiceDefinition manual =
        ServerServiceDefinition.builder("x.Manual")
            .addMethod(a, ServerCalls.asyncUnaryCall(noop()))
            .addMethod(bm, ServerCalls.asyncUnaryCall(noop()))
            .build();
    PolicyException e = refuse(b -> b.addService(manual));
    assertNames(e, "x.Manual/A", "x.Manual/B");
    assertProblem(e, "x.Manual/A", "no protobuf schema descriptor");
  }

  @Test
  void methodNotInItsProtoDescriptor_refusedAtBuild() {
    // A definition that borrows NoOptions' schema but serves an extra method: that method has no
    // resolved policy, which used to be only a warning at build and a denial per call.
    ServiceDescriptor.Builder sd =
        ServiceDescriptor.newBuilder(T + "NoOptions")
            .setSchemaDescriptor(NoOptionsGrpc.getServiceDescriptor().getSchemaDescriptor());
    List<MethodDescriptor<Req, Resp>> methods =
        List.of(method(T + "NoOptions", "First"), method(T + "NoOptions", "Second"));
    MethodDescriptor<Req, Resp> extra = method(T + "NoOptions", "Extra");
    for (MethodDescriptor<Req, Resp> m : methods) {
      sd.addMethod(m);
    }
    sd.addMethod(extra);
    ServerServiceDefinition.Builder def = ServerServiceDefinition.builder(sd.build());
    for (MethodDescriptor<Req, Resp> m : methods) {
      def.addMethod(m, ServerCalls.asyncUnaryCall(noop()));
    }
    def.addMethod(extra, ServerCalls.asyncUnaryCall(noop()));
    ServerServiceDefinition built = def.build();
    PolicyException e = refuse(b -> b.addService(built));
    assertNames(e, T + "NoOptions/Extra");
    assertNotNamed(e, T + "NoOptions/First");
  }

  @Test
  void serviceNameDiffersFromItsProtoDescriptor_refusedNamingEveryMethod() {
    // Served as evil.Svc while borrowing the schema of a public-everything service.
    ServiceDescriptor.Builder sd =
        ServiceDescriptor.newBuilder("evil.Svc")
            .setSchemaDescriptor(AllDeniedGrpc.getServiceDescriptor().getSchemaDescriptor());
    MethodDescriptor<Req, Resp> open = method("evil.Svc", "Open");
    sd.addMethod(open);
    ServerServiceDefinition built =
        ServerServiceDefinition.builder(sd.build())
            .addMethod(open, ServerCalls.asyncUnaryCall(noop()))
            .build();
    PolicyException e = refuse(b -> b.addService(built));
    assertNames(e, "evil.Svc/Open");
  }

  @Test
  void userAuthenticatorThatIsATrustSource_refused() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new ProbeGrpc.ProbeImplBase() {})
                    .userAuthenticator(FakeAuthenticator.source("svc-as-user", "authorization"))
                    .addTrustSource(FakeAuthenticator.source("fake_service", "x-svc")));
    assertTrue(e.getMessage().contains("svc-as-user is an internal trust source"), e::getMessage);
  }

  @Test
  void authenticatorNamesTwice_refused() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new ProbeGrpc.ProbeImplBase() {})
                    .userAuthenticator(FakeAuthenticator.user("authorization"))
                    .addTrustSource(FakeAuthenticator.source("same", "x-a"))
                    .addTrustSource(FakeAuthenticator.source("same", "x-b")));
    assertTrue(e.getMessage().contains("authenticator name same is used twice"), e::getMessage);
  }

  @Test
  void invalidCredentialHeaderName_refusedAtBuildNotPerCall() {
    PolicyException e =
        refuse(
            b ->
                b.addService(new ProbeGrpc.ProbeImplBase() {})
                    .userAuthenticator(FakeAuthenticator.user("x-token-bin"))
                    .addTrustSource(FakeAuthenticator.source("s", "bad header")));
    assertTrue(
        e.getMessage().contains("invalid credential header name x-token-bin"), e::getMessage);
    assertTrue(e.getMessage().contains("invalid credential header name bad header"), e::getMessage);
  }

  @Test
  void build_logsOneLinePerMethod() {
    // Asserted through the returned policies' describe(), which is what the log line prints.
    Gatehouse g = withAuthenticators().addService(new ProbeGrpc.ProbeImplBase() {}).build();
    assertEquals(ProbeGrpc.getServiceDescriptor().getMethods().size(), g.policies().size());
    assertEquals(
        "gatehouse.test.v1.Probe/WorkerFinisher: INTERNAL (method), requires roles any of"
            + " [trip-finisher] (method)",
        g.policies().get(T + "Probe/WorkerFinisher").describe());
    assertThrows(
        UnsupportedOperationException.class,
        () -> g.policies().put("x.Y/Z", g.policies().get(T + "Probe/Open")));
  }

  @Test
  void modeOverride_value() {
    ModeOverride o = ModeOverride.of("grpc.health.v1.Health/*", Mode.INTERNAL);
    assertTrue(o.matches("grpc.health.v1.Health/Check"));
    assertFalse(o.matches("grpc.health.v1.HealthX/Check"));
    assertFalse(o.matches("grpc.health.v1/Health/Check"));
    assertEquals(o, ModeOverride.of("grpc.health.v1.Health/*", Mode.INTERNAL));
  }
}
