/**
 * Public API: the Gatehouse server chain ({@link dev.gatehouse.server.Gatehouse}), the per-call
 * {@link dev.gatehouse.server.AuthContext}, the fixed client-facing statuses and the audit
 * listener.
 */
package dev.gatehouse.server;
