package dev.gatehouse.audit;

import com.google.protobuf.AnyProto;
import com.google.protobuf.ApiProto;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DurationProto;
import com.google.protobuf.EmptyProto;
import com.google.protobuf.FieldMaskProto;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.SourceContextProto;
import com.google.protobuf.StructProto;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.TypeProto;
import com.google.protobuf.WrappersProto;
import dev.gatehouse.auth.v1.OptionsProto;
import dev.gatehouse.policy.PolicyResolver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a {@code FileDescriptorSet} ({@code protoc --descriptor_set_out --include_imports}, {@code
 * buf build -o}) and builds its files in dependency order.
 *
 * <p>The set is parsed with Gatehouse's extension registry so our options are typed extensions, not
 * unknown fields. Imports missing from the set are taken from the copies compiled into this tool
 * only for Gatehouse's options and the protobuf well-known types; any other missing import is an
 * error.
 */
final class DescriptorSets {
  /** Refuse absurd inputs rather than exhausting memory. */
  static final long MAX_BYTES = 256L * 1024 * 1024;

  private static final Map<String, FileDescriptor> BUILT_IN = builtIn();

  private DescriptorSets() {}

  private static Map<String, FileDescriptor> builtIn() {
    Map<String, FileDescriptor> m = new HashMap<>();
    for (FileDescriptor f :
        List.of(
            OptionsProto.getDescriptor(),
            DescriptorProtos.getDescriptor(),
            AnyProto.getDescriptor(),
            ApiProto.getDescriptor(),
            DurationProto.getDescriptor(),
            EmptyProto.getDescriptor(),
            FieldMaskProto.getDescriptor(),
            SourceContextProto.getDescriptor(),
            StructProto.getDescriptor(),
            TimestampProto.getDescriptor(),
            TypeProto.getDescriptor(),
            WrappersProto.getDescriptor())) {
      m.put(f.getName(), f);
    }
    return Map.copyOf(m);
  }

  /** Reads and builds the descriptor set at {@code path}. */
  static List<FileDescriptor> load(Path path) throws UsageException {
    byte[] bytes;
    try {
      if (Files.isDirectory(path)) {
        throw new UsageException("descriptor set is a directory: " + path);
      }
      if (Files.size(path) > MAX_BYTES) {
        throw new UsageException("descriptor set larger than " + MAX_BYTES + " bytes: " + path);
      }
      try (InputStream in = Files.newInputStream(path)) {
        bytes = in.readAllBytes();
      }
    } catch (IOException e) {
      throw new UsageException("cannot read descriptor set " + path + ": " + describe(e));
    }
    FileDescriptorSet set;
    try {
      set = FileDescriptorSet.parseFrom(bytes, PolicyResolver.extensionRegistry());
    } catch (InvalidProtocolBufferException e) {
      throw new UsageException("not a FileDescriptorSet: " + path + ": " + e.getMessage());
    }
    if (set.getFileCount() == 0) {
      throw new UsageException("descriptor set holds no files: " + path);
    }
    return build(set);
  }

  /** Builds every file of {@code set}, dependencies first; returns them in the set's order. */
  static List<FileDescriptor> build(FileDescriptorSet set) throws UsageException {
    Map<String, FileDescriptorProto> byName = new LinkedHashMap<>();
    for (FileDescriptorProto file : set.getFileList()) {
      if (file.getName().isEmpty()) {
        throw new UsageException("descriptor set holds a file without a name");
      }
      if (byName.put(file.getName(), file) != null) {
        throw new UsageException("descriptor set holds " + file.getName() + " twice");
      }
    }
    Map<String, FileDescriptor> built = new HashMap<>();
    List<FileDescriptor> out = new ArrayList<>();
    for (String name : byName.keySet()) {
      out.add(build(name, byName, built));
    }
    return out;
  }

  /**
   * Builds {@code root} after its imports, depth first with an explicit stack (an import chain of
   * any length cannot exhaust the thread's stack); a file already on the stack is a cycle.
   */
  private static FileDescriptor build(
      String root, Map<String, FileDescriptorProto> byName, Map<String, FileDescriptor> built)
      throws UsageException {
    Deque<Frame> stack = new ArrayDeque<>();
    Set<String> onStack = new HashSet<>();
    FileDescriptor rootFile = resolved(root, null, byName, built);
    if (rootFile != null) {
      return rootFile;
    }
    stack.push(new Frame(root, byName.get(root)));
    onStack.add(root);
    while (!stack.isEmpty()) {
      Frame top = stack.peek();
      if (top.next < top.proto.getDependencyCount()) {
        String dep = top.proto.getDependency(top.next++);
        FileDescriptor done = resolved(dep, top.name, byName, built);
        if (done != null) {
          top.deps.add(done);
          continue;
        }
        if (!onStack.add(dep)) {
          throw new UsageException("import cycle through " + dep);
        }
        stack.push(new Frame(dep, byName.get(dep)));
        continue;
      }
      stack.pop();
      onStack.remove(top.name);
      FileDescriptor file;
      try {
        file = FileDescriptor.buildFrom(top.proto, top.deps.toArray(new FileDescriptor[0]));
      } catch (DescriptorValidationException | RuntimeException e) {
        throw new UsageException("invalid descriptor " + top.name + ": " + e.getMessage());
      }
      built.put(top.name, file);
      if (!stack.isEmpty()) {
        stack.peek().deps.add(file);
      }
    }
    return built.get(root);
  }

  /**
   * The descriptor of {@code name} if it is built already or built in; null if it is in the set and
   * still to be built.
   *
   * @throws UsageException if the set lacks it
   */
  private static FileDescriptor resolved(
      String name,
      String importedBy,
      Map<String, FileDescriptorProto> byName,
      Map<String, FileDescriptor> built)
      throws UsageException {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    if (byName.containsKey(name)) {
      return null;
    }
    FileDescriptor fallback = BUILT_IN.get(name);
    if (fallback != null) {
      return fallback;
    }
    throw new UsageException(
        "descriptor set lacks "
            + name
            + " imported by "
            + importedBy
            + " (build it with protoc --include_imports)");
  }

  /** One file being built: its proto, the next import to visit, the imports built so far. */
  private static final class Frame {
    final String name;
    final FileDescriptorProto proto;
    final List<FileDescriptor> deps = new ArrayList<>();
    int next;

    Frame(String name, FileDescriptorProto proto) {
      this.name = name;
      this.proto = proto;
    }
  }

  private static String describe(IOException e) {
    return e.getMessage() == null
        ? e.getClass().getSimpleName()
        : e.getClass().getSimpleName() + ": " + e.getMessage();
  }
}
