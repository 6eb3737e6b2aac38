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
 * Every case of {@link JwtChainBenchmark} interleaved in rounds, measured in <em>thread CPU
 * time</em> and <em>bytes allocated by the thread</em> per call (every stage runs on the calling
 * thread with {@code directExecutor()}), so time spent descheduled by other processes on a shared
 * machine does not count. Prints per case the median CPU per call, the CPU added over its no-auth
 * twin (same headers), the ratio to it, and the median bytes allocated per call and added over the
 * twin.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar dev.gatehouse.benchmarks.JwtInterleavedCpu
 * [rounds] [callsPerRound]}; the cases that verify a signature on every call (naive Nimbus,
 * java-spiffe) run a fiftieth of the calls per round.
 */
public final class JwtInterleavedCpu {
  private JwtInterleavedCpu() {}

  /** One measured case and the no-auth case it is compared with. */
  private record Case(String name, String twin, Supplier<Object> call, boolean slow) {}

  /** Runs the comparison. */
  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
    int calls = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    JwtChainBenchmark b = new JwtChainBenchmark();
    b.setUp();
    try {
      List<Case> cases =
          List.of(
              new Case("jwt noAuth", "jwt noAuth", b::jwt0NoChain, false),
              new Case("jwt gatehouse hit", "jwt noAuth", b::jwt1Chain, false),
              new Case("jwt caffeine+nimbus", "jwt noAuth", b::jwt3CaffeineNimbus, false),
              new Case("jwt naive nimbus", "jwt noAuth", b::jwt2NaiveNimbus, true),
              new Case("svid noAuth", "svid noAuth", b::svid0NoChain, false),
              new Case("svid gatehouse hit", "svid noAuth", b::svid1Chain, false),
              new Case("svid java-spiffe", "svid noAuth", b::svid2JavaSpiffe, true),
              new Case("signed noAuth", "signed noAuth", b::signed0NoChain, false),
              new Case("signed gatehouse hit", "signed noAuth", b::signed1Chain, false),
              new Case("xfcc noAuth", "xfcc noAuth", b::xfcc0NoChain, false),
              new Case("xfcc gatehouse", "xfcc noAuth", b::xfcc1Chain, false),
              new Case("public noAuth", "public noAuth", b::pub0NoChain, false),
              new Case("public gatehouse", "public noAuth", b::pub1Chain, false));
      com.sun.management.ThreadMXBean mx =
          (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long self = Thread.currentThread().getId();
      for (int r = 0; r < 3; r++) {
        for (Case c : cases) {
          run(c.call(), perRound(c, calls));
        }
      }
      Map<String, List<Double>> cpu = new LinkedHashMap<>();
      Map<String, List<Double>> bytes = new LinkedHashMap<>();
      for (Case c : cases) {
        cpu.put(c.name(), new ArrayList<>());
        bytes.put(c.name(), new ArrayList<>());
      }
      for (int r = 0; r < rounds; r++) {
        for (Case c : cases) {
          int n = perRound(c, calls);
          long a0 = mx.getThreadAllocatedBytes(self);
          long t0 = mx.getCurrentThreadCpuTime();
          run(c.call(), n);
          long t1 = mx.getCurrentThreadCpuTime();
          long a1 = mx.getThreadAllocatedBytes(self);
          cpu.get(c.name()).add((t1 - t0) / (double) n);
          bytes.get(c.name()).add((a1 - a0) / (double) n);
        }
      }
      System.out.printf(
          Locale.ROOT,
          "%s, %d rounds x %d calls (signature-per-call cases: %d)%n",
          System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
          rounds,
          calls,
          Math.max(1, calls / 50));
      System.out.printf(
          Locale.ROOT,
          "%-22s %12s %10s %7s %10s %10s%n",
          "case",
          "cpu ns/call",
          "added ns",
          "ratio",
          "B/call",
          "added B");
      for (Case c : cases) {
        double v = median(cpu.get(c.name()));
        double bare = median(cpu.get(c.twin()));
        double a = median(bytes.get(c.name()));
        double bareBytes = median(bytes.get(c.twin()));
        System.out.printf(
            Locale.ROOT,
            "%-22s %12.0f %10.0f %7.2f %10.0f %10.0f%n",
            c.name(),
            v,
            v - bare,
            v / bare,
            a,
            a - bareBytes);
      }
    } finally {
      b.tearDown();
    }
  }

  private static int perRound(Case c, int calls) {
    return c.slow() ? Math.max(1, calls / 50) : calls;
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
