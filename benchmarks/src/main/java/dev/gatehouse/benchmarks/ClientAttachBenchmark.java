package dev.gatehouse.benchmarks;

import dev.gatehouse.client.ServiceTokenCallCredentials;
import dev.gatehouse.client.SigningKeySource;
import dev.gatehouse.test.v1.ProbeGrpc;
import io.grpc.Attributes;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The client side: what {@code ServiceTokenCallCredentials} costs a call once its token is cached
 * (what gRPC runs per call: {@code applyRequestMetadata} up to the headers handed to the applier),
 * with a direct executor, on a TLS-level request.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class ClientAttachBenchmark {
  private static final Executor DIRECT = Runnable::run;

  private ServiceTokenCallCredentials credentials;
  private CallCredentials.RequestInfo info;
  private Sink sink;

  /** Builds the credentials and mints the first token. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair pair = g.generateKeyPair();
    credentials =
        ServiceTokenCallCredentials.newBuilder()
            .identity("worker")
            .keySource(SigningKeySource.of(pair))
            .audience("trips")
            .build();
    MethodDescriptor<?, ?> method = ProbeGrpc.getWorkerMethod();
    info =
        new CallCredentials.RequestInfo() {
          @Override
          public MethodDescriptor<?, ?> getMethodDescriptor() {
            return method;
          }

          @Override
          public SecurityLevel getSecurityLevel() {
            return SecurityLevel.PRIVACY_AND_INTEGRITY;
          }

          @Override
          public String getAuthority() {
            return "trips.internal";
          }

          @Override
          public Attributes getTransportAttrs() {
            return Attributes.EMPTY;
          }
        };
    sink = new Sink();
    credentials.applyRequestMetadata(info, DIRECT, sink);
    if (sink.last == null) {
      throw new IllegalStateException("no token attached: " + sink.failure);
    }
  }

  /** One call's attach of the cached token. */
  @Benchmark
  public Metadata attachCachedToken() {
    credentials.applyRequestMetadata(info, DIRECT, sink);
    return sink.last;
  }

  /** Keeps the last headers (so the work is not dead code). */
  static final class Sink extends CallCredentials.MetadataApplier {
    Metadata last;
    Status failure;

    @Override
    public void apply(Metadata headers) {
      last = headers;
    }

    @Override
    public void fail(Status status) {
      failure = status;
    }
  }
}
