package dev.gatehouse.faults;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting on a condition with a generous deadline, instead of sleeping a fixed time. */
final class Conditions {
  private Conditions() {}

  /**
   * Polls {@code condition} every {@code pollMillis} until it holds or {@code deadline} passes.
   *
   * @return the time it took, or null if it never held
   */
  static Duration await(Duration deadline, long pollMillis, BooleanSupplier condition)
      throws InterruptedException {
    long start = System.nanoTime();
    long end = start + deadline.toNanos();
    while (true) {
      if (condition.getAsBoolean()) {
        return Duration.ofNanos(System.nanoTime() - start);
      }
      if (System.nanoTime() > end) {
        return null;
      }
      Thread.sleep(pollMillis);
    }
  }
}
