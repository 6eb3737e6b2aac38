/**
 * Optional Micrometer metrics for Gatehouse: {@link dev.gatehouse.micrometer.GatehouseMetrics}
 * counts and times every decision of the chain and reports key-fetch, replay-cache and certificate
 * expiry gauges. Nothing here can change a decision.
 */
package dev.gatehouse.micrometer;
