package dev.gatehouse.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The cases of {@link ColdPathBenchmark} interleaved in rounds and measured in <em>thread CPU
 * time</em> per verification, for a shared machine where wall-clock JMH scores measure the
 * neighbours. Prints the medians and Gatehouse's ratio to Nimbus, per algorithm.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar dev.gatehouse.benchmarks.ColdPathCpu [rounds]
 * [callsPerRound]}
 */
public final class ColdPathCpu {
  private ColdPathCpu() {}

  /** Runs the comparison for ES256 and RS256. */
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
    int calls = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    System.out.printf(
        Locale.ROOT,
        "%s %s, %d rounds x %d verifications%n",
        System.getProperty("java.vm.name"),
        System.getProperty("java.version"),
        rounds,
        calls);
    for (String alg : List.of("ES256", "RS256")) {
      ColdPathBenchmark b = new ColdPathBenchmark();
      b.alg = alg;
      b.setUp();
      try {
        List<Double> gatehouse = new ArrayList<>();
        List<Double> nimbus = new ArrayList<>();
        for (int r = 0; r < rounds + 3; r++) {
          long t0 = mx.getCurrentThreadCpuTime();
          for (int i = 0; i < calls; i++) {
            b.gatehouseVerify();
          }
          long t1 = mx.getCurrentThreadCpuTime();
          for (int i = 0; i < calls; i++) {
            b.nimbusProcess();
          }
          long t2 = mx.getCurrentThreadCpuTime();
          if (r >= 3) { // the first rounds warm up
            gatehouse.add((t1 - t0) / 1e3 / calls);
            nimbus.add((t2 - t1) / 1e3 / calls);
          }
        }
        double g = median(gatehouse);
        double n = median(nimbus);
        System.out.printf(
            Locale.ROOT,
            "%s  gatehouse %8.1f us  nimbus process %8.1f us  ratio %.3f%n",
            alg,
            g,
            n,
            g / n);
      } finally {
        b.tearDown();
      }
    }
  }

  private static double median(List<Double> v) {
    double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }
}
