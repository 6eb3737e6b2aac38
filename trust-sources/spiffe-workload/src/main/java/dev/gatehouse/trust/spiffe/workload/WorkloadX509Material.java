package dev.gatehouse.trust.spiffe.workload;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.trust.spiffe.tls.X509Material;
import dev.gatehouse.trust.spiffe.tls.X509MaterialSource;
import dev.gatehouse.trust.spiffe.workload.WorkloadApiFeed.X509Context;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * The workload's TLS material from the Workload API, for {@code SpiffeTls.server(...)} and {@code
 * SpiffeTls.client(...)} of {@code gatehouse-spiffe-tls}: the own X.509-SVID (chain and key) and
 * the X.509 bundles of the same X.509 context — the own trust domain's and every federated one — as
 * one {@link X509Material}, replaced on every X.509 context the agent sends.
 *
 * <pre>{@code
 * WorkloadApiFeed agent = WorkloadApiFeed.connect("unix:/run/spire/agent.sock");
 * WorkloadX509Material svid = WorkloadX509Material.of(agent, Duration.ofSeconds(30));
 * ServerCredentials server = SpiffeTls.server(svid).build();
 * ChannelCredentials client = SpiffeTls.client(svid).expectServer(tripsId).build();
 * }</pre>
 *
 * <p>A context whose key does not belong to its leaf, or whose leaf is not an X.509-SVID, is
 * refused by {@link X509Material#of} with one WARNING (no key material) and the previous material
 * keeps serving. Listeners run on the feed's thread after {@link #current()} changed. Close it to
 * stop following the feed (the feed itself stays open).
 */
public final class WorkloadX509Material implements X509MaterialSource, AutoCloseable {
  private static final Logger logger = Logger.getLogger(WorkloadX509Material.class.getName());

  private final WorkloadApiFeed feed;
  private final List<Consumer<X509Material>> listeners = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  private final AutoCloseable subscription;
  private volatile X509Material current;

  private WorkloadX509Material(WorkloadApiFeed feed) {
    this.feed = feed;
    this.subscription = feed.addX509ContextListener(this::apply);
    feed.x509Context().ifPresent(this::apply);
  }

  /**
   * Material following {@code feed}, once the feed has delivered a usable X.509 context; waits up
   * to {@code firstSvidTimeout} for it.
   *
   * @throws IllegalStateException if no usable X.509-SVID arrived in time (the agent is not
   *     reachable, does not attest this workload, or sent material that is not consistent)
   */
  public static WorkloadX509Material of(WorkloadApiFeed feed, Duration firstSvidTimeout) {
    requireNonNull(feed, "feed");
    requireNonNull(firstSvidTimeout, "firstSvidTimeout");
    WorkloadX509Material m = new WorkloadX509Material(feed);
    long deadline = System.nanoTime() + firstSvidTimeout.toNanos();
    synchronized (m.lock) {
      while (m.current == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          m.close();
          throw new IllegalStateException(
              "firstSvidTimeout: no usable X.509-SVID from the Workload API at "
                  + feed.socket()
                  + " within "
                  + firstSvidTimeout);
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(m.lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          m.close();
          throw new IllegalStateException("interrupted waiting for the first X.509-SVID", e);
        }
      }
    }
    return m;
  }

  @SuppressWarnings("ReferenceEquality") // identity: each response is a new context object
  private void apply(X509Context context) {
    X509Material next;
    try {
      next =
          X509Material.of(context.svid().chain(), context.svid().privateKey(), context.bundles());
    } catch (IllegalArgumentException e) {
      logger.warning(
          "Workload API "
              + feed.socket()
              + ": X.509 context not usable as TLS material ("
              + e.getMessage()
              + "); keeping the previous one");
      return;
    }
    synchronized (lock) {
      // The constructor applies the context it read while the feed's thread may apply a newer one:
      // only the feed's latest context may become current (the newer one is applied by its own
      // listener call).
      if (feed.x509Context().orElse(null) != context) {
        return;
      }
      current = next;
      lock.notifyAll();
      for (Consumer<X509Material> l : listeners) {
        try {
          l.accept(next);
        } catch (RuntimeException ex) {
          logger.warning("a TLS material listener failed (" + ex.getClass().getSimpleName() + ")");
        }
      }
    }
  }

  /** The material built from the latest usable X.509 context. */
  @Override
  public X509Material current() {
    return current;
  }

  @Override
  public AutoCloseable subscribe(Consumer<X509Material> listener) {
    requireNonNull(listener, "listener");
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Stops following the feed; the last material stays {@link #current()}. */
  @Override
  public void close() {
    try {
      subscription.close();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "WorkloadX509Material{" + feed.socket() + ", " + current + "}";
  }
}
