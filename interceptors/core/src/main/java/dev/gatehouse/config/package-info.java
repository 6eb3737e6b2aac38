/**
 * Public API: the declarative configuration file (YAML, or JSON as YAML) and the chain built from
 * it. The core parses the top level strictly ({@link dev.gatehouse.config.GatehouseConfig}) and
 * hands each section to the {@link dev.gatehouse.config.ConfigSectionProvider} registered for it
 * (explicitly, with {@link dev.gatehouse.config.ConfigSections} or {@link
 * dev.gatehouse.config.ConfiguredGatehouse.Builder#addSection}); each trust-source family ships the
 * providers of its sections. Unknown fields, duplicate keys, wrong types and YAML 1.1 booleans are
 * errors naming the field. {@link dev.gatehouse.config.ConfiguredGatehouse} builds and reloads the
 * chain and knows no concrete source. Package-private classes ({@code ConfigParser}, {@code Slot},
 * {@code Components}, {@code KnownSections}) are plumbing, not API.
 */
package dev.gatehouse.config;
