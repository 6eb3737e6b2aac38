package dev.gatehouse.server;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Hands each decision to several listeners in order; one that throws does not stop the others. */
final class CompositeAuditListener implements AuditListener {
  private static final Logger logger = Logger.getLogger(CompositeAuditListener.class.getName());

  private final List<AuditListener> listeners;

  private CompositeAuditListener(List<AuditListener> listeners) {
    this.listeners = listeners;
  }

  static CompositeAuditListener of(AuditListener... listeners) {
    requireNonNull(listeners, "listeners");
    if (listeners.length == 0) {
      throw new IllegalArgumentException("AuditListener.all needs at least one listener");
    }
    for (int i = 0; i < listeners.length; i++) {
      requireNonNull(listeners[i], "listeners[" + i + "]");
    }
    return new CompositeAuditListener(List.of(listeners));
  }

  @Override
  public void onDecision(AuditEvent event) {
    for (AuditListener listener : listeners) {
      try {
        listener.onDecision(event);
      } catch (Throwable e) {
        // As in the chain: only the JVM's own fatal errors go on; nothing a listener throws
        // reaches the call or the listeners after it.
        if (e instanceof VirtualMachineError vme) {
          throw vme;
        }
        logger.log(Level.WARNING, "gatehouse: audit listener threw " + e.getClass().getName());
      }
    }
  }
}
