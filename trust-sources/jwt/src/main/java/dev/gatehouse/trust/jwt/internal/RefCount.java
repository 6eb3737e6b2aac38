package dev.gatehouse.trust.jwt.internal;

import java.util.concurrent.atomic.AtomicInteger;

/** A reference count that starts at one and cannot be revived once it reached zero. */
final class RefCount {
  private final AtomicInteger count = new AtomicInteger(1);

  /** One more reference; false (and nothing taken) once the count reached zero. */
  boolean retain() {
    while (true) {
      int n = count.get();
      if (n <= 0) {
        return false;
      }
      if (count.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Drops one reference; true exactly once, for the one that dropped the last. */
  boolean release() {
    return count.decrementAndGet() == 0;
  }
}
