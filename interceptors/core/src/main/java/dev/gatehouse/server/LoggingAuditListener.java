package dev.gatehouse.server;

import dev.gatehouse.spi.Reason;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Logs decisions through {@code java.util.logging} (logger {@code dev.gatehouse.audit}); no secrets
 * are in the event. Allowed calls at FINE, refusals at INFO, dry-run refusals at WARNING.
 *
 * <p>Refusal lines are rate-limited per method and reason, so hostile traffic cannot grow the log
 * without bound: at most {@value #LINES_PER_WINDOW} lines per method and reason every 10 s; the
 * next line after a quiet spell says how many were suppressed. Methods the chain did not resolve
 * (their names come from the caller) share one bucket per reason. An audit listener of your own
 * still sees every decision.
 */
final class LoggingAuditListener implements AuditListener {
  static final int LINES_PER_WINDOW = 20;
  static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(10);

  /** Beyond this many buckets (methods × reasons), refusals share one overflow bucket. */
  private static final int MAX_BUCKETS = 20_000;

  private static final Logger logger = Logger.getLogger("dev.gatehouse.audit");

  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final Bucket overflow = new Bucket();

  LoggingAuditListener(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  static LoggingAuditListener create() {
    return new LoggingAuditListener(System::nanoTime);
  }

  /** Whether a line for {@code outcome} would be logged at the logger's current level. */
  @Override
  public boolean records(AuditEvent.Outcome outcome) {
    return logger.isLoggable(level(outcome));
  }

  private static Level level(AuditEvent.Outcome outcome) {
    return switch (outcome) {
      case ALLOWED -> Level.FINE;
      case DENIED -> Level.INFO;
      case WOULD_DENY -> Level.WARNING;
    };
  }

  @Override
  public void onDecision(AuditEvent event) {
    Level level = level(event.outcome());
    if (!logger.isLoggable(level)) {
      return;
    }
    if (event.outcome() == AuditEvent.Outcome.ALLOWED) {
      logger.log(level, event.toString());
      return;
    }
    long suppressed = bucket(event).admit(nanoTime.getAsLong());
    if (suppressed < 0) {
      return;
    }
    logger.log(
        level,
        suppressed == 0
            ? event.toString()
            : event + " (" + suppressed + " similar lines suppressed)");
  }

  private Bucket bucket(AuditEvent event) {
    Reason reason = event.reason();
    String method = event.mode().isPresent() ? event.fullMethodName() : "<unresolved>";
    String key = method + ' ' + reason;
    Bucket b = buckets.get(key);
    if (b != null) {
      return b;
    }
    if (buckets.size() >= MAX_BUCKETS) {
      return overflow;
    }
    return buckets.computeIfAbsent(key, k -> new Bucket());
  }

  /** A fixed-window counter; lock-free. */
  private static final class Bucket {
    private final AtomicLong windowStart = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong linesInWindow = new AtomicLong();
    private final AtomicLong suppressed = new AtomicLong();

    /** The number of lines suppressed before this one, or -1 if this line is suppressed. */
    long admit(long now) {
      long start = windowStart.get();
      if (start == Long.MIN_VALUE || now - start >= WINDOW_NANOS) {
        if (windowStart.compareAndSet(start, now)) {
          linesInWindow.set(0);
        }
      }
      if (linesInWindow.incrementAndGet() > LINES_PER_WINDOW) {
        suppressed.incrementAndGet();
        return -1;
      }
      return suppressed.getAndSet(0);
    }
  }
}
