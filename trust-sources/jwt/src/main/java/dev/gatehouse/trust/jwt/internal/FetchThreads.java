package dev.gatehouse.trust.jwt.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The daemon threads that fetch and refresh key sets, shared by the {@link KeySets} of successive
 * configuration generations and by every {@link KeyCache} started on them; stopped by the last
 * {@link #release()}.
 */
final class FetchThreads {
  final ExecutorService executor = Executors.newCachedThreadPool(daemon("gatehouse-jwks"));
  final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(daemon("gatehouse-jwks-refresh"));
  private final RefCount owners = new RefCount();

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** One more reference; false once the threads are stopped. */
  boolean retain() {
    return owners.retain();
  }

  /** Drops one reference; the last stops the threads. */
  void release() {
    if (owners.release()) {
      scheduler.shutdownNow();
      executor.shutdownNow();
    }
  }
}
