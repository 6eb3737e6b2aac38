package dev.gatehouse.benchmarks;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@link XfccBenchmark} and {@link ClientAttachBenchmark} interleaved in rounds and measured in
 * <em>thread CPU time</em> and bytes allocated by the thread per operation, for a shared machine.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar dev.gatehouse.benchmarks.MicroCpu [rounds]
 * [opsPerRound]}
 */
public final class MicroCpu {
  private MicroCpu() {}

  /** Runs the comparison. */
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
    int ops = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
    XfccBenchmark xfcc = new XfccBenchmark();
    xfcc.setUp();
    ClientAttachBenchmark attach = new ClientAttachBenchmark();
    attach.setUp();
    Map<String, Supplier<Object>> cases = new LinkedHashMap<>();
    cases.put("xfcc header alone", xfcc::headerAlone);
    cases.put("xfcc mesh_identity", xfcc::authenticate);
    cases.put("client attach", attach::attachCachedToken);
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long self = Thread.currentThread().getId();
    Map<String, List<Double>> cpu = new LinkedHashMap<>();
    Map<String, List<Double>> bytes = new LinkedHashMap<>();
    cases.keySet().forEach(k -> cpu.put(k, new ArrayList<>()));
    cases.keySet().forEach(k -> bytes.put(k, new ArrayList<>()));
    for (int r = 0; r < rounds + 3; r++) {
      for (Map.Entry<String, Supplier<Object>> c : cases.entrySet()) {
        long a0 = mx.getThreadAllocatedBytes(self);
        long t0 = mx.getCurrentThreadCpuTime();
        Object last = null;
        for (int i = 0; i < ops; i++) {
          last = c.getValue().get();
        }
        long t1 = mx.getCurrentThreadCpuTime();
        long a1 = mx.getThreadAllocatedBytes(self);
        if (last == null) {
          throw new IllegalStateException(c.getKey());
        }
        if (r >= 3) { // the first rounds warm up
          cpu.get(c.getKey()).add((t1 - t0) / (double) ops);
          bytes.get(c.getKey()).add((a1 - a0) / (double) ops);
        }
      }
    }
    System.out.printf(
        Locale.ROOT,
        "%s %s, %d rounds x %d ops%n",
        System.getProperty("java.vm.name"),
        System.getProperty("java.version"),
        rounds,
        ops);
    for (String k : cases.keySet()) {
      System.out.printf(
          Locale.ROOT,
          "%-20s %8.0f ns/op cpu %8.0f B/op%n",
          k,
          median(cpu.get(k)),
          median(bytes.get(k)));
    }
  }

  private static double median(List<Double> v) {
    double[] a = v.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(a);
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }
}
