/**
 * The posture audit CLI ({@link dev.gatehouse.audit.AuditCli}): reads a protobuf descriptor set,
 * resolves every method with the server's own {@code PolicyResolver} and prints, checks or diffs
 * the result.
 *
 * <p>Only {@link dev.gatehouse.audit.AuditCli} (its {@code main}, {@code run} and exit codes) is
 * API; the command line and the JSON report's field names are the stable contract (see the module
 * README). Everything else here is package-private implementation.
 */
package dev.gatehouse.audit;
