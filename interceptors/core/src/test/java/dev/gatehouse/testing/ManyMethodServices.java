package dev.gatehouse.testing;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceOptions;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.gatehouse.auth.v1.MethodAuth;
import dev.gatehouse.auth.v1.OptionsProto;
import dev.gatehouse.auth.v1.Policy;
import dev.gatehouse.auth.v1.Requires;
import dev.gatehouse.auth.v1.ServiceAuth;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds any number of protoc-like services at run time (dynamic descriptors with Gatehouse options
 * set), for startup tests and benchmarks of servers with thousands of methods.
 *
 * <p>Each descriptor goes through its serialized form and is parsed without an extension registry,
 * as generated code does, so the Gatehouse options arrive as unknown fields exactly as they do from
 * protoc output. Method {@code i} of a service is public when {@code i % 4 == 0}, internal with a
 * role when {@code i % 4 == 1}, gated with a role and a scope when {@code i % 4 == 2}, and gated by
 * the service's default policy (ALLOW) otherwise.
 */
public final class ManyMethodServices {
  private ManyMethodServices() {}

  /** Counts of the modes {@link #build} gives {@code methodsPerService} methods of one service. */
  public record ModeCounts(int publicCount, int internalCount, int gatedCount) {}

  /** The modes of one service of {@code methodsPerService} methods. */
  public static ModeCounts modesPerService(int methodsPerService) {
    int pub = 0;
    int internal = 0;
    for (int i = 0; i < methodsPerService; i++) {
      if (i % 4 == 0) {
        pub++;
      } else if (i % 4 == 1) {
        internal++;
      }
    }
    return new ModeCounts(pub, internal, methodsPerService - pub - internal);
  }

  /**
   * {@code services} services {@code bench.v1.ServiceN} of {@code methodsPerService} unary methods
   * each, every one with a trivial handler.
   */
  public static List<ServerServiceDefinition> build(int services, int methodsPerService) {
    List<ServerServiceDefinition> out = new ArrayList<>(services);
    for (int s = 0; s < services; s++) {
      out.add(service(s, methodsPerService));
    }
    return out;
  }

  private static ServerServiceDefinition service(int index, int methods) {
    String name = "Service" + index;
    ServiceDescriptorProto.Builder service =
        ServiceDescriptorProto.newBuilder()
            .setName(name)
            .setOptions(
                ServiceOptions.newBuilder()
                    .setExtension(
                        OptionsProto.serviceAuth,
                        ServiceAuth.newBuilder().setDefaultPolicy(Policy.POLICY_ALLOW).build()));
    for (int i = 0; i < methods; i++) {
      MethodDescriptorProto.Builder m =
          MethodDescriptorProto.newBuilder()
              .setName("Method" + i)
              .setInputType(".bench.v1.Msg")
              .setOutputType(".bench.v1.Msg");
      MethodAuth auth =
          switch (i % 4) {
            case 0 -> MethodAuth.newBuilder().setPublic(true).build();
            case 1 ->
                MethodAuth.newBuilder()
                    .setInternal(true)
                    .setRequires(Requires.newBuilder().addRoles("svc-" + (i % 7)))
                    .build();
            case 2 ->
                MethodAuth.newBuilder()
                    .setRequires(
                        Requires.newBuilder()
                            .addRoles("role-" + (i % 5))
                            .addScopes("scope:" + (i % 3)))
                    .build();
            default -> null;
          };
      if (auth != null) {
        m.setOptions(MethodOptions.newBuilder().setExtension(OptionsProto.methodAuth, auth));
      }
      service.addMethod(m);
    }
    FileDescriptorProto proto =
        FileDescriptorProto.newBuilder()
            .setName("bench/v1/service" + index + ".proto")
            .setPackage("bench.v1")
            .setSyntax("proto3")
            .addDependency("gatehouse/auth/v1/options.proto")
            .addMessageType(DescriptorProto.newBuilder().setName("Msg"))
            .addService(service)
            .build();
    FileDescriptor file;
    try {
      // As generated code does: from bytes, without an extension registry.
      file =
          FileDescriptor.buildFrom(
              FileDescriptorProto.parseFrom(proto.toByteArray()),
              new FileDescriptor[] {OptionsProto.getDescriptor()});
    } catch (DescriptorValidationException | InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
    ServiceDescriptor descriptor = file.getServices().get(0);
    List<String> names = new ArrayList<>(methods);
    for (int i = 0; i < methods; i++) {
      names.add("Method" + i);
    }
    return served(descriptor.getFullName(), descriptor, names);
  }

  /**
   * A served definition named {@code grpcName} with {@code schema} as its proto descriptor, serving
   * unary {@code methods} (raw bytes both ways, echoed), whether or not the schema declares them:
   * for tests of definitions that do not match their descriptor too.
   */
  public static ServerServiceDefinition served(
      String grpcName, ServiceDescriptor schema, List<String> methods) {
    io.grpc.ServiceDescriptor.Builder grpcService =
        io.grpc.ServiceDescriptor.newBuilder(grpcName).setSchemaDescriptor(new Schema(schema));
    List<MethodDescriptor<byte[], byte[]>> mds = new ArrayList<>(methods.size());
    for (String method : methods) {
      MethodDescriptor<byte[], byte[]> md =
          MethodDescriptor.<byte[], byte[]>newBuilder()
              .setType(MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(MethodDescriptor.generateFullMethodName(grpcName, method))
              .setRequestMarshaller(Bytes.INSTANCE)
              .setResponseMarshaller(Bytes.INSTANCE)
              .build();
      mds.add(md);
      grpcService.addMethod(md);
    }
    ServerServiceDefinition.Builder def = ServerServiceDefinition.builder(grpcService.build());
    for (MethodDescriptor<byte[], byte[]> md : mds) {
      def.addMethod(
          md,
          ServerCalls.asyncUnaryCall(
              (req, out) -> {
                out.onNext(req);
                out.onCompleted();
              }));
    }
    return def.build();
  }

  /** The protobuf schema of a dynamic service, as protoc-generated stubs provide it. */
  private record Schema(ServiceDescriptor descriptor) implements ProtoServiceDescriptorSupplier {
    @Override
    public FileDescriptor getFileDescriptor() {
      return descriptor.getFile();
    }

    @Override
    public ServiceDescriptor getServiceDescriptor() {
      return descriptor;
    }
  }

  /** Raw bytes both ways. */
  private enum Bytes implements MethodDescriptor.Marshaller<byte[]> {
    INSTANCE;

    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (java.io.IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
