/**
 * Connects Gatehouse's server chain to its client credentials for on-behalf-of calls: {@link
 * dev.gatehouse.onbehalf.AuthContextUsers}.
 */
package dev.gatehouse.onbehalf;
