package dev.gatehouse.benchmarks;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.ProbeGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A closed-loop load generator over real Netty on loopback: {@code C} client threads (calls in
 * flight) call as fast as they can for {@code S} seconds per row, the rows one after the other in
 * each round, for {@code R} rounds:
 *
 * <ul>
 *   <li>{@code noAuth jwt}: a gated method on a server without auth, the ES256 user JWT sent;
 *   <li>{@code gatehouse jwt}: the same through Gatehouse {@code user_jwt} (verified-token cache
 *       hit);
 *   <li>{@code caffeine jwt}: the same through the textbook cached interceptor (Caffeine keyed by
 *       the raw token, Nimbus on a miss);
 *   <li>{@code noAuth public} / {@code gatehouse public}: a public method, no credential.
 * </ul>
 *
 * <p>Per row: calls/s, p50 and p99 latency, process CPU time per call (client and server share the
 * process, so it is the whole call's CPU on both sides), and the ratio of calls/s to its no-auth
 * row in the same round; then the median of the ratios over the rounds. Bounded in time and calls;
 * 127.0.0.1 only.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.gatehouse.benchmarks.LoadGenerator [C] [S] [R]
 * </pre>
 */
public final class LoadGenerator {
  private static final int MAX_SAMPLES_PER_THREAD = 2_000_000;
  // Held strongly: java.util.logging keeps loggers weakly, and a collected one forgets its level.
  private static final java.util.logging.Logger QUIET =
      java.util.logging.Logger.getLogger("dev.gatehouse");

  private LoadGenerator() {}

  /** One measured phase. */
  private record Phase(
      double callsPerSecond, double p50Micros, double p99Micros, double cpuMicros, long failures) {}

  /** One row: a server, the headers sent and the method called. */
  private record Row(
      String name,
      String twin,
      int port,
      Metadata headers,
      Consumer<ProbeGrpc.ProbeBlockingStub> call) {}

  /** Entry point: calls in flight (default 32), seconds per row (default 5), rounds (default 5). */
  public static void main(String[] args) throws Exception {
    int concurrency = args.length > 0 ? Integer.parseInt(args[0]) : 32;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    if (concurrency < 1
        || concurrency > 64
        || seconds < 1
        || seconds > 60
        || rounds < 1
        || rounds > 20) {
      throw new IllegalArgumentException("concurrency 1..64, seconds 1..60, rounds 1..20");
    }
    QUIET.setLevel(java.util.logging.Level.WARNING);

    ECKey key = new ECKeyGenerator(Curve.P_256).keyID("idp-1").generate();
    Metadata jwt = JwtChainBenchmark.bearer(JwtChainBenchmark.userToken(key, Instant.now()));
    Server plain =
        start(
            NettyServerBuilder.forAddress(loopback())
                .addService(new ChainOverheadBenchmark.EchoProbe()));
    Gatehouse gatehouse =
        Gatehouse.newBuilder()
            .addService(new ChainOverheadBenchmark.EchoProbe())
            .userAuthenticator(JwtChainBenchmark.userAuthenticator(key))
            .addTrustSource(new ChainOverheadBenchmark.FakeTrustSource())
            .build();
    Server chain = start(gatehouse.addTo(NettyServerBuilder.forAddress(loopback())));
    Server caffeine =
        start(
            NettyServerBuilder.forAddress(loopback())
                .addService(
                    ServerInterceptors.intercept(
                        new ChainOverheadBenchmark.EchoProbe(),
                        new JwtChainBenchmark.CaffeineNimbusInterceptor(
                            new JWKSet(key.toPublicJWK())))));
    List<Row> rows =
        List.of(
            new Row(
                "noAuth jwt",
                "noAuth jwt",
                plain.getPort(),
                jwt,
                s -> s.anyUser(JwtChainBenchmark.REQ)),
            new Row(
                "gatehouse jwt",
                "noAuth jwt",
                chain.getPort(),
                jwt,
                s -> s.anyUser(JwtChainBenchmark.REQ)),
            new Row(
                "caffeine jwt",
                "noAuth jwt",
                caffeine.getPort(),
                jwt,
                s -> s.anyUser(JwtChainBenchmark.REQ)),
            new Row(
                "noAuth public",
                "noAuth public",
                plain.getPort(),
                new Metadata(),
                s -> s.open(JwtChainBenchmark.REQ)),
            new Row(
                "gatehouse public",
                "noAuth public",
                chain.getPort(),
                new Metadata(),
                s -> s.open(JwtChainBenchmark.REQ)));
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    try {
      System.out.printf(
          Locale.ROOT,
          "load: %s %s, %d calls in flight, %d s per row, %d rounds, %d CPUs%n",
          System.getProperty("java.vm.name"),
          System.getProperty("java.version"),
          concurrency,
          seconds,
          rounds,
          Runtime.getRuntime().availableProcessors());
      Map<String, List<Double>> ratios = new LinkedHashMap<>();
      Map<String, List<Double>> cpu = new LinkedHashMap<>();
      rows.forEach(r -> ratios.put(r.name(), new ArrayList<>()));
      rows.forEach(r -> cpu.put(r.name(), new ArrayList<>()));
      for (int round = 1; round <= rounds; round++) {
        Map<String, Phase> phases = new LinkedHashMap<>();
        for (Row row : rows) {
          phases.put(row.name(), run(pool, row, concurrency, seconds));
        }
        for (Row row : rows) {
          Phase p = phases.get(row.name());
          double ratio = p.callsPerSecond / phases.get(row.twin()).callsPerSecond;
          ratios.get(row.name()).add(ratio);
          cpu.get(row.name()).add(p.cpuMicros);
          System.out.printf(
              Locale.ROOT,
              "round %d %-17s %8.0f calls/s  p50 %7.0f us  p99 %7.0f us  cpu %6.1f us/call"
                  + "  x%.2f of no-auth  failures %d%n",
              round,
              row.name(),
              p.callsPerSecond,
              p.p50Micros,
              p.p99Micros,
              p.cpuMicros,
              ratio,
              p.failures);
        }
      }
      System.out.println("medians over the rounds:");
      for (Row row : rows) {
        System.out.printf(
            Locale.ROOT,
            "%-17s throughput x%.2f of no-auth, cpu %.1f us/call%n",
            row.name(),
            median(ratios.get(row.name())),
            median(cpu.get(row.name())));
      }
    } finally {
      pool.shutdownNow();
      plain.shutdownNow();
      chain.shutdownNow();
      caffeine.shutdownNow();
      gatehouse.close();
    }
  }

  private static InetSocketAddress loopback() {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
  }

  private static Server start(NettyServerBuilder b) throws java.io.IOException {
    return b.build().start();
  }

  private static double median(List<Double> v) {
    double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static Phase run(ExecutorService pool, Row row, int concurrency, int seconds)
      throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", row.port()).usePlaintext().build();
    try {
      ProbeGrpc.ProbeBlockingStub stub =
          ProbeGrpc.newBlockingStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(row.headers()));
      for (int i = 0; i < 2000; i++) {
        row.call().accept(stub); // warm up the connection and the JIT
      }
      long cpu0 = processCpuNanos();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      List<Future<long[]>> futures = new ArrayList<>();
      long[] failures = new long[concurrency];
      for (int t = 0; t < concurrency; t++) {
        final int id = t;
        futures.add(
            pool.submit(
                () -> {
                  long[] samples = new long[1024];
                  int n = 0;
                  ProbeGrpc.ProbeBlockingStub s = stub.withDeadlineAfter(60, TimeUnit.SECONDS);
                  while (System.nanoTime() < deadline && n < MAX_SAMPLES_PER_THREAD) {
                    long start = System.nanoTime();
                    try {
                      row.call().accept(s);
                    } catch (RuntimeException e) {
                      failures[id]++;
                      continue;
                    }
                    if (n == samples.length) {
                      samples = Arrays.copyOf(samples, n * 2);
                    }
                    samples[n++] = System.nanoTime() - start;
                  }
                  return Arrays.copyOf(samples, n);
                }));
      }
      List<long[]> all = new ArrayList<>();
      for (Future<long[]> f : futures) {
        all.add(f.get(seconds + 60L, TimeUnit.SECONDS));
      }
      long cpu = processCpuNanos() - cpu0;
      long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
      long failed = Arrays.stream(failures).sum();
      if (merged.length == 0) {
        return new Phase(0, 0, 0, 0, failed);
      }
      return new Phase(
          merged.length / (double) seconds,
          merged[merged.length / 2] / 1e3,
          merged[(int) (merged.length * 0.99)] / 1e3,
          cpu / 1e3 / merged.length,
          failed);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
