package dev.gatehouse.trust.config;

import dev.gatehouse.config.GatehouseConfig;

/** Builds the authenticators a configuration describes; throws on anything unusable. */
@FunctionalInterface
interface ComponentFactory {
  Components create(GatehouseConfig config);
}
