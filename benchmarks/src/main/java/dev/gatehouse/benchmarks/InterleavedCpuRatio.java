package dev.gatehouse.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A cross-check of {@link ChainOverheadBenchmark} for a shared, noisy machine: it interleaves the
 * six cases in rounds and measures <em>thread CPU time</em> per call (every stage runs on the
 * calling thread with {@code directExecutor()}), so time spent descheduled by other processes does
 * not count. Prints the median per case and the chain/no-chain ratios.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar dev.gatehouse.benchmarks.InterleavedCpuRatio
 * [rounds] [callsPerRound]}
 */
public final class InterleavedCpuRatio {
  private InterleavedCpuRatio() {}

  /** Runs the comparison. */
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    int calls = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
    ChainOverheadBenchmark b = new ChainOverheadBenchmark();
    b.setUp();
    try {
      Map<String, Supplier<Object>> cases = new LinkedHashMap<>();
      cases.put("noChainPublic", b::public0NoChain);
      cases.put("chainPublic", b::public1Chain);
      cases.put("noChainInternal", b::internal0NoChain);
      cases.put("chainInternal", b::internal1Chain);
      cases.put("noChainGated", b::gated0NoChain);
      cases.put("chainGated", b::gated1Chain);
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      // Warm-up: every case, interleaved, untimed.
      for (int r = 0; r < 5; r++) {
        for (Supplier<Object> c : cases.values()) {
          run(c, calls);
        }
      }
      Map<String, List<Double>> samples = new LinkedHashMap<>();
      cases.keySet().forEach(k -> samples.put(k, new ArrayList<>()));
      for (int r = 0; r < rounds; r++) {
        for (Map.Entry<String, Supplier<Object>> c : cases.entrySet()) {
          long t0 = mx.getCurrentThreadCpuTime();
          run(c.getValue(), calls);
          long t1 = mx.getCurrentThreadCpuTime();
          samples.get(c.getKey()).add((t1 - t0) / (double) calls);
        }
      }
      Map<String, Double> median = new LinkedHashMap<>();
      samples.forEach((k, v) -> median.put(k, median(v)));
      System.out.printf(Locale.ROOT, "%-16s %12s%n", "case", "cpu ns/call");
      median.forEach((k, v) -> System.out.printf(Locale.ROOT, "%-16s %12.0f%n", k, v));
      for (String m : List.of("Public", "Internal", "Gated")) {
        System.out.printf(
            Locale.ROOT,
            "ratio %-9s chain/noChain = %.2f%n",
            m,
            median.get("chain" + m) / median.get("noChain" + m));
      }
    } finally {
      b.tearDown();
    }
  }

  private static Object run(Supplier<Object> c, int calls) {
    Object last = null;
    for (int i = 0; i < calls; i++) {
      last = c.get();
    }
    return last;
  }

  private static double median(List<Double> v) {
    double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }
}
