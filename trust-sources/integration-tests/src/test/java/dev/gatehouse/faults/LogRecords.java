package dev.gatehouse.faults;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Collects the {@code java.util.logging} records of one logger (and its children) at {@code level}
 * and above, while open. The logger's own level is left alone unless it is above {@code level}.
 */
final class LogRecords extends Handler implements AutoCloseable {
  private final Logger logger;
  private final Level previous;
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();

  LogRecords(String loggerName, Level level) {
    this.logger = Logger.getLogger(loggerName);
    this.previous = logger.getLevel();
    setLevel(level);
    if (previous != null && previous.intValue() > level.intValue()) {
      logger.setLevel(level);
    }
    logger.addHandler(this);
  }

  @Override
  public void publish(LogRecord record) {
    if (isLoggable(record)) {
      records.add(record);
    }
  }

  /** How many records so far match {@code filter}. */
  long count(Predicate<LogRecord> filter) {
    return records.stream().filter(filter).count();
  }

  /** How many records so far. */
  int size() {
    return records.size();
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    logger.removeHandler(this);
    logger.setLevel(previous);
  }
}
