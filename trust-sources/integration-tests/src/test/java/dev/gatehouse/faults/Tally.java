package dev.gatehouse.faults;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Counts call outcomes of one fault test (by status code and description), their slowest latency,
 * and prints the figures as one line: {@code [faults] NAME: calls=…, ok=…, …}.
 */
final class Tally {
  private final String name;
  private final long startNanos = System.nanoTime();
  private final LongAdder calls = new LongAdder();
  private final LongAdder ok = new LongAdder();
  private final LongAdder unavailable = new LongAdder();
  private final LongAdder refused = new LongAdder();
  private final AtomicLong maxLatencyNanos = new AtomicLong();
  private final Map<String, AtomicInteger> outcomes = new ConcurrentHashMap<>();

  Tally(String name) {
    this.name = name;
  }

  /** Runs one call, records its outcome and latency, and returns its status. */
  Status call(Supplier<?> call) {
    long t0 = System.nanoTime();
    Status status;
    try {
      var unused = call.get();
      status = Status.OK;
    } catch (StatusRuntimeException e) {
      status = e.getStatus();
    }
    record(status, System.nanoTime() - t0);
    return status;
  }

  /** Records one outcome. */
  void record(Status status, long latencyNanos) {
    calls.increment();
    maxLatencyNanos.accumulateAndGet(latencyNanos, Math::max);
    switch (status.getCode()) {
      case OK -> ok.increment();
      case UNAVAILABLE -> unavailable.increment();
      default -> refused.increment();
    }
    outcomes
        .computeIfAbsent(
            status.getCode()
                + (status.getDescription() == null ? "" : "/" + status.getDescription()),
            k -> new AtomicInteger())
        .incrementAndGet();
  }

  long calls() {
    return calls.sum();
  }

  long ok() {
    return ok.sum();
  }

  long unavailable() {
    return unavailable.sum();
  }

  long refused() {
    return refused.sum();
  }

  /** Calls that did not succeed so far (race-free while calls are still running). */
  long failed() {
    return refused.sum() + unavailable.sum();
  }

  long maxLatencyMillis() {
    return maxLatencyNanos.get() / 1_000_000;
  }

  /** Outcomes by {@code CODE/description}, sorted. */
  Map<String, Integer> outcomes() {
    Map<String, Integer> out = new TreeMap<>();
    outcomes.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Prints the figures, with {@code extra} ("key=value, …") appended, and returns the line. */
  String print(String extra) {
    String line =
        "[faults] "
            + name
            + ": calls="
            + calls()
            + ", ok="
            + ok()
            + ", refused="
            + refused()
            + ", unavailable="
            + unavailable()
            + ", max latency ms="
            + maxLatencyMillis()
            + ", elapsed ms="
            + (System.nanoTime() - startNanos) / 1_000_000
            + (extra.isEmpty() ? "" : ", " + extra)
            + ", outcomes="
            + outcomes();
    System.out.println(line);
    return line;
  }
}
