package dev.gatehouse.server;

/**
 * Sees every decision of the chain and cannot change it. Called on the call's thread: keep it fast.
 * An exception it throws is logged and ignored.
 */
@FunctionalInterface
public interface AuditListener {
  /** Receives one decision. */
  void onDecision(AuditEvent event);

  /** The default: one log line per refusal at INFO, per allowed call at FINE. */
  static AuditListener logging() {
    return LoggingAuditListener.INSTANCE;
  }
}
