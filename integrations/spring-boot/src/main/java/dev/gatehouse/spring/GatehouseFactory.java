package dev.gatehouse.spring;

import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.policy.Mode;
import dev.gatehouse.server.AuditListener;
import io.grpc.ServerServiceDefinition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;
import org.springframework.grpc.server.service.GrpcServiceSpec;

/** Builds the {@link ConfiguredGatehouse} over the services Spring binds. */
final class GatehouseFactory {
  private static final Logger logger = Logger.getLogger(GatehouseFactory.class.getName());

  /** Services Spring Boot registers itself, and the mode each gets unless the file names it. */
  static final Map<String, Mode> SPRING_REGISTERED;

  static {
    Map<String, Mode> m = new LinkedHashMap<>();
    m.put("grpc.health.v1.Health", Mode.PUBLIC);
    m.put("grpc.reflection.v1.ServerReflection", Mode.INTERNAL);
    m.put("grpc.reflection.v1alpha.ServerReflection", Mode.INTERNAL);
    SPRING_REGISTERED = java.util.Collections.unmodifiableMap(m);
  }

  private GatehouseFactory() {}

  static ConfiguredGatehouse create(
      GatehouseProperties properties,
      List<GrpcServiceSpec> specs,
      ConfigSections sections,
      AuditListener auditListener) {
    Path file = properties.getConfigFile();
    if (file == null) {
      throw new IllegalStateException(
          "gatehouse.config-file: is required (the Gatehouse configuration file; see the"
              + " gatehouse-spring-boot README)");
    }
    // Parsed once here to see the file's overrides: the defaults for the services Spring
    // registers itself apply only where the file says nothing about them.
    GatehouseConfig config = GatehouseConfig.load(file, sections);
    ConfiguredGatehouse.Builder b = ConfiguredGatehouse.newBuilder(file).addSections(sections);
    List<String> names = new ArrayList<>();
    for (GrpcServiceSpec spec : specs) {
      ServerServiceDefinition def = spec.service().bindService();
      b.addService(def);
      names.add(def.getServiceDescriptor().getName());
    }
    for (String name : names) {
      Mode mode = SPRING_REGISTERED.get(name);
      if (mode != null && !namedByFile(config, name)) {
        b.addOverride(name + "/*", mode);
        logger.info(
            "gatehouse: " + name + " is registered by Spring; serving it as " + describe(mode));
      }
    }
    if (auditListener != null) {
      b.auditListener(auditListener);
    }
    return b.build();
  }

  private static boolean namedByFile(GatehouseConfig config, String service) {
    return config.overrides().stream().anyMatch(o -> o.method().startsWith(service + "/"));
  }

  private static String describe(Mode mode) {
    return mode == Mode.PUBLIC ? "public" : "internal";
  }
}
