package dev.gatehouse.trust.config;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.GatehouseConfig;
import java.util.LinkedHashMap;
import java.util.Optional;

/** Builds the concrete authenticators from a validated configuration. */
final class ConfigComponents {
  private ConfigComponents() {}

  static Components create(GatehouseConfig config) {
    // Wired to the concrete trust sources once they exist.
    if (config.userJwt().isPresent()
        || config.signedToken().isPresent()
        || config.meshIdentity().isPresent()
        || config.sharedSecret().isPresent()) {
      throw new ConfigException("", "not wired yet");
    }
    return new Components(Optional.empty(), new LinkedHashMap<>());
  }
}
