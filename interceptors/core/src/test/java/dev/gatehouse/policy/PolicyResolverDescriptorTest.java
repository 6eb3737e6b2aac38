package dev.gatehouse.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceOptions;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.gatehouse.auth.v1.MethodAuth;
import dev.gatehouse.auth.v1.OptionsProto;
import dev.gatehouse.auth.v1.Policy;
import dev.gatehouse.auth.v1.Requires;
import dev.gatehouse.auth.v1.ServiceAuth;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Descriptors built at run time: unknown enum values, and options read without our registry. */
class PolicyResolverDescriptorTest {

  private static ServiceDescriptor service(ServiceOptions serviceOptions, MethodOptions... methods)
      throws Exception {
    ServiceDescriptorProto.Builder s =
        ServiceDescriptorProto.newBuilder().setName("S").setOptions(serviceOptions);
    char name = 'A';
    for (MethodOptions m : methods) {
      s.addMethod(
          MethodDescriptorProto.newBuilder()
              .setName(String.valueOf(name++))
              .setInputType(".dyn.M")
              .setOutputType(".dyn.M")
              .setOptions(m));
    }
    FileDescriptorProto file =
        FileDescriptorProto.newBuilder()
            .setName("dyn.proto")
            .setPackage("dyn")
            .setSyntax("proto3")
            .addMessageType(DescriptorProto.newBuilder().setName("M"))
            .addService(s)
            .build();
    return FileDescriptor.buildFrom(file, new FileDescriptor[0]).findServiceByName("S");
  }

  private static MethodOptions method(MethodAuth auth) {
    return MethodOptions.newBuilder().setExtension(OptionsProto.methodAuth, auth).build();
  }

  @Test
  void unknownMethodPolicyValue_policyExceptionNamingMethod() throws Exception {
    ServiceDescriptor s =
        service(
            ServiceOptions.getDefaultInstance(),
            method(MethodAuth.newBuilder().setPolicyValue(7).build()),
            method(MethodAuth.newBuilder().setPolicy(Policy.POLICY_ALLOW).build()));
    PolicyException e =
        assertThrows(
            PolicyException.class, () -> PolicyResolver.create(List.of()).resolve(List.of(s)));
    assertTrue(e.getMessage().contains("dyn.S/A: unknown policy value 7"), e::getMessage);
    assertEquals(1, e.problems().size(), e::getMessage);
  }

  @Test
  void unknownServiceDefaultPolicyValue_policyExceptionNamingMethods() throws Exception {
    ServiceDescriptor s =
        service(
            ServiceOptions.newBuilder()
                .setExtension(
                    OptionsProto.serviceAuth,
                    ServiceAuth.newBuilder().setDefaultPolicyValue(9).build())
                .build(),
            MethodOptions.getDefaultInstance(),
            MethodOptions.getDefaultInstance());
    PolicyException e =
        assertThrows(
            PolicyException.class, () -> PolicyResolver.create(List.of()).resolve(List.of(s)));
    assertTrue(e.getMessage().contains("dyn.S/A: unknown service default_policy value 9"));
    assertTrue(e.getMessage().contains("dyn.S/B: unknown service default_policy value 9"));
  }

  @Test
  void optionsReadWithoutRegistry_stillResolved() throws Exception {
    // As if read from a descriptor set without our ExtensionRegistry: options land in unknown
    // fields; the resolver must not mistake the method for an unannotated one.
    MethodOptions annotated =
        method(
            MethodAuth.newBuilder()
                .setInternal(true)
                .setRequires(Requires.newBuilder().addRoles("r"))
                .build());
    MethodOptions unknown = MethodOptions.parseFrom(annotated.toByteString());
    assertTrue(unknown.getUnknownFields().hasField(OptionsProto.methodAuth.getNumber()));
    ServiceOptions serviceUnknown =
        ServiceOptions.parseFrom(
            ServiceOptions.newBuilder()
                .setExtension(
                    OptionsProto.serviceAuth,
                    ServiceAuth.newBuilder().setDefaultPolicy(Policy.POLICY_ALLOW).build())
                .build()
                .toByteString());
    ServiceDescriptor s = service(serviceUnknown, unknown, MethodOptions.getDefaultInstance());
    Map<String, MethodPolicy> p = PolicyResolver.create(List.of()).resolve(List.of(s));
    assertEquals(Mode.INTERNAL, p.get("dyn.S/A").mode());
    assertEquals(Requirements.of(List.of("r"), List.of()), p.get("dyn.S/A").requirements().get());
    assertEquals(Access.ALLOW, p.get("dyn.S/B").access());
    assertEquals(Origin.SERVICE, p.get("dyn.S/B").ruleOrigin().get());
  }

  @Test
  void overrideOnDynamicServiceWithoutOptions_applies() throws Exception {
    ServiceDescriptor s =
        service(ServiceOptions.getDefaultInstance(), MethodOptions.getDefaultInstance());
    Map<String, MethodPolicy> p =
        PolicyResolver.create(List.of(ModeOverride.of("dyn.S/A", Mode.INTERNAL)))
            .resolve(List.of(s));
    assertEquals(Mode.INTERNAL, p.get("dyn.S/A").mode());
    assertEquals(Origin.OVERRIDE, p.get("dyn.S/A").modeOrigin());
  }

  @Test
  void createWithDuplicateOverride_refused() {
    assertThrows(
        PolicyException.class,
        () ->
            PolicyResolver.create(
                List.of(
                    ModeOverride.of("a.B/*", Mode.PUBLIC), ModeOverride.of("a.B/*", Mode.PUBLIC))));
  }
}
