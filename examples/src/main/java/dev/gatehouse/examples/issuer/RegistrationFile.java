package dev.gatehouse.examples.issuer;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfigException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The registration file, reloaded when it changes: a background check every {@code interval}
 * compares the SHA-256 of the file's bytes (so an atomic rename or a symlink swap is seen). A file
 * that cannot be read or parsed is refused with one WARNING naming the field, and the last good
 * registrations keep serving. The first load happens in {@link #open} and fails loudly.
 */
public final class RegistrationFile implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(RegistrationFile.class.getName());
  private static final int MAX_BYTES = 1 << 20;

  private final Path file;
  private final ScheduledExecutorService watcher;
  private final ScheduledFuture<?> task;
  private volatile Registrations current;
  private byte[] digest; // guarded by this

  private RegistrationFile(Path file, Duration interval) throws IOException {
    this.file = file;
    byte[] bytes = read(file);
    this.current = Registrations.parse(new String(bytes, StandardCharsets.UTF_8));
    this.digest = sha256(bytes);
    this.watcher =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "registration-file-watcher");
              t.setDaemon(true);
              return t;
            });
    this.task =
        watcher.scheduleWithFixedDelay(
            this::reloadQuietly, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Loads {@code file} and starts watching it.
   *
   * @throws IOException if it cannot be read
   * @throws ConfigException if it is not a valid registration file
   */
  public static RegistrationFile open(Path file, Duration interval) throws IOException {
    requireNonNull(file, "file");
    requireNonNull(interval, "interval");
    if (interval.toMillis() < 10) {
      throw new IllegalArgumentException("interval must be at least 10 ms");
    }
    return new RegistrationFile(file, interval);
  }

  /** The registrations now in force. */
  public Registrations current() {
    return current;
  }

  /**
   * Re-reads the file now. True when the file as it stands is what serves (applied now or before);
   * false when it cannot be read or is refused.
   */
  public synchronized boolean reloadNow() {
    byte[] bytes;
    try {
      bytes = read(file);
    } catch (IOException e) {
      logger.log(
          Level.WARNING,
          "registration file "
              + file
              + " cannot be read ("
              + e.getMessage()
              + "); keeping the last");
      return false;
    }
    byte[] d = sha256(bytes);
    if (Arrays.equals(d, digest)) {
      return true;
    }
    try {
      current = Registrations.parse(new String(bytes, StandardCharsets.UTF_8));
    } catch (ConfigException e) {
      logger.log(
          Level.WARNING,
          "registration file " + file + " refused: " + e.getMessage() + "; keeping the last");
      return false;
    }
    digest = d;
    logger.info("registration file " + file + " reloaded: " + current.size() + " workloads");
    return true;
  }

  private void reloadQuietly() {
    try {
      reloadNow();
    } catch (RuntimeException e) {
      logger.log(Level.WARNING, "registration file check failed (" + e.getClass().getName() + ")");
    }
  }

  private static byte[] read(Path file) throws IOException {
    if (Files.size(file) > MAX_BYTES) {
      throw new IOException("larger than " + MAX_BYTES + " bytes");
    }
    return Files.readAllBytes(file);
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stops watching. */
  @Override
  public void close() {
    task.cancel(false);
    watcher.shutdownNow();
  }
}
