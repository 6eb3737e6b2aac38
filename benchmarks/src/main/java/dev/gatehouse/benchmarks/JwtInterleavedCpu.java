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
 * The cases of {@link JwtChainBenchmark} (no auth, the Gatehouse chain on a verified-token cache
 * hit, a naive interceptor verifying with Nimbus per call) interleaved in rounds, measured in
 * <em>thread CPU time</em> per call (every stage runs on the calling thread with {@code
 * directExecutor()}), so time spent descheduled by other processes on a shared machine does not
 * count. Prints medians and the ratios to no auth.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar dev.gatehouse.benchmarks.JwtInterleavedCpu
 * [rounds] [callsPerRound]}; the naive case runs a fiftieth of the calls per round.
 */
public final class JwtInterleavedCpu {
  private JwtInterleavedCpu() {}

  /** Runs the comparison. */
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
    int calls = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    JwtChainBenchmark b = new JwtChainBenchmark();
    b.setUp();
    try {
      Map<String, Supplier<Object>> cases = new LinkedHashMap<>();
      cases.put("noAuth", b::jwt0NoChain);
      cases.put("gatehouseHit", b::jwt1Chain);
      cases.put("naiveNimbus", b::jwt2NaiveNimbus);
      Map<String, Integer> perRound = new LinkedHashMap<>();
      perRound.put("noAuth", calls);
      perRound.put("gatehouseHit", calls);
      perRound.put("naiveNimbus", Math.max(1, calls / 50));
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      for (int r = 0; r < 3; r++) {
        for (Map.Entry<String, Supplier<Object>> c : cases.entrySet()) {
          run(c.getValue(), perRound.get(c.getKey()));
        }
      }
      Map<String, List<Double>> samples = new LinkedHashMap<>();
      cases.keySet().forEach(k -> samples.put(k, new ArrayList<>()));
      for (int r = 0; r < rounds; r++) {
        for (Map.Entry<String, Supplier<Object>> c : cases.entrySet()) {
          int n = perRound.get(c.getKey());
          long t0 = mx.getCurrentThreadCpuTime();
          run(c.getValue(), n);
          long t1 = mx.getCurrentThreadCpuTime();
          samples.get(c.getKey()).add((t1 - t0) / (double) n);
        }
      }
      Map<String, Double> median = new LinkedHashMap<>();
      samples.forEach((k, v) -> median.put(k, median(v)));
      double bare = median.get("noAuth");
      System.out.printf(
          Locale.ROOT, "%-14s %12s %12s %10s%n", "case", "cpu ns/call", "added ns", "ratio");
      median.forEach(
          (k, v) ->
              System.out.printf(
                  Locale.ROOT, "%-14s %12.0f %12.0f %10.2f%n", k, v, v - bare, v / bare));
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
