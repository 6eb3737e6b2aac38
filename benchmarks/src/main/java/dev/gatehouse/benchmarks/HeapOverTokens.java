package dev.gatehouse.benchmarks;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.trust.jwt.internal.JwtSettings;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.security.AlgorithmParameters;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.spec.AlgorithmParameterSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * Heap and hot-token hit rate while {@code N} distinct user JWTs pass through Gatehouse once each
 * (issue 11: heap flat over 1,000,000 distinct tokens, no hit-rate cliff past the cache bound).
 *
 * <p>Every token is a fresh ES256 end-user JWT (its own {@code sub} and {@code jti}, a real
 * signature by a generated key), signed in the worker thread that sends it, and sent through the
 * real chain: an in-process gRPC server with Gatehouse {@code user_jwt} (the public {@code
 * UserJwtAuthenticator}, its verified-token cache at the default bounds, {@value
 * JwtSettings#DEFAULT_SIGNATURE_CACHE_SIZE} entries and 32 MiB), {@code directExecutor()} on both
 * sides so each call runs on the thread that signed its token. Between the cold tokens a hot set of
 * 16 tokens is called throughout (one hot call every {@code hotEvery} cold tokens, so each hot
 * token returns every {@code 16 * hotEvery} cold tokens).
 *
 * <p>A hot call is counted a cache hit when it ran no ECDSA signature verification: the driver
 * installs, ahead of the JDK's, a JCA provider of {@code SHA256withECDSA} that delegates to the
 * JDK's and counts, per thread, the verifications it is asked for (every call runs on its worker
 * thread, so a hot call's own count is exact). Every cold call must run exactly one ({@code sig}
 * column). The verified-token cache's own counters and size are not public and are not read.
 *
 * <p>Twenty checkpoints (every {@code N / 20} cold tokens, plus one after the warm-up): the workers
 * stop, the heap is collected ({@code System.gc()} three times with pauses) and the driver prints
 * the tokens so far, used heap after the collection, the hot set's hit rate and the median and
 * largest thread CPU of a hot call in the interval, and per cold token the thread CPU of signing
 * and of the call, the bytes the call allocated and the signature verifications it ran. Then a
 * summary: heap at 10 % and 100 % of N, the largest heap seen, the lowest hot hit rate of any
 * interval.
 *
 * <p>{@code java -Xmx1g -cp benchmarks/target/benchmarks.jar
 * dev.gatehouse.benchmarks.HeapOverTokens [N=1000000] [threads=2] [hotEvery=20]}
 */
public final class HeapOverTokens {
  private static final int HOT_TOKENS = 16;
  private static final int CHECKPOINTS = 20;
  private static final int WARMUP_COLD = 1_000;
  private static final int WARMUP_HOT = 4_000;
  private static final String ECDSA = "SHA256withECDSA";
  private static final java.util.logging.Logger QUIET =
      java.util.logging.Logger.getLogger("dev.gatehouse");

  private HeapOverTokens() {}

  /** What one worker measured in one interval. */
  private static final class Tally {
    long cold;
    long signCpu;
    long callCpu;
    long callBytes;
    long callVerifies;
    long hotHits;
    final List<Long> hotCpu = new ArrayList<>();
  }

  /** Signs tokens and sends them through the chain on the calling thread. */
  private static final class Sender {
    private final ECKey key;
    private final JWSSigner signer;
    private final ProbeGrpc.ProbeBlockingStub stub;

    Sender(ECKey key, ProbeGrpc.ProbeBlockingStub stub) throws Exception {
      this.key = key;
      this.signer = new ECDSASigner(key);
      this.stub = stub;
    }

    /** A fresh user JWT for {@code subject}, valid from now for {@code ttlSeconds}. */
    String mint(String subject, long ttlSeconds) throws Exception {
      Instant now = Instant.now();
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.ES256)
                  .keyID(key.getKeyID())
                  .type(JOSEObjectType.JWT)
                  .build(),
              new JWTClaimsSet.Builder()
                  .issuer(JwtChainBenchmark.USER_ISSUER)
                  .subject(subject)
                  .audience(JwtChainBenchmark.AUDIENCE)
                  .issueTime(java.util.Date.from(now))
                  .expirationTime(java.util.Date.from(now.plusSeconds(ttlSeconds)))
                  .jwtID(UUID.randomUUID().toString())
                  .claim("roles", List.of("driver"))
                  .claim("scope", "trips:write")
                  .build());
      jwt.sign(signer);
      return jwt.serialize();
    }

    /** One gated call with {@code token}; throws when Gatehouse refuses it. */
    void call(String token) {
      stub.withInterceptors(
              MetadataUtils.newAttachHeadersInterceptor(JwtChainBenchmark.bearer(token)))
          .anyUser(JwtChainBenchmark.REQ);
    }
  }

  /** Runs the measurement. */
  public static void main(String[] args) throws Exception {
    long n = args.length > 0 ? Long.parseLong(args[0]) : 1_000_000L;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    int hotEvery = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    if (n < CHECKPOINTS || threads < 1 || hotEvery < 1) {
      throw new IllegalArgumentException("N >= 20, threads >= 1, hotEvery >= 1");
    }
    QUIET.setLevel(java.util.logging.Level.WARNING);
    Provider jdk = Signature.getInstance(ECDSA).getProvider();
    if (Security.insertProviderAt(new CountingEcdsa(jdk), 1) != 1) {
      throw new IllegalStateException("the counting provider is not first");
    }
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

    ECKey key = new ECKeyGenerator(Curve.P_256).keyID("idp-1").generate();
    Gatehouse gatehouse =
        Gatehouse.newBuilder()
            .addService(new ChainOverheadBenchmark.EchoProbe())
            .userAuthenticator(JwtChainBenchmark.userAuthenticator(key))
            .addTrustSource(new ChainOverheadBenchmark.FakeTrustSource())
            .build();
    String name = InProcessServerBuilder.generateName();
    Server server =
        gatehouse.addTo(InProcessServerBuilder.forName(name).directExecutor()).build().start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    ProbeGrpc.ProbeBlockingStub stub = ProbeGrpc.newBlockingStub(channel);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      Sender main = new Sender(key, stub);
      String[] hot = new String[HOT_TOKENS];
      for (int h = 0; h < HOT_TOKENS; h++) {
        hot[h] = main.mint("hot-" + h, 24 * 3600); // outlives any run
        main.call(hot[h]);
      }
      int tokenChars = hot[0].length();

      // Warm-up on this thread: cold calls, then hits of the hot set.
      long[] coldCpu = new long[WARMUP_COLD];
      long coldV0 = CountingEcdsa.verifies();
      for (int i = 0; i < WARMUP_COLD; i++) {
        String t = main.mint("warm-" + i, 3600);
        long t0 = mx.getCurrentThreadCpuTime();
        main.call(t);
        coldCpu[i] = mx.getCurrentThreadCpuTime() - t0;
      }
      if (CountingEcdsa.verifies() - coldV0 != WARMUP_COLD) {
        // Without the count every hot call would look like a hit.
        throw new IllegalStateException("signature checks are not counted: one per cold call");
      }
      long[] hitCpu = new long[WARMUP_HOT];
      long v0 = CountingEcdsa.verifies();
      for (int i = 0; i < WARMUP_HOT; i++) {
        long t0 = mx.getCurrentThreadCpuTime();
        main.call(hot[i % HOT_TOKENS]);
        hitCpu[i] = mx.getCurrentThreadCpuTime() - t0;
      }
      long warmHotVerifies = CountingEcdsa.verifies() - v0;

      System.out.printf(
          Locale.ROOT,
          "%s %s, -Xmx %d MB, GC %s%n",
          System.getProperty("java.vm.name"),
          System.getProperty("java.version"),
          Runtime.getRuntime().maxMemory() >> 20,
          ManagementFactory.getGarbageCollectorMXBeans().stream()
              .map(GarbageCollectorMXBean::getName)
              .collect(Collectors.joining(" + ")));
      System.out.printf(
          Locale.ROOT,
          "N=%d distinct ES256 user JWTs (~%d chars) through user_jwt, %d threads; hot set %d tokens,"
              + " one hot call every %d cold tokens (each hot token every %d); verified-token cache"
              + " at its defaults (%d entries, %d MiB); plus %d warm-up tokens%n",
          n,
          tokenChars,
          threads,
          HOT_TOKENS,
          hotEvery,
          HOT_TOKENS * hotEvery,
          JwtSettings.DEFAULT_SIGNATURE_CACHE_SIZE,
          JwtSettings.DEFAULT_VERIFIED_TOKEN_CACHE_BYTES >> 20,
          WARMUP_COLD);
      System.out.printf(
          Locale.ROOT,
          "warm-up (thread CPU, medians of the second half): cold call %.1f us, hot call %.1f us"
              + " (%d signature checks in %d hot calls); a hot call is a hit when it runs no"
              + " signature check%n",
          median(Arrays.copyOfRange(coldCpu, WARMUP_COLD / 2, WARMUP_COLD)) / 1e3,
          median(Arrays.copyOfRange(hitCpu, WARMUP_HOT / 2, WARMUP_HOT)) / 1e3,
          warmHotVerifies,
          WARMUP_HOT);
      System.out.printf(
          Locale.ROOT,
          "%10s %8s %8s %8s %9s %7s %8s %10s %9s %9s %8s %6s%n",
          "tokens",
          "wall s",
          "heap MB",
          "comm MB",
          "hot hit%",
          "misses",
          "hot p50",
          "hot max us",
          "sign us",
          "call us",
          "call KB",
          "sig");

      long start = System.nanoTime();
      double[] heap = new double[CHECKPOINTS + 1];
      heap[0] = heapAfterGc(memory);
      System.out.printf(
          Locale.ROOT,
          "%10d %8.0f %8.1f %8.1f%n",
          0,
          0.0,
          heap[0],
          memory.getHeapMemoryUsage().getCommitted() / 1048576.0);
      double minHitRate = 100;
      double maxHeap = heap[0];
      long maxHeapAt = 0;
      for (int c = 1; c <= CHECKPOINTS; c++) {
        long from = n * (c - 1) / CHECKPOINTS;
        long end = n * c / CHECKPOINTS;
        AtomicLong next = new AtomicLong(from);
        List<Callable<Tally>> work = new ArrayList<>();
        for (int w = 0; w < threads; w++) {
          Sender sender = new Sender(key, stub);
          work.add(() -> interval(sender, mx, next, end, hot, hotEvery));
        }
        Tally sum = new Tally();
        for (Future<Tally> f : pool.invokeAll(work)) {
          Tally t = f.get(); // rethrows a refused call
          sum.cold += t.cold;
          sum.signCpu += t.signCpu;
          sum.callCpu += t.callCpu;
          sum.callBytes += t.callBytes;
          sum.callVerifies += t.callVerifies;
          sum.hotHits += t.hotHits;
          sum.hotCpu.addAll(t.hotCpu);
        }
        double wall = (System.nanoTime() - start) / 1e9;
        heap[c] = heapAfterGc(memory);
        if (heap[c] > maxHeap) {
          maxHeap = heap[c];
          maxHeapAt = end;
        }
        int hotCalls = sum.hotCpu.size();
        double hitRate = hotCalls == 0 ? 100 : 100.0 * sum.hotHits / hotCalls;
        minHitRate = Math.min(minHitRate, hitRate);
        long[] hotSorted = sum.hotCpu.stream().mapToLong(Long::longValue).toArray();
        System.out.printf(
            Locale.ROOT,
            "%10d %8.0f %8.1f %8.1f %9.2f %7d %8.1f %10.1f %9.1f %9.1f %8.2f %6.3f%n",
            end,
            wall,
            heap[c],
            memory.getHeapMemoryUsage().getCommitted() / 1048576.0,
            hitRate,
            hotCalls - sum.hotHits,
            hotSorted.length == 0 ? 0 : median(hotSorted) / 1e3,
            hotSorted.length == 0 ? 0 : Arrays.stream(hotSorted).max().getAsLong() / 1e3,
            sum.signCpu / 1e3 / sum.cold,
            sum.callCpu / 1e3 / sum.cold,
            sum.callBytes / 1024.0 / sum.cold,
            sum.callVerifies / (double) sum.cold);
      }
      System.out.printf(
          Locale.ROOT,
          "summary: heap after GC %.1f MB at 10%% of N (%d tokens), %.1f MB at 100%% (%d),"
              + " max %.1f MB (at %d); hot hit rate min over intervals %.2f%%%n",
          heap[CHECKPOINTS / 10],
          n / 10,
          heap[CHECKPOINTS],
          n,
          maxHeap,
          maxHeapAt,
          minHitRate);
    } finally {
      pool.shutdownNow();
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      gatehouse.close();
    }
  }

  /** Sends cold tokens {@code next..end-1} (shared with the other workers) and the hot calls. */
  private static Tally interval(
      Sender sender,
      com.sun.management.ThreadMXBean mx,
      AtomicLong next,
      long end,
      String[] hot,
      int hotEvery)
      throws Exception {
    Tally t = new Tally();
    for (long i = next.getAndIncrement(); i < end; i = next.getAndIncrement()) {
      long t0 = mx.getCurrentThreadCpuTime();
      String token = sender.mint("user-" + i, 3600);
      long t1 = mx.getCurrentThreadCpuTime();
      long a1 = mx.getCurrentThreadAllocatedBytes();
      long v1 = CountingEcdsa.verifies();
      sender.call(token);
      long t2 = mx.getCurrentThreadCpuTime();
      long a2 = mx.getCurrentThreadAllocatedBytes();
      t.callVerifies += CountingEcdsa.verifies() - v1;
      t.cold++;
      t.signCpu += t1 - t0;
      t.callCpu += t2 - t1;
      t.callBytes += a2 - a1;
      if (i % hotEvery == 0) {
        String h = hot[(int) ((i / hotEvery) % HOT_TOKENS)];
        long h0 = mx.getCurrentThreadCpuTime();
        long hv = CountingEcdsa.verifies();
        sender.call(h);
        long cpu = mx.getCurrentThreadCpuTime() - h0;
        t.hotCpu.add(cpu);
        if (CountingEcdsa.verifies() == hv) {
          t.hotHits++;
        }
      }
    }
    return t;
  }

  /**
   * A JCA provider of {@code SHA256withECDSA} that delegates every operation to the JDK's provider
   * and counts, per thread, the verifications asked of it (signing is not counted).
   */
  private static final class CountingEcdsa extends Provider {
    private static final long serialVersionUID = 1L;
    private static final ThreadLocal<long[]> VERIFIES = ThreadLocal.withInitial(() -> new long[1]);

    CountingEcdsa(Provider jdk) {
      super("GatehouseBenchmarkCountingEcdsa", "1", "counts SHA256withECDSA verifications");
      putService(
          new Service(this, "Signature", ECDSA, Counting.class.getName(), null, null) {
            @Override
            public Object newInstance(Object parameter) throws NoSuchAlgorithmException {
              return new Counting(Signature.getInstance(ECDSA, jdk));
            }
          });
    }

    /** The verifications run on this thread so far. */
    static long verifies() {
      return VERIFIES.get()[0];
    }

    /** One delegating signature object. */
    private static final class Counting extends SignatureSpi {
      private final Signature d;

      Counting(Signature d) {
        this.d = d;
      }

      @Override
      protected void engineInitVerify(PublicKey key) throws InvalidKeyException {
        d.initVerify(key);
      }

      @Override
      protected void engineInitSign(PrivateKey key) throws InvalidKeyException {
        d.initSign(key);
      }

      @Override
      protected void engineInitSign(PrivateKey key, SecureRandom random)
          throws InvalidKeyException {
        d.initSign(key, random);
      }

      @Override
      protected void engineUpdate(byte b) throws SignatureException {
        d.update(b);
      }

      @Override
      protected void engineUpdate(byte[] b, int off, int len) throws SignatureException {
        d.update(b, off, len);
      }

      @Override
      protected void engineUpdate(ByteBuffer input) {
        try {
          d.update(input);
        } catch (SignatureException e) {
          throw new IllegalStateException(e);
        }
      }

      @Override
      protected byte[] engineSign() throws SignatureException {
        return d.sign();
      }

      @Override
      protected boolean engineVerify(byte[] signature) throws SignatureException {
        VERIFIES.get()[0]++;
        return d.verify(signature);
      }

      @Override
      protected void engineSetParameter(AlgorithmParameterSpec params)
          throws InvalidAlgorithmParameterException {
        d.setParameter(params);
      }

      @Override
      protected AlgorithmParameters engineGetParameters() {
        return d.getParameters();
      }

      @Override
      @Deprecated
      @SuppressWarnings("deprecation")
      protected void engineSetParameter(String param, Object value) {
        throw new UnsupportedOperationException();
      }

      @Override
      @Deprecated
      @SuppressWarnings("deprecation")
      protected Object engineGetParameter(String param) {
        throw new UnsupportedOperationException();
      }
    }
  }

  /** Used heap in MB after three full collections. */
  private static double heapAfterGc(MemoryMXBean memory) throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return memory.getHeapMemoryUsage().getUsed() / 1048576.0;
  }

  private static long median(long[] v) {
    long[] a = v.clone();
    Arrays.sort(a);
    return a.length % 2 == 1 ? a[a.length / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
  }
}
