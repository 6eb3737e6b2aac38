package dev.gatehouse.audit;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.gatehouse.policy.MethodPolicy;
import dev.gatehouse.policy.Mode;
import dev.gatehouse.policy.ModeOverride;
import dev.gatehouse.policy.Origin;
import dev.gatehouse.policy.PolicyException;
import dev.gatehouse.policy.PolicyResolver;
import dev.gatehouse.policy.Preset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resolves every service of a descriptor set with {@link PolicyResolver} — the same code the server
 * runs at startup — and reports per method instead of failing on the first bad service.
 *
 * <p>A service whose resolution fails is resolved again one method at a time (each method alone in
 * a copy of its service, options unchanged), so the methods without problems still show their
 * posture and each problem lands on the method it names.
 */
final class PostureAudit {
  private PostureAudit() {}

  /**
   * Audits every service in {@code files}.
   *
   * @param overrides the server's mode overrides (for services without Gatehouse options)
   * @param presets the server's presets
   * @param allowPublic the approved public methods, or null when not checked
   */
  static AuditReport audit(
      List<FileDescriptor> files,
      List<ModeOverride> overrides,
      Set<Preset> presets,
      AllowList allowPublic) {
    List<MethodPosture> methods = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    Set<ModeOverride> usedOverrides = new HashSet<>();
    Set<String> services = new HashSet<>();

    for (FileDescriptor file : files) {
      for (ServiceDescriptor service : file.getServices()) {
        if (!services.add(service.getFullName())) {
          for (MethodDescriptor m : service.getMethods()) {
            methods.add(posture(m, null, List.of("service registered twice"), allowPublic));
          }
          continue;
        }
        List<ModeOverride> mine = new ArrayList<>();
        for (ModeOverride o : overrides) {
          if (service.getMethods().stream().anyMatch(m -> o.matches(fullName(m)))) {
            mine.add(o);
            usedOverrides.add(o);
          }
        }
        methods.addAll(auditService(service, mine, presets, allowPublic));
      }
    }
    // As on the server: an override naming a service of the set must match one of its methods;
    // one naming a service the set does not have is ignored with a warning.
    for (ModeOverride o : overrides) {
      if (!usedOverrides.contains(o)) {
        if (services.contains(o.service())) {
          problems.add("override matches no protected method: " + o.pattern());
        } else {
          warnings.add(
              "override " + o.pattern() + " ignored: no service " + o.service() + " in the set");
        }
      }
    }
    for (Preset p : presets) {
      if (p.services().stream().noneMatch(services::contains)) {
        warnings.add(
            "preset "
                + p.configName()
                + " ignored: no service "
                + String.join(" or ", p.services())
                + " in the set");
      }
    }
    if (allowPublic != null) {
      List<String> publicMethods = new ArrayList<>();
      for (MethodPosture m : methods) {
        if (m.policy() != null && m.policy().mode() == Mode.PUBLIC) {
          publicMethods.add(m.method());
        }
      }
      for (String unused : allowPublic.unused(publicMethods)) {
        warnings.add("allow-public entry matches no public method: " + unused);
      }
    }
    return new AuditReport(methods, problems, warnings);
  }

  private static List<MethodPosture> auditService(
      ServiceDescriptor service,
      List<ModeOverride> overrides,
      Set<Preset> presets,
      AllowList allowPublic) {
    List<MethodPosture> out = new ArrayList<>();
    try {
      Map<String, MethodPolicy> resolved =
          PolicyResolver.create(overrides, presets).resolve(List.of(service));
      for (MethodDescriptor m : service.getMethods()) {
        MethodPolicy policy = resolved.get(fullName(m));
        if (policy == null) {
          out.add(posture(m, null, List.of("not resolved"), allowPublic));
        } else {
          out.add(posture(m, policy, List.of(), allowPublic));
        }
      }
      return out;
    } catch (PolicyException whole) {
      for (MethodDescriptor m : service.getMethods()) {
        out.add(auditAlone(m, overrides, presets, whole, allowPublic));
      }
      return out;
    }
  }

  /** Resolves {@code method} alone in a copy of its service. */
  private static MethodPosture auditAlone(
      MethodDescriptor method,
      List<ModeOverride> overrides,
      Set<Preset> presets,
      PolicyException whole,
      AllowList allowPublic) {
    String name = fullName(method);
    List<ModeOverride> mine = new ArrayList<>();
    for (ModeOverride o : overrides) {
      if (o.matches(name)) {
        mine.add(o);
      }
    }
    ServiceDescriptor alone;
    try {
      alone = aloneInService(method);
    } catch (DescriptorValidationException | RuntimeException e) {
      // Cannot isolate it: attribute the whole service's problems by their method-name prefix.
      List<String> problems = stripped(name, whole.problems(), true);
      if (problems.isEmpty()) {
        problems = List.of("not resolved: its service has problems");
      }
      return posture(method, null, problems, allowPublic);
    }
    try {
      MethodPolicy policy = PolicyResolver.create(mine, presets).resolve(List.of(alone)).get(name);
      if (policy == null) {
        return posture(method, null, List.of("not resolved"), allowPublic);
      }
      return posture(method, policy, List.of(), allowPublic);
    } catch (PolicyException e) {
      return posture(method, null, stripped(name, e.problems(), false), allowPublic);
    }
  }

  private static ServiceDescriptor aloneInService(MethodDescriptor method)
      throws DescriptorValidationException {
    ServiceDescriptor service = method.getService();
    FileDescriptor file = service.getFile();
    FileDescriptorProto.Builder proto = file.toProto().toBuilder();
    ServiceDescriptorProto.Builder s = proto.getServiceBuilder(service.getIndex());
    s.clearMethod().addMethod(method.toProto());
    FileDescriptor copy =
        FileDescriptor.buildFrom(
            proto.build(), file.getDependencies().toArray(new FileDescriptor[0]));
    return copy.getServices().get(service.getIndex());
  }

  /** Removes the {@code name: } prefix; with {@code onlyOwn}, drops problems of other methods. */
  private static List<String> stripped(String name, List<String> problems, boolean onlyOwn) {
    String prefix = name + ": ";
    List<String> out = new ArrayList<>();
    for (String p : problems) {
      if (p.startsWith(prefix)) {
        out.add(p.substring(prefix.length()));
      } else if (!onlyOwn) {
        out.add(p);
      }
    }
    return out;
  }

  private static MethodPosture posture(
      MethodDescriptor method, MethodPolicy policy, List<String> problems, AllowList allowPublic) {
    List<Finding> findings = new ArrayList<>();
    if (!problems.isEmpty()) {
      findings.add(Finding.REFUSED_AT_STARTUP);
    } else {
      if (isUnannotated(policy)) {
        findings.add(Finding.UNANNOTATED);
      }
      if (allowPublic != null
          && policy.mode() == Mode.PUBLIC
          && !allowPublic.allows(policy.fullMethodName())) {
        findings.add(Finding.PUBLIC_NOT_ALLOWED);
      }
      if (policy.mode() == Mode.PUBLIC
          && Preset.REFLECTION.covers(method.getService().getFullName())
          && (allowPublic == null || !allowPublic.listsExactly(policy.fullMethodName()))) {
        findings.add(Finding.PUBLIC_REFLECTION);
      }
    }
    ServiceDescriptor service = method.getService();
    return new MethodPosture(
        fullName(method),
        service.getFullName(),
        service.getFile().getName(),
        problems.isEmpty() ? policy : null,
        problems,
        findings);
  }

  /** Gated and DENY with both decisions by default: no Gatehouse option applies at all. */
  static boolean isUnannotated(MethodPolicy policy) {
    return policy.mode() == Mode.GATED
        && policy.modeOrigin() == Origin.DEFAULT
        && policy.deniesEveryone()
        && policy.ruleOrigin().orElse(null) == Origin.DEFAULT;
  }

  static String fullName(MethodDescriptor method) {
    return method.getService().getFullName() + "/" + method.getName();
  }
}
