package dev.gatehouse.benchmarks;

import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.testing.ManyMethodServices;
import io.grpc.ServerServiceDefinition;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Startup of a server with many annotated methods: builds {@code S} dynamic services of {@code M}
 * methods each (descriptors parsed from bytes without an extension registry, as generated code
 * does; Gatehouse options set), then times {@code Gatehouse.build()} (every method's policy
 * resolved, checked and logged) with the <em>default</em> logging configuration (console at INFO).
 * The first build is what a starting server pays (cold JIT); the later ones show the steady cost.
 * Prints wall time and the thread's CPU time of each build.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.gatehouse.benchmarks.StartupTime [S] [M] [builds]
 * </pre>
 */
public final class StartupTime {
  private StartupTime() {}

  /** Entry point: services (default 100), methods per service (default 100), builds (default 5). */
  public static void main(String[] args) {
    int services = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int perService = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    int builds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    if (services < 1 || perService < 1 || builds < 1 || (long) services * perService > 1_000_000) {
      throw new IllegalArgumentException("services, methods and builds must be positive");
    }
    List<ServerServiceDefinition> defs = ManyMethodServices.build(services, perService);
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    double[] wall = new double[builds];
    double[] cpu = new double[builds];
    for (int i = 0; i < builds; i++) {
      long c0 = mx.getCurrentThreadCpuTime();
      long w0 = System.nanoTime();
      Gatehouse.Builder b =
          Gatehouse.newBuilder()
              .userAuthenticator(new ChainOverheadBenchmark.FakeUser())
              .addTrustSource(new ChainOverheadBenchmark.FakeTrustSource());
      defs.forEach(b::addService);
      try (Gatehouse g = b.build()) {
        wall[i] = (System.nanoTime() - w0) / 1e6;
        cpu[i] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
        if (g.policies().size() != services * perService) {
          throw new IllegalStateException("resolved " + g.policies().size() + " methods");
        }
      }
    }
    List<String> rows = new ArrayList<>();
    for (int i = 0; i < builds; i++) {
      rows.add(
          String.format(
              Locale.ROOT, "build %d: wall %8.1f ms, thread CPU %8.1f ms", i + 1, wall[i], cpu[i]));
    }
    System.out.printf(
        Locale.ROOT,
        "startup: %d methods (%d services x %d), default logging%n",
        services * perService,
        services,
        perService);
    rows.forEach(System.out::println);
    double[] later = Arrays.copyOfRange(cpu, Math.min(1, builds - 1), builds);
    Arrays.sort(later);
    System.out.printf(
        Locale.ROOT,
        "first build: %.1f ms CPU (%.1f ms wall); median of later builds: %.1f ms CPU%n",
        cpu[0],
        wall[0],
        later[later.length / 2]);
  }
}
