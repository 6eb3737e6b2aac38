package dev.gatehouse.server;

import java.util.logging.Level;
import java.util.logging.Logger;

/** Logs one line per decision through {@code java.util.logging}; no secrets are in the event. */
final class LoggingAuditListener implements AuditListener {
  static final LoggingAuditListener INSTANCE = new LoggingAuditListener();
  private static final Logger logger = Logger.getLogger("dev.gatehouse.audit");

  private LoggingAuditListener() {}

  @Override
  public void onDecision(AuditEvent event) {
    Level level =
        switch (event.outcome()) {
          case ALLOWED -> Level.FINE;
          case DENIED -> Level.INFO;
          case WOULD_DENY -> Level.WARNING;
        };
    if (logger.isLoggable(level)) {
      logger.log(level, event.toString());
    }
  }
}
