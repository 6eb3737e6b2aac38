package dev.gatehouse.server;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads that decide calls which might wait for a key fetch (an authenticator answered {@code
 * mayWaitForKeys}), so that the wait never runs on a transport thread. One pool per JVM, shared by
 * every chain: at most {@link #THREADS} daemon threads (named {@code gatehouse-deferred-N}, gone
 * after {@link #KEEP_ALIVE_SECONDS} idle, so nothing needs closing) and at most {@link #QUEUE}
 * waiting decisions. A decision that finds the pool and queue full is not run inline: the call is
 * answered {@code UNAVAILABLE} at once (fail closed).
 */
final class DeferredDecisions {
  /** At most this many deferred decisions run at once. */
  static final int THREADS = 16;

  /** At most this many deferred decisions wait for a thread. */
  static final int QUEUE = 1024;

  static final long KEEP_ALIVE_SECONDS = 30;

  private static final AtomicInteger COUNT = new AtomicInteger();

  private static final ThreadPoolExecutor POOL = newPool();

  private DeferredDecisions() {}

  private static ThreadPoolExecutor newPool() {
    ThreadPoolExecutor pool =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            KEEP_ALIVE_SECONDS,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(QUEUE),
            r -> {
              Thread t = new Thread(r, "gatehouse-deferred-" + COUNT.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** Runs {@code decision} on a pool thread; false when the pool and its queue are full. */
  static boolean submit(Runnable decision) {
    try {
      POOL.execute(decision);
      return true;
    } catch (RejectedExecutionException e) {
      return false;
    }
  }
}
