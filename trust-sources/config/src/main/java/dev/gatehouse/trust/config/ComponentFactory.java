package dev.gatehouse.trust.config;

import dev.gatehouse.config.GatehouseConfig;
import java.util.Optional;
import java.util.Set;

/** Builds the authenticators a configuration describes; throws on anything unusable. */
@FunctionalInterface
interface ComponentFactory {
  /**
   * Builds the named sections of {@code config} that are present.
   *
   * @param sections section names ({@link Components#USER_JWT} and the trust-source names) to build
   * @param previous the live authenticators being replaced, and the configuration they were built
   *     from, for state carried across a reload
   */
  Components create(GatehouseConfig config, Set<String> sections, Optional<Previous> previous);

  /** What a reload replaces. */
  record Previous(GatehouseConfig config, Components components) {}
}
