package dev.gatehouse.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.gatehouse.policy.PolicyException;
import dev.gatehouse.testing.ManyMethodServices;
import io.grpc.ServerServiceDefinition;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A served method must be a method of the proto descriptor its policy is read from: a definition
 * that serves a method its descriptor lacks, or that names another service, is refused at build.
 */
class DescriptorMismatchTest {

  /** {@code dyn.S} with the single method {@code A}, no options. */
  private static ServiceDescriptor protoService() throws Exception {
    FileDescriptorProto file =
        FileDescriptorProto.newBuilder()
            .setName("dyn_mismatch.proto")
            .setPackage("dyn")
            .setSyntax("proto3")
            .addMessageType(DescriptorProto.newBuilder().setName("M"))
            .addService(
                ServiceDescriptorProto.newBuilder()
                    .setName("S")
                    .addMethod(
                        MethodDescriptorProto.newBuilder()
                            .setName("A")
                            .setInputType(".dyn.M")
                            .setOutputType(".dyn.M")))
            .build();
    return FileDescriptor.buildFrom(file, new FileDescriptor[0]).findServiceByName("S");
  }

  /**
   * {@code dyn.S} with method {@code A}, in a file importing another that also declares a service
   * {@code dyn.S}, with method {@code B}: protobuf-java builds it, and {@code
   * findMethodByName("B")} on the first service answers the dependency's method.
   */
  private static ServiceDescriptor shadowedProtoService() throws Exception {
    FileDescriptorProto dep =
        FileDescriptorProto.newBuilder()
            .setName("dyn_shadow_dep.proto")
            .setPackage("dyn")
            .setSyntax("proto3")
            .addMessageType(DescriptorProto.newBuilder().setName("N"))
            .addService(
                ServiceDescriptorProto.newBuilder()
                    .setName("S")
                    .addMethod(
                        MethodDescriptorProto.newBuilder()
                            .setName("B")
                            .setInputType(".dyn.N")
                            .setOutputType(".dyn.N")))
            .build();
    FileDescriptorProto main =
        FileDescriptorProto.newBuilder()
            .setName("dyn_shadow_main.proto")
            .setPackage("dyn")
            .setSyntax("proto3")
            .addDependency("dyn_shadow_dep.proto")
            .addService(
                ServiceDescriptorProto.newBuilder()
                    .setName("S")
                    .addMethod(
                        MethodDescriptorProto.newBuilder()
                            .setName("A")
                            .setInputType(".dyn.N")
                            .setOutputType(".dyn.N")))
            .build();
    FileDescriptor depFile = FileDescriptor.buildFrom(dep, new FileDescriptor[0]);
    return FileDescriptor.buildFrom(main, new FileDescriptor[] {depFile}).findServiceByName("S");
  }

  /** A served definition named {@code grpcName}, serving {@code methods}, with this schema. */
  private static ServerServiceDefinition served(
      String grpcName, ServiceDescriptor schema, String... methods) {
    return ManyMethodServices.served(grpcName, schema, List.of(methods));
  }

  private static PolicyException refuse(ServerServiceDefinition def) {
    return assertThrows(
        PolicyException.class,
        () ->
            Gatehouse.newBuilder()
                .userAuthenticator(FakeAuthenticator.user("authorization"))
                .addTrustSource(FakeAuthenticator.source("src1", "x-svc"))
                .addService(def)
                .build());
  }

  @Test
  void servedMethodTheDescriptorLacks_refusedNamingOnlyIt() throws Exception {
    PolicyException e = refuse(served("dyn.S", protoService(), "A", "B"));
    assertEquals(
        List.of(
            "dyn.S/B: not a method of its proto descriptor dyn.S, so its policy cannot be read"),
        e.problems());
  }

  @Test
  void definitionNamingAnotherService_everyMethodRefused() throws Exception {
    PolicyException e = refuse(served("dyn.T", protoService(), "A"));
    assertEquals(
        List.of(
            "dyn.T/A: not a method of its proto descriptor dyn.S, so its policy cannot be read"),
        e.problems());
  }

  @Test
  void servedMethodOfAnotherFilesServiceWithTheSameName_refused() throws Exception {
    ServiceDescriptor shadowed = shadowedProtoService();
    // The premise: the pool lends the dependency's method to this service's lookup.
    assertEquals(
        "dyn_shadow_dep.proto", shadowed.findMethodByName("B").getService().getFile().getName());
    PolicyException e = refuse(served("dyn.S", shadowed, "A", "B"));
    assertEquals(
        List.of(
            "dyn.S/B: not a method of its proto descriptor dyn.S, so its policy cannot be read"),
        e.problems());
  }

  @Test
  void servedMethodsAllInTheDescriptor_build() throws Exception {
    try (Gatehouse g =
        Gatehouse.newBuilder()
            .userAuthenticator(FakeAuthenticator.user("authorization"))
            .addService(served("dyn.S", protoService(), "A"))
            .build()) {
      assertEquals(List.of("dyn.S/A"), List.copyOf(g.policies().keySet()));
    }
  }
}
