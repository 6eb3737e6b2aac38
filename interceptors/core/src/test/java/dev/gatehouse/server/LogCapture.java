package dev.gatehouse.server;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/** Captures every java.util.logging record, at every level, while open. */
final class LogCapture extends Handler implements AutoCloseable {
  private static final SimpleFormatter FORMATTER = new SimpleFormatter();
  private final Logger root = Logger.getLogger("");
  private final Level previous;
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();

  LogCapture() {
    previous = root.getLevel();
    setLevel(Level.ALL);
    root.setLevel(Level.ALL);
    root.addHandler(this);
  }

  @Override
  public void publish(LogRecord record) {
    records.add(record);
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    root.removeHandler(this);
    root.setLevel(previous);
  }

  /** Every record as it would be printed, with parameters and the full thrown stack trace. */
  List<String> lines() {
    return records.stream().map(LogCapture::render).toList();
  }

  List<LogRecord> records() {
    return records;
  }

  private static String render(LogRecord r) {
    StringBuilder sb = new StringBuilder(FORMATTER.format(r));
    sb.append(' ').append(r.getMessage());
    if (r.getParameters() != null) {
      for (Object p : r.getParameters()) {
        sb.append(' ').append(p);
      }
    }
    if (r.getThrown() != null) {
      StringWriter w = new StringWriter();
      r.getThrown().printStackTrace(new PrintWriter(w));
      sb.append(' ').append(w);
    }
    return sb.toString();
  }

  boolean anyContains(String text) {
    return lines().stream().anyMatch(l -> l.contains(text));
  }
}
