package dev.gatehouse.benchmarks;

import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.spi.TrustSource;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cost of the Gatehouse chain on an in-process unary call, measured against the same call on
 * the same service without the chain, in the same run.
 *
 * <p>Method names sort so that each no-chain case runs right before its chain twin ({@code
 * gated0NoChain}, {@code gated1Chain}, ...): on a shared machine, load drifts less between the two
 * halves of a ratio.
 *
 * <p>Both servers and channels use {@code directExecutor()}, so the numbers are the CPU cost of a
 * call on one thread, not scheduling. Authenticators are deliberately cheap fakes that still build
 * an {@link AuthContext} per call: the JWT verification cost is measured separately.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class ChainOverheadBenchmark {
  private static final Req REQ = Req.newBuilder().setText("x").build();
  private static final java.util.logging.Logger QUIET =
      java.util.logging.Logger.getLogger("dev.gatehouse");

  private Server plainServer;
  private Server chainServer;
  private ManagedChannel plainChannel;
  private ManagedChannel chainChannel;

  private ProbeGrpc.ProbeBlockingStub plainPublic;
  private ProbeGrpc.ProbeBlockingStub plainInternal;
  private ProbeGrpc.ProbeBlockingStub plainGated;
  private ProbeGrpc.ProbeBlockingStub chainPublic;
  private ProbeGrpc.ProbeBlockingStub chainInternal;
  private ProbeGrpc.ProbeBlockingStub chainGated;

  /** Starts both servers and builds one stub per case. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    // The startup log (one line per method) would interleave with JMH's output.
    QUIET.setLevel(java.util.logging.Level.WARNING);
    String plainName = InProcessServerBuilder.generateName();
    plainServer =
        InProcessServerBuilder.forName(plainName)
            .directExecutor()
            .addService(new EchoProbe())
            .build()
            .start();
    String chainName = InProcessServerBuilder.generateName();
    Gatehouse gatehouse =
        Gatehouse.newBuilder()
            .addService(new EchoProbe())
            .userAuthenticator(new FakeUser())
            .addTrustSource(new FakeTrustSource())
            .build();
    chainServer =
        gatehouse.addTo(InProcessServerBuilder.forName(chainName).directExecutor()).build().start();
    plainChannel = InProcessChannelBuilder.forName(plainName).directExecutor().build();
    chainChannel = InProcessChannelBuilder.forName(chainName).directExecutor().build();

    Metadata none = new Metadata();
    Metadata service = header("x-svc", "worker");
    Metadata user = header("authorization", "Bearer alice");
    plainPublic = stub(plainChannel, none);
    plainInternal = stub(plainChannel, service);
    plainGated = stub(plainChannel, user);
    chainPublic = stub(chainChannel, none);
    chainInternal = stub(chainChannel, service);
    chainGated = stub(chainChannel, user);

    // Fail fast if a case is refused: a benchmark of a refusal would measure the wrong thing.
    for (ProbeGrpc.ProbeBlockingStub s : List.of(chainPublic, plainPublic)) {
      s.open(REQ);
    }
    chainInternal.worker(REQ);
    chainGated.anyUser(REQ);
  }

  /** Stops everything. */
  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    for (ManagedChannel c : List.of(plainChannel, chainChannel)) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Server s : List.of(plainServer, chainServer)) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static Metadata header(String name, String value) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
    return md;
  }

  private static ProbeGrpc.ProbeBlockingStub stub(ManagedChannel channel, Metadata headers) {
    return ProbeGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  /** Public method, no chain. */
  @Benchmark
  public Resp public0NoChain() {
    return plainPublic.open(REQ);
  }

  /** Public method through the chain: one map lookup, no credential read. */
  @Benchmark
  public Resp public1Chain() {
    return chainPublic.open(REQ);
  }

  /** Internal method, no chain (same header sent). */
  @Benchmark
  public Resp internal0NoChain() {
    return plainInternal.worker(REQ);
  }

  /** Internal method through the chain with a fake trust source. */
  @Benchmark
  public Resp internal1Chain() {
    return chainInternal.worker(REQ);
  }

  /** Gated method, no chain (same header sent). */
  @Benchmark
  public Resp gated0NoChain() {
    return plainGated.anyUser(REQ);
  }

  /** Gated ALLOW method through the chain with a fake user authenticator. */
  @Benchmark
  public Resp gated1Chain() {
    return chainGated.anyUser(REQ);
  }

  /** The same trivial handler behind both servers. */
  static final class EchoProbe extends ProbeGrpc.ProbeImplBase {
    private static final Resp OK = Resp.newBuilder().setText("ok").build();

    @Override
    public void open(Req request, StreamObserver<Resp> out) {
      out.onNext(OK);
      out.onCompleted();
    }

    @Override
    public void worker(Req request, StreamObserver<Resp> out) {
      out.onNext(OK);
      out.onCompleted();
    }

    @Override
    public void anyUser(Req request, StreamObserver<Resp> out) {
      out.onNext(OK);
      out.onCompleted();
    }
  }

  /** Reads {@code authorization: Bearer SUBJECT}; builds a USER context per call. */
  static final class FakeUser implements Authenticator {
    @Override
    public String name() {
      return "fake_user";
    }

    @Override
    public Set<String> credentialHeaders() {
      return Set.of("authorization");
    }

    @Override
    public AuthResult authenticate(IncomingCall request) {
      String v = request.header("authorization").orElse(null);
      if (v == null) {
        return AuthResult.noCredential();
      }
      if (!v.startsWith("Bearer ")) {
        return AuthResult.rejected(Reason.MALFORMED_CREDENTIALS, "not a bearer token");
      }
      return AuthResult.authenticated(
          Principal.newBuilder()
              .subject(v.substring(7))
              .roles(List.of("rider"))
              .scopes(List.of("trips:read"))
              .build());
    }
  }

  /** Reads {@code x-svc: SUBJECT}; builds a SERVICE context per call. */
  static final class FakeTrustSource implements TrustSource {
    @Override
    public String name() {
      return "fake_service";
    }

    @Override
    public Set<String> credentialHeaders() {
      return Set.of("x-svc");
    }

    @Override
    public AuthResult authenticate(IncomingCall request) {
      String v = request.header("x-svc").orElse(null);
      if (v == null) {
        return AuthResult.noCredential();
      }
      return AuthResult.authenticated(
          Principal.newBuilder().subject(v).roles(List.of("trip-finisher")).build());
    }
  }
}
