package dev.gatehouse.benchmarks;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.trust.mesh.MeshIdentityTrustSource;
import io.grpc.Metadata;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * {@code mesh_identity} alone, outside gRPC: authenticating a realistic Envoy {@code
 * x-forwarded-client-cert} header (By, Hash, Subject, URI, as Istio sidecars write it) from a
 * trusted proxy, against reading the header alone (what any interceptor pays to see it).
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class XfccBenchmark {
  private static final Metadata.Key<String> XFCC =
      Metadata.Key.of("x-forwarded-client-cert", Metadata.ASCII_STRING_MARSHALLER);

  private MeshIdentityTrustSource mesh;
  private Metadata headers;
  private InetSocketAddress proxy;

  /** Builds the source and the header. */
  @Setup(Level.Trial)
  public void setUp() {
    mesh =
        MeshIdentityTrustSource.newBuilder()
            .trustedProxies("127.0.0.1/32")
            .expectedBy("spiffe://cluster.local/ns/trips/sa/trips-api")
            .allow("spiffe://cluster.local/ns/dispatch/sa/dispatcher", Set.of("finisher"), Set.of())
            .build();
    headers = new Metadata();
    headers.put(XFCC, JwtChainBenchmark.XFCC);
    proxy = new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 15001);
    AuthResult r = authenticate();
    if (r.outcome() != AuthResult.Outcome.AUTHENTICATED) {
      throw new IllegalStateException(r.toString());
    }
  }

  /** Reading the header value, as any interceptor must. */
  @Benchmark
  public String headerAlone() {
    return headers.get(XFCC);
  }

  /** The view of the call, the header read once, parsed, checked and the identity's grant. */
  @Benchmark
  public AuthResult authenticate() {
    return mesh.authenticate(IncomingCall.of("trips.v1.Trips/End", headers, proxy, null));
  }
}
