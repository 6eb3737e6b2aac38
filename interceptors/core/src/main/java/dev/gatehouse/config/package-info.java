/**
 * Public API: the declarative configuration file (YAML, or JSON as YAML), parsed strictly into
 * immutable values. Unknown fields, duplicate keys, wrong types and YAML 1.1 booleans are errors
 * naming the field. Wiring the values into a running chain lives in {@code gatehouse-trust-sources}
 * ({@code dev.gatehouse.trust.config}), which knows the concrete trust sources.
 */
package dev.gatehouse.config;
