package dev.gatehouse.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceOptions;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.UnknownFieldSet;
import dev.gatehouse.auth.v1.MethodAuth;
import dev.gatehouse.auth.v1.OptionsProto;
import dev.gatehouse.auth.v1.Policy;
import dev.gatehouse.auth.v1.Requires;
import dev.gatehouse.auth.v1.ServiceAuth;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Many methods carry the same option bytes, and resolution reads each distinct set once: every
 * method still gets the policy its own options give, under its own name, and methods whose options
 * differ never share a result.
 */
class PolicyResolverSharedOptionsTest {

  /** Services {@code dyn.S0}, {@code dyn.S1}, ..., methods {@code A}, {@code B}, ... each. */
  private static List<ServiceDescriptor> services(
      List<ServiceOptions> serviceOptions, MethodOptions... methods) throws Exception {
    FileDescriptorProto.Builder file =
        FileDescriptorProto.newBuilder()
            .setName("dyn.proto")
            .setPackage("dyn")
            .setSyntax("proto3")
            .addMessageType(DescriptorProto.newBuilder().setName("M"));
    for (int i = 0; i < serviceOptions.size(); i++) {
      ServiceDescriptorProto.Builder s =
          ServiceDescriptorProto.newBuilder().setName("S" + i).setOptions(serviceOptions.get(i));
      char name = 'A';
      for (MethodOptions m : methods) {
        s.addMethod(
            MethodDescriptorProto.newBuilder()
                .setName(String.valueOf(name++))
                .setInputType(".dyn.M")
                .setOutputType(".dyn.M")
                .setOptions(m));
      }
      file.addService(s);
    }
    return FileDescriptor.buildFrom(file.build(), new FileDescriptor[0]).getServices();
  }

  private static ServiceDescriptor service(MethodOptions... methods) throws Exception {
    return services(List.of(ServiceOptions.getDefaultInstance()), methods).get(0);
  }

  /** Options as protoc output carries them: our option an unknown field, no registry. */
  private static MethodOptions unknown(MethodAuth auth) throws Exception {
    MethodOptions options =
        MethodOptions.parseFrom(
            MethodOptions.newBuilder()
                .setExtension(OptionsProto.methodAuth, auth)
                .build()
                .toByteString());
    assertTrue(options.getUnknownFields().hasField(OptionsProto.methodAuth.getNumber()));
    return options;
  }

  private static ServiceOptions unknown(ServiceAuth auth) throws Exception {
    return ServiceOptions.parseFrom(
        ServiceOptions.newBuilder()
            .setExtension(OptionsProto.serviceAuth, auth)
            .build()
            .toByteString());
  }

  private static MethodAuth requiresRoles(String... roles) {
    return MethodAuth.newBuilder()
        .setRequires(Requires.newBuilder().addAllRoles(List.of(roles)))
        .build();
  }

  private static Map<String, MethodPolicy> resolve(List<ServiceDescriptor> services) {
    return PolicyResolver.create(List.of()).resolve(services);
  }

  @Test
  void methodsWithIdenticalOptionBytes_eachGetsItsPolicyUnderItsOwnName() throws Exception {
    MethodAuth internal =
        MethodAuth.newBuilder()
            .setInternal(true)
            .setRequires(Requires.newBuilder().addRoles("billing"))
            .build();
    ServiceDescriptor s = service(unknown(internal), unknown(internal), unknown(internal));
    Map<String, MethodPolicy> p = resolve(List.of(s));
    assertEquals(List.of("dyn.S0/A", "dyn.S0/B", "dyn.S0/C"), new ArrayList<>(p.keySet()));
    for (String name : p.keySet()) {
      MethodPolicy policy = p.get(name);
      assertEquals(name, policy.fullMethodName());
      assertEquals(Mode.INTERNAL, policy.mode());
      assertEquals(Origin.METHOD, policy.modeOrigin());
      assertEquals(
          Requirements.of(List.of("billing"), List.of()), policy.requirements().orElseThrow());
      assertTrue(policy.permits(java.util.Set.of("billing"), java.util.Set.of()));
      assertFalse(policy.permits(java.util.Set.of("other"), java.util.Set.of()));
    }
  }

  @Test
  void methodsWithDifferentOptionBytes_doNotShareAPolicy() throws Exception {
    ServiceDescriptor s =
        service(
            unknown(requiresRoles("a")),
            unknown(requiresRoles("b")),
            unknown(requiresRoles("a", "b")),
            unknown(MethodAuth.newBuilder().setPolicy(Policy.POLICY_DENY).build()),
            unknown(MethodAuth.newBuilder().setPublic(true).build()),
            MethodOptions.getDefaultInstance(),
            unknown(requiresRoles("a")));
    Map<String, MethodPolicy> p = resolve(List.of(s));
    assertEquals(
        Requirements.of(List.of("a"), List.of()), p.get("dyn.S0/A").requirements().orElseThrow());
    assertEquals(
        Requirements.of(List.of("b"), List.of()), p.get("dyn.S0/B").requirements().orElseThrow());
    assertEquals(
        Requirements.of(List.of("a", "b"), List.of()),
        p.get("dyn.S0/C").requirements().orElseThrow());
    assertTrue(p.get("dyn.S0/D").deniesEveryone());
    assertEquals(Origin.METHOD, p.get("dyn.S0/D").ruleOrigin().orElseThrow());
    assertEquals(Mode.PUBLIC, p.get("dyn.S0/E").mode());
    // Nothing written: denied to everyone by default, not any neighbour's rule.
    assertTrue(p.get("dyn.S0/F").deniesEveryone());
    assertEquals(Origin.DEFAULT, p.get("dyn.S0/F").ruleOrigin().orElseThrow());
    // The first set of bytes again, after others: still its own policy.
    assertEquals(
        Requirements.of(List.of("a"), List.of()), p.get("dyn.S0/G").requirements().orElseThrow());
    assertFalse(p.get("dyn.S0/A").permits(java.util.Set.of("b"), java.util.Set.of()));
    assertFalse(p.get("dyn.S0/G").permits(java.util.Set.of("b"), java.util.Set.of()));
  }

  @Test
  void sameOptionReadThroughTheRegistryOrAsUnknownBytes_samePolicy() throws Exception {
    MethodAuth auth = requiresRoles("r");
    MethodOptions known =
        MethodOptions.newBuilder().setExtension(OptionsProto.methodAuth, auth).build();
    ServiceDescriptor s = service(known, unknown(auth));
    Map<String, MethodPolicy> p = resolve(List.of(s));
    assertEquals(
        p.get("dyn.S0/A").requirements().orElseThrow(),
        p.get("dyn.S0/B").requirements().orElseThrow());
    assertEquals(Mode.GATED, p.get("dyn.S0/B").mode());
  }

  @Test
  void methodsSharingOneOptionsInstanceReadThroughTheRegistry_eachGetsItsPolicy() throws Exception {
    MethodOptions shared =
        MethodOptions.newBuilder()
            .setExtension(OptionsProto.methodAuth, MethodAuth.newBuilder().setPublic(true).build())
            .build();
    ServiceDescriptor s = service(shared, MethodOptions.getDefaultInstance(), shared);
    Map<String, MethodPolicy> p = resolve(List.of(s));
    assertEquals(Mode.PUBLIC, p.get("dyn.S0/A").mode());
    assertEquals(Origin.METHOD, p.get("dyn.S0/A").modeOrigin());
    assertTrue(p.get("dyn.S0/B").deniesEveryone());
    assertEquals(Mode.PUBLIC, p.get("dyn.S0/C").mode());
    assertEquals("dyn.S0/C", p.get("dyn.S0/C").fullMethodName());
  }

  @Test
  void methodsWithoutOptions_eachDeniedByDefaultUnlessTheServiceWritesARule() throws Exception {
    List<ServiceDescriptor> s =
        services(
            List.of(
                ServiceOptions.getDefaultInstance(),
                unknown(ServiceAuth.newBuilder().setDefaultPolicy(Policy.POLICY_ALLOW).build())),
            MethodOptions.getDefaultInstance(),
            MethodOptions.getDefaultInstance());
    Map<String, MethodPolicy> p = resolve(s);
    assertTrue(p.get("dyn.S0/A").deniesEveryone());
    assertTrue(p.get("dyn.S0/B").deniesEveryone());
    assertEquals(Access.ALLOW, p.get("dyn.S1/A").access());
    assertEquals(Origin.SERVICE, p.get("dyn.S1/B").ruleOrigin().orElseThrow());
    assertFalse(p.get("dyn.S1/B").deniesEveryone());
  }

  @Test
  void servicesWithIdenticalOptionBytes_eachAppliesItsDefaultToItsOwnMethods() throws Exception {
    ServiceOptions defaults =
        unknown(
            ServiceAuth.newBuilder()
                .setDefaultRequires(Requires.newBuilder().addRoles("reader"))
                .build());
    List<ServiceDescriptor> s =
        services(List.of(defaults, defaults), MethodOptions.getDefaultInstance());
    Map<String, MethodPolicy> p = resolve(s);
    assertEquals(List.of("dyn.S0/A", "dyn.S1/A"), new ArrayList<>(p.keySet()));
    for (MethodPolicy policy : p.values()) {
      assertEquals(Origin.SERVICE, policy.ruleOrigin().orElseThrow());
      assertEquals(
          Requirements.of(List.of("reader"), List.of()), policy.requirements().orElseThrow());
    }
  }

  @Test
  void identicalInvalidOptionBytes_everyMethodCarryingThemIsNamed() throws Exception {
    MethodAuth padded = requiresRoles(" admin");
    ServiceDescriptor s = service(unknown(padded), unknown(requiresRoles("ok")), unknown(padded));
    PolicyException e = assertThrows(PolicyException.class, () -> resolve(List.of(s)));
    assertEquals(
        List.of(
            "dyn.S0/A: blank or padded role in requirements",
            "dyn.S0/C: blank or padded role in requirements"),
        e.problems());
  }

  @Test
  void identicalInvalidServiceDefault_reportedForEveryServiceAndMethod() throws Exception {
    ServiceOptions bad =
        unknown(
            ServiceAuth.newBuilder()
                .setDefaultRequires(Requires.newBuilder().addRoles(""))
                .build());
    List<ServiceDescriptor> s = services(List.of(bad, bad), MethodOptions.getDefaultInstance());
    PolicyException e = assertThrows(PolicyException.class, () -> resolve(s));
    assertEquals(
        List.of(
            "dyn.S0/A: service default_requires: blank or padded role in requirements",
            "dyn.S1/A: service default_requires: blank or padded role in requirements"),
        e.problems());
  }

  /** Our option's field holding bytes that are no message (a length running past the end). */
  private static UnknownFieldSet garbageAt(int fieldNumber) {
    return UnknownFieldSet.newBuilder()
        .addField(
            fieldNumber,
            UnknownFieldSet.Field.newBuilder()
                .addLengthDelimited(ByteString.copyFrom(new byte[] {0x0a, 0x05}))
                .build())
        .build();
  }

  @Test
  void unreadableMethodOptions_everyMethodNamed_otherProblemsStillReported() throws Exception {
    MethodOptions garbage =
        MethodOptions.newBuilder()
            .setUnknownFields(garbageAt(OptionsProto.methodAuth.getNumber()))
            .build();
    ServiceDescriptor s = service(garbage, unknown(requiresRoles(" admin")), garbage);
    PolicyException e = assertThrows(PolicyException.class, () -> resolve(List.of(s)));
    assertEquals(3, e.problems().size(), e::getMessage);
    assertTrue(
        e.problems().get(0).startsWith("dyn.S0/A: unreadable method_auth option ("), e::getMessage);
    assertEquals("dyn.S0/B: blank or padded role in requirements", e.problems().get(1));
    assertTrue(
        e.problems().get(2).startsWith("dyn.S0/C: unreadable method_auth option ("), e::getMessage);
  }

  @Test
  void unreadableServiceOptions_serviceNamed_otherServicesStillResolved() throws Exception {
    ServiceOptions garbage =
        ServiceOptions.newBuilder()
            .setUnknownFields(garbageAt(OptionsProto.serviceAuth.getNumber()))
            .build();
    List<ServiceDescriptor> s =
        services(
            List.of(garbage, ServiceOptions.getDefaultInstance()),
            unknown(requiresRoles(" admin")));
    PolicyException e = assertThrows(PolicyException.class, () -> resolve(s));
    assertEquals(2, e.problems().size(), e::getMessage);
    assertTrue(
        e.problems().get(0).startsWith("dyn.S0: unreadable service_auth option ("), e::getMessage);
    assertEquals("dyn.S1/A: blank or padded role in requirements", e.problems().get(1));
  }

  @Test
  void unreadableOptions_overrideNamingTheSkippedMethods_notReportedAsMatchingNothing()
      throws Exception {
    MethodOptions garbageMethod =
        MethodOptions.newBuilder()
            .setUnknownFields(garbageAt(OptionsProto.methodAuth.getNumber()))
            .build();
    ServiceOptions garbageService =
        ServiceOptions.newBuilder()
            .setUnknownFields(garbageAt(OptionsProto.serviceAuth.getNumber()))
            .build();
    List<ServiceDescriptor> s =
        services(List.of(ServiceOptions.getDefaultInstance(), garbageService), garbageMethod);
    PolicyResolver resolver =
        PolicyResolver.create(
            List.of(
                ModeOverride.of("dyn.S0/A", Mode.INTERNAL),
                ModeOverride.of("dyn.S1/*", Mode.INTERNAL)));
    PolicyException e = assertThrows(PolicyException.class, () -> resolver.resolve(s));
    assertEquals(2, e.problems().size(), e::getMessage);
    assertTrue(
        e.problems().get(0).startsWith("dyn.S0/A: unreadable method_auth option ("), e::getMessage);
    assertTrue(
        e.problems().get(1).startsWith("dyn.S1: unreadable service_auth option ("), e::getMessage);
  }

  @Test
  void unreadableMethodOptions_serviceDefaultRequiresUser_notReportedAsWithoutInternalMethod()
      throws Exception {
    ServiceOptions defaultUser =
        unknown(
            ServiceAuth.newBuilder()
                .setDefaultRequiresUser(Requires.newBuilder().addRoles("driver"))
                .build());
    MethodOptions garbage =
        MethodOptions.newBuilder()
            .setUnknownFields(garbageAt(OptionsProto.methodAuth.getNumber()))
            .build();
    List<ServiceDescriptor> s = services(List.of(defaultUser), garbage);
    PolicyException e = assertThrows(PolicyException.class, () -> resolve(s));
    assertEquals(1, e.problems().size(), e::getMessage);
    assertTrue(
        e.problems().get(0).startsWith("dyn.S0/A: unreadable method_auth option ("), e::getMessage);
  }

  @Test
  void serviceDefaultRequiresUser_withoutInternalMethod_stillReported() throws Exception {
    ServiceOptions defaultUser =
        unknown(
            ServiceAuth.newBuilder()
                .setDefaultRequiresUser(Requires.newBuilder().addRoles("driver"))
                .build());
    List<ServiceDescriptor> s = services(List.of(defaultUser), MethodOptions.getDefaultInstance());
    PolicyException e = assertThrows(PolicyException.class, () -> resolve(s));
    assertEquals(
        List.of("dyn.S0: default_requires_user but the service has no internal method"),
        e.problems());
  }
}
