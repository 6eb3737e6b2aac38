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
import dev.gatehouse.test.v1.Resp;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.time.Instant;
import java.util.Date;
import java.util.List;
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
 * A gated call with a real ES256 end-user JWT verified by {@link UserJwtAuthenticator} (keys
 * already cached), against the same call without the chain, in the same run. This is the cost a
 * real deployment pays per end-user call; most of it is the ECDSA signature check.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class JwtChainBenchmark {
  private static final Req REQ = Req.newBuilder().setText("x").build();
  private static final java.util.logging.Logger QUIET =
      java.util.logging.Logger.getLogger("dev.gatehouse");

  private Server plainServer;
  private Server chainServer;
  private ManagedChannel plainChannel;
  private ManagedChannel chainChannel;
  private Gatehouse gatehouse;
  private ProbeGrpc.ProbeBlockingStub plain;
  private ProbeGrpc.ProbeBlockingStub chain;

  /** Starts both servers and mints one token valid for the whole run. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
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
                .issuer("https://idp.bench")
                .subject("alice")
                .audience("trips-api")
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(3600)))
                .claim("roles", List.of("driver"))
                .claim("scope", "trips:write")
                .build());
    jwt.sign(new ECDSASigner(key));
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + jwt.serialize());

    String plainName = InProcessServerBuilder.generateName();
    plainServer =
        InProcessServerBuilder.forName(plainName)
            .directExecutor()
            .addService(new ChainOverheadBenchmark.EchoProbe())
            .build()
            .start();
    gatehouse =
        Gatehouse.newBuilder()
            .addService(new ChainOverheadBenchmark.EchoProbe())
            .userAuthenticator(
                UserJwtAuthenticator.newBuilder()
                    .addIssuer(
                        "https://idp.bench",
                        JwksSource.of(new JWKSet(key.toPublicJWK())),
                        List.of("trips-api"))
                    .build())
            .addTrustSource(new ChainOverheadBenchmark.FakeTrustSource())
            .build();
    String chainName = InProcessServerBuilder.generateName();
    chainServer =
        gatehouse.addTo(InProcessServerBuilder.forName(chainName).directExecutor()).build().start();
    plainChannel = InProcessChannelBuilder.forName(plainName).directExecutor().build();
    chainChannel = InProcessChannelBuilder.forName(chainName).directExecutor().build();
    plain =
        ProbeGrpc.newBlockingStub(plainChannel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    chain =
        ProbeGrpc.newBlockingStub(chainChannel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    chain.anyUser(REQ); // fails fast if the token is refused
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
    gatehouse.close();
  }

  /** Gated method, no chain (same header sent). */
  @Benchmark
  public Resp jwt0NoChain() {
    return plain.anyUser(REQ);
  }

  /** Gated ALLOW method through the chain with a real ES256 user JWT. */
  @Benchmark
  public Resp jwt1Chain() {
    return chain.anyUser(REQ);
  }
}
