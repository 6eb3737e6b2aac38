/**
 * Optional OpenTelemetry tracing for Gatehouse: {@link
 * dev.gatehouse.opentelemetry.GatehouseSpanAttributes} puts each decision on the current server
 * span. Nothing here can change a decision.
 */
package dev.gatehouse.opentelemetry;
