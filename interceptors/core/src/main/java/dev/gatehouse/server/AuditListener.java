package dev.gatehouse.server;

/**
 * Sees every decision of the chain and cannot change it. Called on the call's thread: keep it fast.
 * An exception it throws is logged and ignored.
 */
@FunctionalInterface
public interface AuditListener {
  /** Receives one decision. */
  void onDecision(AuditEvent event);

  /**
   * Whether {@link #onDecision} would record a decision with {@code outcome} right now. When it
   * answers false the chain builds no event for that decision and does not call {@link
   * #onDecision}. The default is true (every decision is delivered); override it only to skip work,
   * never to see fewer decisions than you record.
   */
  default boolean records(AuditEvent.Outcome outcome) {
    return true;
  }

  /**
   * The default: a log line per allowed call at FINE, per refusal at INFO (dry-run: WARNING),
   * refusals rate-limited per method and reason (at most 20 lines per 10 s each, then a count of
   * the suppressed ones). A new instance each time, so each server limits on its own.
   */
  static AuditListener logging() {
    return LoggingAuditListener.create();
  }

  /**
   * One listener that hands each decision to every one of {@code listeners}, in order. A listener
   * that throws is logged (its exception type only) and skipped: the others still see the decision,
   * and the call is unaffected. For example {@code AuditListener.all(AuditListener.logging(),
   * metrics)} keeps the default log lines next to a metrics listener.
   *
   * @throws IllegalArgumentException if no listener is given
   */
  static AuditListener all(AuditListener... listeners) {
    return CompositeAuditListener.of(listeners);
  }
}
