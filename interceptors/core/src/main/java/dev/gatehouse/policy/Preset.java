package dev.gatehouse.policy;

import static java.util.Objects.requireNonNull;

import com.google.common.collect.ImmutableList;
import java.util.List;
import java.util.Optional;

/**
 * A ready-made mode for a standard gRPC service that carries no Gatehouse options. A preset is an
 * {@linkplain ModeOverride override} of every method of its services, with two differences: an
 * explicit override of the same method wins over it, and a preset whose services the server does
 * not register is only a startup warning.
 *
 * <pre>{@code
 * Gatehouse.newBuilder().addService(impl).addPreset(Preset.HEALTH).addPreset(Preset.REFLECTION)...
 * }</pre>
 *
 * In the configuration file: {@code presets: [health, reflection]}.
 */
public enum Preset {
  /** {@code grpc.health.v1.Health}: public, so load balancers and probes need no credential. */
  HEALTH("health", Mode.PUBLIC, ImmutableList.of("grpc.health.v1.Health")),

  /**
   * Server reflection ({@code grpc.reflection.v1.ServerReflection} and the older {@code
   * grpc.reflection.v1alpha.ServerReflection}): internal, so only a vouched-for service (an
   * operator's tool with a service identity) can list the server's API. Never public unless an
   * explicit override says so.
   */
  REFLECTION(
      "reflection",
      Mode.INTERNAL,
      ImmutableList.of(
          "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"));

  private final String configName;
  private final Mode mode;
  private final ImmutableList<String> services;

  Preset(String configName, Mode mode, ImmutableList<String> services) {
    this.configName = configName;
    this.mode = mode;
    this.services = services;
  }

  /**
   * The name in the configuration file's {@code presets} list ({@code health}, {@code reflection}).
   */
  public String configName() {
    return configName;
  }

  /** The mode the preset gives every method of its services. */
  public Mode mode() {
    return mode;
  }

  /** The full names of the services the preset covers. */
  public List<String> services() {
    return services;
  }

  /** Whether the preset covers the service {@code serviceFullName}. */
  public boolean covers(String serviceFullName) {
    return services.contains(requireNonNull(serviceFullName, "serviceFullName"));
  }

  /** The preset named {@code name} in the configuration file, if any (case-sensitive). */
  public static Optional<Preset> fromConfigName(String name) {
    requireNonNull(name, "name");
    for (Preset p : values()) {
      if (p.configName.equals(name)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * The configuration-file names of every preset, for error messages: {@code health, reflection}.
   */
  public static String configNames() {
    StringBuilder sb = new StringBuilder();
    for (Preset p : values()) {
      sb.append(sb.length() == 0 ? "" : ", ").append(p.configName);
    }
    return sb.toString();
  }
}
