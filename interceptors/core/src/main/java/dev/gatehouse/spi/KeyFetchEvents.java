package dev.gatehouse.spi;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Process-wide notice of key-set fetches, for monitoring only: a trust source that fetches keys (an
 * issuer's JWKS, a trust domain's JWT bundle) reports each fetch that succeeded or failed, and
 * listeners (such as {@code gatehouse-micrometer}) count them. A fetch skipped during backoff is
 * not a fetch and is not reported; in-memory key sets never fetch.
 *
 * <p>Process-wide on purpose: key caches outlive a configuration reload, so a listener registered
 * once keeps seeing the caches a reload keeps or starts. Listeners are called on the fetching
 * thread and see only the key set's configured name (an issuer or trust domain); nothing they do
 * reaches a decision: an exception they throw is logged (its type only) and ignored. With no
 * listener registered, a report costs one volatile read.
 */
public final class KeyFetchEvents {
  private static final Logger logger = Logger.getLogger(KeyFetchEvents.class.getName());
  private static final CopyOnWriteArrayList<Entry> listeners = new CopyOnWriteArrayList<>();

  private KeyFetchEvents() {}

  /** Sees key-set fetches. Called on the fetching thread: keep it fast. */
  public interface Listener {
    /**
     * One fetch of the key set named {@code keySet} ended.
     *
     * @param keySet the configured issuer or trust-domain name
     * @param succeeded whether keys were fetched (they may still have been filtered to none)
     */
    void onFetch(String keySet, boolean succeeded);
  }

  /** A registration; {@link #close()} removes the listener. */
  public interface Registration extends AutoCloseable {
    /** Removes the listener; idempotent. */
    @Override
    void close();
  }

  /** Registers {@code listener} until the returned registration is closed. */
  public static Registration register(Listener listener) {
    requireNonNull(listener, "listener");
    // An entry per registration, so registering one listener twice needs two closes.
    Entry entry = new Entry(listener);
    listeners.add(entry);
    return () -> listeners.remove(entry);
  }

  /** Reports one fetch; for trust sources that fetch keys. */
  public static void report(String keySet, boolean succeeded) {
    if (listeners.isEmpty()) {
      return;
    }
    for (Entry e : listeners) {
      try {
        e.listener.onFetch(keySet, succeeded);
      } catch (Throwable t) {
        if (t instanceof VirtualMachineError vme) {
          throw vme;
        }
        logger.log(Level.WARNING, "gatehouse: key fetch listener threw " + t.getClass().getName());
      }
    }
  }

  /** One registration; compared by identity. */
  private static final class Entry {
    final Listener listener;

    Entry(Listener listener) {
      this.listener = listener;
    }
  }
}
