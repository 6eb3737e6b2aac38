package dev.gatehouse.spring;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.policy.Access;
import dev.gatehouse.policy.MethodPolicy;
import dev.gatehouse.policy.Mode;
import dev.gatehouse.policy.Requirements;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * The Actuator endpoint {@code gatehouse}: the running posture. For each method, its mode, where
 * the mode came from, and what a caller needs; the SHA-256 of the configuration file now serving;
 * the trust sources (configuration sections) in use. Nothing secret: no key, token or secret value,
 * only names and policies.
 */
@Endpoint(id = "gatehouse")
public final class GatehouseEndpoint {
  private final ConfiguredGatehouse gatehouse;

  /** Reports on {@code gatehouse}. */
  public GatehouseEndpoint(ConfiguredGatehouse gatehouse) {
    this.gatehouse = requireNonNull(gatehouse, "gatehouse");
  }

  /** The posture. */
  @ReadOperation
  public Posture posture() {
    GatehouseConfig config = gatehouse.currentConfig();
    Map<String, MethodPosture> methods = new LinkedHashMap<>();
    for (MethodPolicy p : gatehouse.gatehouse().policies().values()) {
      methods.put(p.fullMethodName(), MethodPosture.of(p));
    }
    return new Posture(
        config.serviceName(),
        gatehouse.configFile().toString(),
        gatehouse.configHash(),
        config.dryRun(),
        config.devMode(),
        List.copyOf(config.sections().keySet()),
        methods);
  }

  /**
   * The running posture.
   *
   * @param serviceName {@code service_name}
   * @param configFile the configuration file
   * @param configHash SHA-256 (hex) of the file content now serving
   * @param dryRun whether refusals are only logged
   * @param devMode {@code dev_mode}
   * @param trustSources the configured sections ({@code user_jwt}, {@code internal.NAME})
   * @param methods every resolved method, by full method name
   */
  public record Posture(
      String serviceName,
      String configFile,
      String configHash,
      boolean dryRun,
      boolean devMode,
      List<String> trustSources,
      Map<String, MethodPosture> methods) {}

  /**
   * One method's posture.
   *
   * @param mode {@code public}, {@code internal} or {@code gated}
   * @param modeOrigin where the mode came from (method or service option, override, default)
   * @param anyOfRoles the caller needs one of these roles (empty: no role requirement)
   * @param allOfScopes the caller needs all of these scopes
   * @param access for a gated method without requirements: {@code allow} (any end user) or {@code
   *     deny} (nobody)
   * @param summary the line Gatehouse logs for the method at startup
   */
  public record MethodPosture(
      String mode,
      String modeOrigin,
      List<String> anyOfRoles,
      List<String> allOfScopes,
      String access,
      String summary) {
    static MethodPosture of(MethodPolicy p) {
      Requirements r = p.requirements().orElse(null);
      return new MethodPosture(
          lower(p.mode()),
          lower(p.modeOrigin()),
          r == null ? List.of() : List.copyOf(new TreeSet<>(r.anyOfRoles())),
          r == null ? List.of() : List.copyOf(new TreeSet<>(r.allOfScopes())),
          p.mode() == Mode.GATED && r == null ? lower(p.access()) : lower(Access.ALLOW),
          p.describe());
    }

    private static String lower(Enum<?> e) {
      return e.name().toLowerCase(Locale.ROOT);
    }
  }
}
