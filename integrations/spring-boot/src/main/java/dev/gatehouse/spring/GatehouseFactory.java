package dev.gatehouse.spring;

import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.policy.Preset;
import dev.gatehouse.server.AuditListener;
import io.grpc.ServerServiceDefinition;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Logger;
import org.springframework.grpc.server.service.GrpcServiceSpec;

/** Builds the {@link ConfiguredGatehouse} over the services Spring binds. */
final class GatehouseFactory {
  private static final Logger logger = Logger.getLogger(GatehouseFactory.class.getName());

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
    ConfiguredGatehouse.Builder b = ConfiguredGatehouse.newBuilder(file).addSections(sections);
    // Spring registers health and reflection itself: each gets its preset (health public,
    // reflection internal); an override in the file for one of their methods still wins.
    Set<Preset> presets = EnumSet.noneOf(Preset.class);
    for (GrpcServiceSpec spec : specs) {
      ServerServiceDefinition def = spec.service().bindService();
      b.addService(def);
      String name = def.getServiceDescriptor().getName();
      for (Preset preset : Preset.values()) {
        if (preset.covers(name) && presets.add(preset)) {
          b.addPreset(preset);
          logger.info(
              "gatehouse: " + name + " is registered by Spring; preset " + preset.configName());
        }
      }
    }
    if (auditListener != null) {
      b.auditListener(auditListener);
    }
    return b.build();
  }
}
