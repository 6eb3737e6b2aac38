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

  /**
   * True when any listener records {@code outcome}, so the chain builds no event only when none
   * would record it. A listener that throws here counts as recording (it still gets the event).
   */
  @Override
  public boolean records(AuditEvent.Outcome outcome) {
    for (AuditListener listener : listeners) {
      if (recordsSafely(listener, outcome)) {
        return true;
      }
    }
    return false;
  }

  private static boolean recordsSafely(AuditListener listener, AuditEvent.Outcome outcome) {
    try {
      return listener.records(outcome);
    } catch (Throwable e) {
      if (e instanceof VirtualMachineError vme) {
        throw vme;
      }
      return true;
    }
  }

  /** Hands the event to every listener that records its outcome, in order. */
  @Override
  public void onDecision(AuditEvent event) {
    for (AuditListener listener : listeners) {
      try {
        if (!recordsSafely(listener, event.outcome())) {
          continue;
        }
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
