package dev.gatehouse.policy;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.MethodOptions;
import com.google.protobuf.DescriptorProtos.ServiceOptions;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.ExtensionLite;
import com.google.protobuf.ExtensionRegistry;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.gatehouse.auth.v1.MethodAuth;
import dev.gatehouse.auth.v1.OptionsProto;
import dev.gatehouse.auth.v1.Policy;
import dev.gatehouse.auth.v1.ServiceAuth;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Resolves the Gatehouse options of protobuf service descriptors into {@link MethodPolicy} values,
 * applying the merge rules of the design once, at startup. This is the only class that reads
 * descriptors.
 *
 * <p>Resolution collects every problem before failing, so one {@link PolicyException} names every
 * offending method.
 */
public final class PolicyResolver {
  private static final ExtensionRegistry REGISTRY = newRegistry();

  // Typed as ExtensionLite so the calls below bind to hasExtension/getExtension(ExtensionLite),
  // the overloads every protobuf-java release from 3.25 through 4.x has. The GeneratedExtension
  // overloads that javac would otherwise pick are missing from some 4.x releases.
  private static final ExtensionLite<ServiceOptions, ServiceAuth> SERVICE_AUTH =
      OptionsProto.serviceAuth;
  private static final ExtensionLite<MethodOptions, MethodAuth> METHOD_AUTH =
      OptionsProto.methodAuth;

  private final List<ModeOverride> overrides;
  private final Set<Preset> presets;

  private PolicyResolver(List<ModeOverride> overrides, Set<Preset> presets) {
    this.overrides = overrides;
    this.presets = presets;
  }

  /** A resolver that applies these overrides to services without Gatehouse options. */
  public static PolicyResolver create(List<ModeOverride> overrides) {
    return create(overrides, Set.of());
  }

  /**
   * A resolver that applies these overrides, then these presets, to services without Gatehouse
   * options. An explicit override of a method wins over a preset covering it.
   */
  public static PolicyResolver create(List<ModeOverride> overrides, Set<Preset> presets) {
    requireNonNull(presets, "presets");
    Set<Preset> presetCopy =
        presets.isEmpty()
            ? Set.of()
            : java.util.Collections.unmodifiableSet(EnumSet.copyOf(presets));
    List<ModeOverride> copy = List.copyOf(requireNonNull(overrides, "overrides"));
    for (int i = 0; i < copy.size(); i++) {
      for (int j = i + 1; j < copy.size(); j++) {
        if (copy.get(i).pattern().equals(copy.get(j).pattern())) {
          throw new PolicyException(List.of("override declared twice: " + copy.get(i).pattern()));
        }
      }
    }
    return new PolicyResolver(copy, presetCopy);
  }

  /** An extension registry holding Gatehouse's options, for parsing descriptor sets. */
  public static ExtensionRegistry extensionRegistry() {
    return REGISTRY;
  }

  private static ExtensionRegistry newRegistry() {
    ExtensionRegistry registry = ExtensionRegistry.newInstance();
    OptionsProto.registerAllExtensions(registry);
    return registry.getUnmodifiable();
  }

  /**
   * Resolves every method of the given services.
   *
   * <p>An override naming a service that is not among {@code services} is not a problem (see {@link
   * #notRegistered(List)}); one naming a service that is, but none of its methods, is.
   *
   * @return the policies by full method name, in descriptor order
   * @throws PolicyException naming every offending method, every override that touches an annotated
   *     method, and every override that names a method its (present) service lacks
   */
  public Map<String, MethodPolicy> resolve(List<ServiceDescriptor> services) {
    Map<String, MethodPolicy> out = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    boolean[] overrideUsed = new boolean[overrides.size()];
    Set<String> present = new HashSet<>();
    BuildMemo memo = new BuildMemo();
    for (ServiceDescriptor service : services) {
      present.add(service.getFullName());
      resolveService(service, out, problems, overrideUsed, memo);
    }
    for (int i = 0; i < overrides.size(); i++) {
      if (!overrideUsed[i] && present.contains(overrides.get(i).service())) {
        problems.add("override matches no protected method: " + overrides.get(i).pattern());
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyException(problems);
    }
    return out;
  }

  /**
   * The overrides and presets that name only services not among {@code services}: each is ignored,
   * and a server logs them as a warning (an organisation-wide configuration lists services not
   * every server has). One line each, naming the override pattern or the preset.
   */
  public List<String> notRegistered(List<ServiceDescriptor> services) {
    Set<String> present = new HashSet<>();
    for (ServiceDescriptor s : requireNonNull(services, "services")) {
      present.add(s.getFullName());
    }
    List<String> out = new ArrayList<>();
    for (ModeOverride o : overrides) {
      if (!present.contains(o.service())) {
        out.add("override " + o.pattern() + " (no service " + o.service() + ")");
      }
    }
    for (Preset p : presets) {
      if (p.services().stream().noneMatch(present::contains)) {
        out.add(
            "preset " + p.configName() + " (no service " + String.join(" or ", p.services()) + ")");
      }
    }
    return out;
  }

  private void resolveService(
      ServiceDescriptor service,
      Map<String, MethodPolicy> out,
      List<String> problems,
      boolean[] overrideUsed,
      BuildMemo memo) {
    ServiceOptions options;
    try {
      options = memo.reparse(service.getOptions());
    } catch (UnreadableOptions e) {
      // Its methods cannot be resolved without the service's defaults: named once, and skipped.
      // The overrides naming them are not reported as matching nothing.
      problems.add(service.getFullName() + ": unreadable service_auth option (" + e.reason + ")");
      for (MethodDescriptor method : service.getMethods()) {
        markOverrides(service.getFullName() + "/" + method.getName(), overrideUsed);
      }
      return;
    }
    ServiceState s = new ServiceState(service, options, memo);
    // The preset depends on the service alone: looked up once, not once per method.
    Preset preset = presetFor(service.getFullName());
    boolean allRead = true;
    for (MethodDescriptor method : service.getMethods()) {
      allRead &= resolveMethod(s, preset, method, out, problems, overrideUsed, memo);
    }
    // A method whose options could not be read might have been the internal one: not reported.
    if (s.serviceAuth.hasDefaultRequiresUser() && !s.anyInternal && allRead) {
      problems.add(
          service.getFullName() + ": default_requires_user but the service has no internal method");
    }
  }

  /**
   * What resolution reads of one service, worked out once for all its methods, and whether any of
   * its methods resolved internal.
   */
  private static final class ServiceState {
    final String fullName;
    final String methodPrefix;
    final boolean serviceAnnotated;
    final ServiceAuth serviceAuth;
    final boolean servicePublic;
    final boolean serviceInternal;
    final boolean serviceBoth;
    final boolean emptyDefaultRequires;
    final String badDefaultRequires;
    final String badDefaultUser;
    boolean anyInternal;

    ServiceState(ServiceDescriptor service, ServiceOptions serviceOptions, BuildMemo memo) {
      fullName = service.getFullName();
      methodPrefix = fullName + "/";
      serviceAnnotated = serviceOptions.hasExtension(SERVICE_AUTH);
      serviceAuth = serviceOptions.getExtension(SERVICE_AUTH);
      servicePublic = serviceAuth.hasPublic() && serviceAuth.getPublic();
      serviceInternal = serviceAuth.hasInternal() && serviceAuth.getInternal();
      serviceBoth = servicePublic && serviceInternal;
      emptyDefaultRequires =
          serviceAuth.hasDefaultRequires() && isEmpty(serviceAuth.getDefaultRequires());
      // Validated once for the whole service, so a bad default is reported even when every method
      // writes its own rule.
      String badRequires = null;
      if (serviceAuth.hasDefaultRequires() && !emptyDefaultRequires) {
        try {
          memo.requirements(serviceAuth.getDefaultRequires());
        } catch (IllegalArgumentException e) {
          badRequires = e.getMessage();
        }
      }
      badDefaultRequires = badRequires;
      String badUser = null;
      if (serviceAuth.hasDefaultRequiresUser()) {
        try {
          userRequirement(serviceAuth.getDefaultRequiresUser());
        } catch (IllegalArgumentException e) {
          badUser = e.getMessage();
        }
      }
      badDefaultUser = badUser;
    }
  }

  // One method per resolved method (not a loop body inside resolveService): at startup this code
  // runs once per method, and a method called thousands of times is compiled early, while a loop
  // body inside a method called once per service stays interpreted for the whole first build.
  // False when the method's options could not be read (reported, and the method skipped).
  private boolean resolveMethod(
      ServiceState s,
      Preset preset,
      MethodDescriptor method,
      Map<String, MethodPolicy> out,
      List<String> problems,
      boolean[] overrideUsed,
      BuildMemo memo) {
    String name = s.methodPrefix.concat(method.getName());
    if (out.containsKey(name)) {
      problems.add(name + ": service registered twice");
      return true;
    }
    MethodOption option;
    try {
      option = memo.methodOption(method.getOptions());
    } catch (UnreadableOptions e) {
      problems.add(name + ": unreadable method_auth option (" + e.reason + ")");
      markOverrides(name, overrideUsed);
      return false;
    }
    boolean methodAnnotated = option.written();
    MethodAuth auth = option.auth();
    ServiceAuth serviceAuth = s.serviceAuth;
    boolean serviceAnnotated = s.serviceAnnotated;

    ModeOverride override = null;
    for (int i = 0; i < overrides.size(); i++) {
      if (overrides.get(i).matches(name)) {
        overrideUsed[i] = true;
        if (override != null) {
          problems.add(name + ": matched by more than one override");
        }
        override = overrides.get(i);
      }
    }
    if (override != null) {
      if (serviceAnnotated || methodAnnotated) {
        problems.add(
            name + ": override " + override.pattern() + " touches a method with Gatehouse options");
        return true;
      }
      out.put(name, overridden(name, override.mode()));
      return true;
    }
    // A preset applies only where nothing was written: no explicit override (above), no option.
    if (preset != null && !serviceAnnotated && !methodAnnotated) {
      out.put(name, overridden(name, preset.mode()));
      return true;
    }

    int before = problems.size();
    if (s.serviceBoth) {
      problems.add(name + ": service sets both public and internal");
    }
    if (s.emptyDefaultRequires) {
      problems.add(name + ": service default_requires is empty");
    }
    if (s.badDefaultRequires != null) {
      problems.add(name + ": service default_requires: " + s.badDefaultRequires);
    }
    boolean methodPublic = auth.hasPublic() && auth.getPublic();
    boolean methodInternal = auth.hasInternal() && auth.getInternal();
    if (methodPublic && methodInternal) {
      problems.add(name + ": method sets both public and internal");
    }

    Mode mode;
    Origin modeOrigin;
    if (methodPublic) {
      mode = Mode.PUBLIC;
      modeOrigin = Origin.METHOD;
    } else if (methodInternal) {
      mode = Mode.INTERNAL;
      modeOrigin = Origin.METHOD;
    } else if (s.servicePublic && !(auth.hasPublic() && !auth.getPublic())) {
      mode = Mode.PUBLIC;
      modeOrigin = Origin.SERVICE;
    } else if (s.serviceInternal && !(auth.hasInternal() && !auth.getInternal())) {
      mode = Mode.INTERNAL;
      modeOrigin = Origin.SERVICE;
    } else {
      mode = Mode.GATED;
      modeOrigin = Origin.DEFAULT;
    }

    // Compare numbers, never getPolicy(): an unknown value (a newer options.proto, a descriptor
    // set) reads as UNRECOGNIZED, whose getNumber() throws.
    int policyValue = auth.getPolicyValue();
    boolean hasPolicy = policyValue != Policy.POLICY_UNSPECIFIED_VALUE;
    if (hasPolicy && !isKnown(policyValue)) {
      problems.add(name + ": unknown policy value " + policyValue);
    }
    int defaultPolicyValue = serviceAuth.getDefaultPolicyValue();
    if (defaultPolicyValue != Policy.POLICY_UNSPECIFIED_VALUE && !isKnown(defaultPolicyValue)) {
      problems.add(name + ": unknown service default_policy value " + defaultPolicyValue);
    }
    if (mode == Mode.PUBLIC && auth.hasRequires()) {
      problems.add(name + ": requires on a public method");
    }
    if (mode == Mode.PUBLIC && hasPolicy) {
      problems.add(name + ": policy on a public method");
    }
    if (mode == Mode.INTERNAL && hasPolicy) {
      problems.add(name + ": policy on an internal method");
    }
    if (auth.hasRequires() && hasPolicy) {
      problems.add(name + ": both requires and policy on one method");
    }
    if (auth.hasRequires() && isEmpty(auth.getRequires())) {
      problems.add(name + ": requires is empty");
    }
    if (mode == Mode.PUBLIC && auth.hasRequiresUser()) {
      problems.add(name + ": requires_user on a public method");
    }
    if (mode == Mode.GATED && auth.hasRequiresUser()) {
      problems.add(
          name + ": requires_user on a gated method (its caller is the end user: use requires)");
    }
    if (s.badDefaultUser != null) {
      problems.add(name + ": service default_requires_user: " + s.badDefaultUser);
    }
    UserRequirement userRequirement = null;
    if (mode == Mode.INTERNAL) {
      s.anyInternal = true;
      try {
        if (auth.hasRequiresUser()) {
          userRequirement = userRequirement(auth.getRequiresUser());
        } else if (serviceAuth.hasDefaultRequiresUser() && s.badDefaultUser == null) {
          userRequirement = userRequirement(serviceAuth.getDefaultRequiresUser());
        }
      } catch (IllegalArgumentException e) {
        problems.add(name + ": " + e.getMessage());
      }
    }

    // The method's own rule (requires, or policy) replaces the service's defaults whole: a
    // method that writes `policy: POLICY_DENY` is denied even when the service has a
    // default_requires, and a method `requires` is never OR-merged with default_requires.
    Requirements requirements = null;
    Origin ruleOrigin = null;
    if (mode != Mode.PUBLIC) {
      dev.gatehouse.auth.v1.Requires written = null;
      if (auth.hasRequires()) {
        written = auth.getRequires();
        ruleOrigin = Origin.METHOD;
      } else if (!hasPolicy && serviceAuth.hasDefaultRequires() && s.badDefaultRequires == null) {
        written = serviceAuth.getDefaultRequires();
        ruleOrigin = Origin.SERVICE;
      }
      if (written != null && !isEmpty(written)) {
        try {
          requirements = memo.requirements(written);
        } catch (IllegalArgumentException e) {
          problems.add(name + ": " + e.getMessage());
        }
      }
    }
    if (problems.size() > before) {
      return true;
    }

    switch (mode) {
      case PUBLIC -> out.put(name, MethodPolicy.publicMethod(name, modeOrigin));
      case INTERNAL -> {
        MethodPolicy internal =
            MethodPolicy.internalMethod(name, modeOrigin, requirements, ruleOrigin);
        out.put(
            name,
            userRequirement == null ? internal : internal.withUserRequirement(userRequirement));
      }
      case GATED -> {
        if (requirements != null) {
          out.put(name, MethodPolicy.gatedMethod(name, modeOrigin, requirements, ruleOrigin));
        } else if (hasPolicy) {
          out.put(
              name, MethodPolicy.gatedMethod(name, modeOrigin, access(policyValue), Origin.METHOD));
        } else if (defaultPolicyValue != Policy.POLICY_UNSPECIFIED_VALUE) {
          out.put(
              name,
              MethodPolicy.gatedMethod(
                  name, modeOrigin, access(defaultPolicyValue), Origin.SERVICE));
        } else {
          out.put(name, MethodPolicy.gatedMethod(name, modeOrigin, Access.DENY, Origin.DEFAULT));
        }
      }
    }
    return true;
  }

  /**
   * Marks the overrides naming {@code name} as used: a method skipped because its options could not
   * be read was still named by them, and an override is not reported as matching nothing for it.
   */
  private void markOverrides(String name, boolean[] overrideUsed) {
    for (int i = 0; i < overrides.size(); i++) {
      if (overrides.get(i).matches(name)) {
        overrideUsed[i] = true;
      }
    }
  }

  /** Reads a written {@code requires_user}: roles only, none blank. */
  private static UserRequirement userRequirement(dev.gatehouse.auth.v1.Requires written) {
    if (written.getScopesCount() > 0) {
      throw new IllegalArgumentException(
          "requires_user names scopes; a delegating user carries roles only");
    }
    return UserRequirement.of(written.getRolesList());
  }

  private Preset presetFor(String serviceFullName) {
    for (Preset p : presets) {
      if (p.covers(serviceFullName)) {
        return p;
      }
    }
    return null;
  }

  private static MethodPolicy overridden(String name, Mode mode) {
    return mode == Mode.PUBLIC
        ? MethodPolicy.publicMethod(name, Origin.OVERRIDE)
        : MethodPolicy.internalMethod(name, Origin.OVERRIDE, null, null);
  }

  private static boolean isKnown(int policyValue) {
    return policyValue == Policy.POLICY_ALLOW_VALUE || policyValue == Policy.POLICY_DENY_VALUE;
  }

  /** ALLOW only for exactly POLICY_ALLOW; anything else denies. */
  private static Access access(int policyValue) {
    return policyValue == Policy.POLICY_ALLOW_VALUE ? Access.ALLOW : Access.DENY;
  }

  private static boolean isEmpty(dev.gatehouse.auth.v1.Requires requires) {
    return requires.getRolesCount() == 0 && requires.getScopesCount() == 0;
  }

  /**
   * A method's Gatehouse option as resolution reads it: whether {@code method_auth} is written, and
   * its value (the default instance when it is not). Read from an immutable options message, so it
   * is the same for every method whose options parse to an equal message.
   */
  private record MethodOption(boolean written, MethodAuth auth) {
    static MethodOption of(MethodOptions options) {
      return new MethodOption(options.hasExtension(METHOD_AUTH), options.getExtension(METHOD_AUTH));
    }
  }

  /**
   * Option bytes that hold our option's field number but do not parse as it. Carries the parser's
   * reason, which describes the wire format only (the options are the proto file's, not a secret).
   */
  private static final class UnreadableOptions extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String reason;

    UnreadableOptions(InvalidProtocolBufferException cause) {
      super(cause);
      this.reason = String.valueOf(cause.getMessage());
    }
  }

  /**
   * What one {@link #resolve} call has already worked out, so that methods written alike cost one
   * parse: a server's methods repeat a handful of option sets thousands of times.
   *
   * <p>Descriptors built from a descriptor set without our extension registry (as generated code
   * builds them) keep our options as unknown fields; they are parsed again with the registry so
   * resolution never silently misses an annotation. Equal option bytes parse to equal, immutable
   * options messages, so the parse of one set of bytes is shared by every method that carries the
   * same bytes: the result is the one a parse of its own would give. A parse that fails is not
   * kept, so each method that carries the bytes fails alike.
   */
  private static final class BuildMemo {
    private final Map<ByteString, MethodOption> methodOptions = new HashMap<>();
    private final IdentityHashMap<MethodOptions, MethodOption> asIs = new IdentityHashMap<>();
    private final Map<ByteString, ServiceOptions> serviceOptions = new HashMap<>();
    private final IdentityHashMap<dev.gatehouse.auth.v1.Requires, Requirements> requirements =
        new IdentityHashMap<>();

    ServiceOptions reparse(ServiceOptions options) {
      if (!options.getUnknownFields().hasField(OptionsProto.serviceAuth.getNumber())) {
        return options;
      }
      ByteString bytes = options.toByteString();
      ServiceOptions parsed = serviceOptions.get(bytes);
      if (parsed == null) {
        try {
          parsed = ServiceOptions.parseFrom(bytes, REGISTRY);
        } catch (InvalidProtocolBufferException e) {
          throw new UnreadableOptions(e);
        }
        serviceOptions.put(bytes, parsed);
      }
      return parsed;
    }

    /**
     * The method option of these options: read once per distinct set of option bytes when our
     * option is an unknown field (parsed again with the registry), once per options instance
     * otherwise.
     */
    MethodOption methodOption(MethodOptions options) {
      if (!options.getUnknownFields().hasField(OptionsProto.methodAuth.getNumber())) {
        // Read as it is. Methods without options all share the default instance: read it once.
        MethodOption read = asIs.get(options);
        if (read == null) {
          read = MethodOption.of(options);
          asIs.put(options, read);
        }
        return read;
      }
      ByteString bytes = options.toByteString();
      MethodOption read = methodOptions.get(bytes);
      if (read == null) {
        try {
          read = MethodOption.of(MethodOptions.parseFrom(bytes, REGISTRY));
        } catch (InvalidProtocolBufferException e) {
          throw new UnreadableOptions(e);
        }
        methodOptions.put(bytes, read);
      }
      return read;
    }

    /**
     * The requirements a written, non-empty {@code Requires} message declares. Kept by the
     * message's identity (an immutable message, shared by the methods whose options share a parse),
     * so equal results are shared; a message that fails validation is not kept, so it throws the
     * same {@link IllegalArgumentException} for every method that names it.
     */
    Requirements requirements(dev.gatehouse.auth.v1.Requires written) {
      Requirements known = requirements.get(written);
      if (known == null) {
        known = Requirements.of(written.getRolesList(), written.getScopesList());
        requirements.put(written, known);
      }
      return known;
    }
  }
}
