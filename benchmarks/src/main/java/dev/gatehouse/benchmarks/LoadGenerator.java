package dev.gatehouse.benchmarks;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A closed-loop load generator over real Netty on loopback: {@code C} client threads call a gated
 * method with a real ES256 end-user JWT as fast as they can for {@code S} seconds, alternately
 * against a server without Gatehouse and one with it, and report throughput, p50 and p99 latency
 * and the chain/no-chain ratios of the same run. Bounded in time and calls; 127.0.0.1 only.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.gatehouse.benchmarks.LoadGenerator [C] [S] [ROUNDS]
 * </pre>
 */
public final class LoadGenerator {
  private static final Req REQ = Req.newBuilder().setText("x").build();
  private static final int MAX_SAMPLES_PER_THREAD = 2_000_000;
  // Held strongly: java.util.logging keeps loggers weakly, and a collected one forgets its level.
  private static final java.util.logging.Logger QUIET =
      java.util.logging.Logger.getLogger("dev.gatehouse");

  private LoadGenerator() {}

  /** One measured phase. */
  private record Phase(double callsPerSecond, double p50Micros, double p99Micros, long failures) {}

  /** Entry point: concurrency (default 8), seconds per phase (default 5), rounds (default 3). */
  public static void main(String[] args) throws Exception {
    int concurrency = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    if (concurrency < 1
        || concurrency > 64
        || seconds < 1
        || seconds > 60
        || rounds < 1
        || rounds > 10) {
      throw new IllegalArgumentException("concurrency 1..64, seconds 1..60, rounds 1..10");
    }
    QUIET.setLevel(java.util.logging.Level.WARNING);

    ECKey key = new ECKeyGenerator(Curve.P_256).keyID("idp-1").generate();
    Instant now = Instant.now();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID("idp-1")
                .type(JOSEObjectType.JWT)
                .build(),
            new JWTClaimsSet.Builder()
                .issuer("https://idp.load")
                .subject("alice")
                .audience("trips-api")
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(3600)))
                .build());
    jwt.sign(new ECDSASigner(key));
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + jwt.serialize());

    Server plain =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .addService(new ChainOverheadBenchmark.EchoProbe())
            .build()
            .start();
    Gatehouse gatehouse =
        Gatehouse.newBuilder()
            .addService(new ChainOverheadBenchmark.EchoProbe())
            .userAuthenticator(
                UserJwtAuthenticator.newBuilder()
                    .addIssuer(
                        "https://idp.load",
                        JwksSource.of(new JWKSet(key.toPublicJWK())),
                        List.of("trips-api"))
                    .build())
            .addTrustSource(new ChainOverheadBenchmark.FakeTrustSource())
            .build();
    Server chain =
        gatehouse
            .addTo(
                NettyServerBuilder.forAddress(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
            .build()
            .start();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    try {
      System.out.printf(
          "load: %d client threads, %d s per phase, %d rounds, gated call with an ES256 user JWT%n",
          concurrency, seconds, rounds);
      List<double[]> ratios = new ArrayList<>();
      for (int r = 1; r <= rounds; r++) {
        Phase base = run(pool, plain.getPort(), headers, concurrency, seconds);
        Phase with = run(pool, chain.getPort(), headers, concurrency, seconds);
        System.out.printf(
            "round %d  no chain: %8.0f calls/s p50 %6.0f us p99 %6.0f us | chain: %8.0f calls/s"
                + " p50 %6.0f us p99 %6.0f us | failures %d/%d%n",
            r,
            base.callsPerSecond,
            base.p50Micros,
            base.p99Micros,
            with.callsPerSecond,
            with.p50Micros,
            with.p99Micros,
            base.failures,
            with.failures);
        ratios.add(
            new double[] {
              base.callsPerSecond / with.callsPerSecond,
              with.p50Micros / base.p50Micros,
              with.p99Micros / base.p99Micros
            });
      }
      double[] med = new double[3];
      for (int i = 0; i < 3; i++) {
        final int k = i;
        double[] v = ratios.stream().mapToDouble(x -> x[k]).sorted().toArray();
        med[i] = v[v.length / 2];
      }
      System.out.printf(
          "median ratios chain/no chain: throughput cost %.2fx, p50 %.2fx, p99 %.2fx%n",
          med[0], med[1], med[2]);
    } finally {
      pool.shutdownNow();
      plain.shutdownNow();
      chain.shutdownNow();
      gatehouse.close();
    }
  }

  private static Phase run(
      ExecutorService pool, int port, Metadata headers, int concurrency, int seconds)
      throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      ProbeGrpc.ProbeBlockingStub stub =
          ProbeGrpc.newBlockingStub(channel)
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
      for (int i = 0; i < 2000; i++) {
        stub.anyUser(REQ); // warm up the connection and the JIT
      }
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
                  while (System.nanoTime() < deadline && n < MAX_SAMPLES_PER_THREAD) {
                    long s = System.nanoTime();
                    try {
                      stub.withDeadlineAfter(10, TimeUnit.SECONDS).anyUser(REQ);
                    } catch (RuntimeException e) {
                      failures[id]++;
                      continue;
                    }
                    if (n == samples.length) {
                      samples = Arrays.copyOf(samples, n * 2);
                    }
                    samples[n++] = System.nanoTime() - s;
                  }
                  return Arrays.copyOf(samples, n);
                }));
      }
      List<long[]> all = new ArrayList<>();
      for (Future<long[]> f : futures) {
        all.add(f.get(seconds + 30L, TimeUnit.SECONDS));
      }
      long[] merged = all.stream().flatMapToLong(Arrays::stream).sorted().toArray();
      long failed = Arrays.stream(failures).sum();
      if (merged.length == 0) {
        return new Phase(0, 0, 0, failed);
      }
      return new Phase(
          merged.length / (double) seconds,
          merged[merged.length / 2] / 1e3,
          merged[(int) (merged.length * 0.99)] / 1e3,
          failed);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
