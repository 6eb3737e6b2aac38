package dev.gatehouse.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.policy.Mode;
import dev.gatehouse.spi.Reason;
import io.grpc.Status;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The default audit log stays bounded under hostile traffic and still says what it dropped. */
class LoggingAuditListenerTest {
  private static final Logger AUDIT = Logger.getLogger("dev.gatehouse.audit");
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Handler handler =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private Level previous;

  @BeforeEach
  void capture() {
    previous = AUDIT.getLevel();
    AUDIT.setLevel(Level.ALL);
    AUDIT.addHandler(handler);
  }

  @AfterEach
  void release() {
    AUDIT.removeHandler(handler);
    AUDIT.setLevel(previous);
  }

  private static AuditEvent refused(String method, Mode mode, Reason reason) {
    return new AuditEvent(
        method,
        mode,
        AuditEvent.Outcome.DENIED,
        Status.Code.UNAUTHENTICATED,
        reason,
        "refused",
        null,
        "user_jwt",
        1);
  }

  @Test
  void refusals_burstOnOneMethodAndReason_linesCappedPerWindow() {
    LoggingAuditListener listener = new LoggingAuditListener(now::get);
    for (int i = 0; i < 5_000; i++) {
      listener.onDecision(refused("p.S/M", Mode.GATED, Reason.MALFORMED_CREDENTIALS));
    }
    assertEquals(LoggingAuditListener.LINES_PER_WINDOW, records.size());
    assertTrue(records.stream().allMatch(r -> Level.INFO.equals(r.getLevel())));
  }

  @Test
  void refusals_nextWindow_firstLineCountsTheSuppressed() {
    LoggingAuditListener listener = new LoggingAuditListener(now::get);
    for (int i = 0; i < 25; i++) {
      listener.onDecision(refused("p.S/M", Mode.GATED, Reason.BAD_SIGNATURE));
    }
    now.addAndGet(LoggingAuditListener.WINDOW_NANOS);
    listener.onDecision(refused("p.S/M", Mode.GATED, Reason.BAD_SIGNATURE));
    LogRecord last = records.get(records.size() - 1);
    assertTrue(last.getMessage().endsWith(" (5 similar lines suppressed)"), last.getMessage());
    assertEquals(LoggingAuditListener.LINES_PER_WINDOW + 1, records.size());
  }

  @Test
  void refusals_otherMethodOrReason_limitedSeparately() {
    LoggingAuditListener listener = new LoggingAuditListener(now::get);
    for (int i = 0; i < 100; i++) {
      listener.onDecision(refused("p.S/A", Mode.GATED, Reason.EXPIRED));
      listener.onDecision(refused("p.S/B", Mode.GATED, Reason.EXPIRED));
      listener.onDecision(refused("p.S/A", Mode.GATED, Reason.UNKNOWN_KEY));
    }
    assertEquals(3 * LoggingAuditListener.LINES_PER_WINDOW, records.size());
  }

  @Test
  void refusals_unresolvedMethodNamesFromTheCaller_shareOneBucket() {
    LoggingAuditListener listener = new LoggingAuditListener(now::get);
    for (int i = 0; i < 1_000; i++) {
      listener.onDecision(refused("garbage.S/M" + i, null, Reason.UNRESOLVED_METHOD));
    }
    assertEquals(LoggingAuditListener.LINES_PER_WINDOW, records.size());
  }

  @Test
  void allowedCalls_notRateLimited() {
    LoggingAuditListener listener = new LoggingAuditListener(now::get);
    for (int i = 0; i < 100; i++) {
      listener.onDecision(
          new AuditEvent(
              "p.S/M",
              Mode.PUBLIC,
              AuditEvent.Outcome.ALLOWED,
              Status.Code.OK,
              Reason.OK,
              "",
              null,
              null,
              1));
    }
    assertEquals(100, records.size());
    assertTrue(records.stream().allMatch(r -> Level.FINE.equals(r.getLevel())));
  }

  private static AuditEvent event(AuditEvent.Outcome outcome) {
    return new AuditEvent(
        "p.S/M",
        Mode.GATED,
        outcome,
        outcome == AuditEvent.Outcome.ALLOWED ? Status.Code.OK : Status.Code.UNAUTHENTICATED,
        outcome == AuditEvent.Outcome.ALLOWED ? Reason.OK : Reason.BAD_SIGNATURE,
        "",
        null,
        "user_jwt",
        1);
  }

  /** As documented: one line per decision, allowed at FINE, refused at INFO, dry-run at WARNING. */
  @Test
  void outcomes_oneLineEachAtTheDocumentedLevel() {
    LoggingAuditListener listener = new LoggingAuditListener(now::get);
    listener.onDecision(event(AuditEvent.Outcome.ALLOWED));
    listener.onDecision(event(AuditEvent.Outcome.DENIED));
    listener.onDecision(event(AuditEvent.Outcome.WOULD_DENY));
    assertEquals(
        java.util.List.of(Level.FINE, Level.INFO, Level.WARNING),
        records.stream().map(LogRecord::getLevel).toList());
  }

  /** At the default INFO level an allowed call writes nothing: enable FINE to see them. */
  @Test
  void allowedCall_loggerAtInfo_noLine() {
    AUDIT.setLevel(Level.INFO);
    LoggingAuditListener listener = new LoggingAuditListener(now::get);
    listener.onDecision(event(AuditEvent.Outcome.ALLOWED));
    listener.onDecision(event(AuditEvent.Outcome.DENIED));
    assertEquals(java.util.List.of(Level.INFO), records.stream().map(LogRecord::getLevel).toList());
  }
}
