package dev.gatehouse.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.EmptyProto;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.gatehouse.auth.v1.OptionsProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for {@link PolicyResolver}. The input is a serialized {@code FileDescriptorProto}
 * (read without Gatehouse's extension registry, so the options arrive as unknown fields as they do
 * from a descriptor set); its imports are narrowed to the files built in here ({@code
 * options.proto}, {@code descriptor.proto}, {@code empty.proto}), and its {@code go_package} file
 * option, split at commas, supplies {@code PATTERN=public|internal} mode overrides. Inputs protobuf
 * itself cannot build into a descriptor are skipped: they never reach the resolver.
 *
 * <p>Contract: {@link PolicyResolver#resolve} returns one policy per method or throws {@link
 * PolicyException}, whose problem list is not empty; never any other {@link Throwable}, never a
 * hang.
 */
class PolicyResolverFuzzTest {
  private static final List<FileDescriptor> BUILT_IN =
      List.of(
          OptionsProto.getDescriptor(),
          DescriptorProtos.getDescriptor(),
          EmptyProto.getDescriptor());

  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  @FuzzTest(maxDuration = "30s")
  void resolvesOrThrowsPolicyException(byte[] data) {
    FileDescriptorProto proto;
    try {
      proto = FileDescriptorProto.parseFrom(data);
    } catch (InvalidProtocolBufferException e) {
      return;
    }
    List<FileDescriptor> deps = new ArrayList<>();
    for (String name : proto.getDependencyList()) {
      for (FileDescriptor builtIn : BUILT_IN) {
        if (builtIn.getName().equals(name) && !deps.contains(builtIn)) {
          deps.add(builtIn);
        }
      }
    }
    FileDescriptorProto.Builder narrowed = proto.toBuilder().clearDependency();
    narrowed.clearPublicDependency().clearWeakDependency();
    deps.forEach(d -> narrowed.addDependency(d.getName()));
    FileDescriptor file;
    try {
      file = FileDescriptor.buildFrom(narrowed.build(), deps.toArray(new FileDescriptor[0]));
    } catch (DescriptorValidationException | RuntimeException e) {
      return; // protobuf's own validation: such a file never reaches a server or the resolver
    }
    List<ModeOverride> overrides = overrides(proto.getOptions().getGoPackage());
    if (overrides == null) {
      return;
    }
    PolicyResolver resolver;
    try {
      resolver = PolicyResolver.create(overrides);
    } catch (PolicyException e) {
      assertFalse(e.problems().isEmpty(), "a PolicyException names its problems");
      return;
    }
    List<ServiceDescriptor> services = file.getServices();
    try {
      Map<String, MethodPolicy> policies = resolver.resolve(services);
      int methods = services.stream().mapToInt(s -> s.getMethods().size()).sum();
      assertEquals(methods, policies.size(), "one policy per method");
    } catch (PolicyException e) {
      assertFalse(e.problems().isEmpty(), "a PolicyException names its problems");
    }
  }

  /** The overrides written in {@code spec}, or null when one is malformed (its own validation). */
  private static List<ModeOverride> overrides(String spec) {
    List<ModeOverride> out = new ArrayList<>();
    if (spec.isEmpty()) {
      return out;
    }
    for (String entry : spec.split(",", -1)) {
      int eq = entry.lastIndexOf('=');
      if (eq < 0) {
        return null;
      }
      Mode mode;
      switch (entry.substring(eq + 1)) {
        case "public" -> mode = Mode.PUBLIC;
        case "internal" -> mode = Mode.INTERNAL;
        default -> {
          return null;
        }
      }
      try {
        out.add(ModeOverride.of(entry.substring(0, eq), mode));
      } catch (IllegalArgumentException e) {
        return null;
      }
    }
    return out;
  }
}
