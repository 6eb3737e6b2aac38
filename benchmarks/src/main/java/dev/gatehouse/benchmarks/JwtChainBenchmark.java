package dev.gatehouse.benchmarks;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.time.Instant;
import java.util.Date;
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
 * A gated call with a real ES256 end-user JWT verified by {@link UserJwtAuthenticator} (keys
 * already cached), against the same call without the chain and through a naive interceptor that
 * verifies with Nimbus on every call, in the same run. The chain case measures the hit path of the
 * verifier's verified-token cache (one token, reused, as clients do).
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
  private Server naiveServer;
  private ManagedChannel naiveChannel;
  private ProbeGrpc.ProbeBlockingStub naive;

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

    String naiveName = InProcessServerBuilder.generateName();
    naiveServer =
        InProcessServerBuilder.forName(naiveName)
            .directExecutor()
            .addService(
                ServerInterceptors.intercept(
                    new ChainOverheadBenchmark.EchoProbe(),
                    new NaiveNimbusInterceptor(new JWKSet(key.toPublicJWK()))))
            .build()
            .start();
    naiveChannel = InProcessChannelBuilder.forName(naiveName).directExecutor().build();
    naive =
        ProbeGrpc.newBlockingStub(naiveChannel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    naive.anyUser(REQ); // fails fast if the token is refused
  }

  /**
   * The textbook interceptor without a cache: a Nimbus {@link DefaultJWTProcessor} verifies the
   * signature and the claims on every call.
   */
  static final class NaiveNimbusInterceptor implements ServerInterceptor {
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    NaiveNimbusInterceptor(JWKSet keys) {
      processor.setJWSKeySelector(
          new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, new ImmutableJWKSet<>(keys)));
      processor.setJWTClaimsSetVerifier(
          new DefaultJWTClaimsVerifier<>(
              "trips-api",
              new JWTClaimsSet.Builder().issuer("https://idp.bench").build(),
              Set.of("sub", "exp")));
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      String value = headers.get(AUTHORIZATION);
      try {
        if (value == null || !value.startsWith("Bearer ")) {
          throw new java.text.ParseException("no bearer token", 0);
        }
        processor.process(value.substring(7), null);
      } catch (java.text.ParseException
          | com.nimbusds.jose.proc.BadJOSEException
          | com.nimbusds.jose.JOSEException e) {
        call.close(Status.UNAUTHENTICATED, new Metadata());
        return new ServerCall.Listener<ReqT>() {};
      }
      return next.startCall(call, headers);
    }
  }

  /** Stops everything. */
  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    for (ManagedChannel c : List.of(plainChannel, chainChannel, naiveChannel)) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Server s : List.of(plainServer, chainServer, naiveServer)) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    gatehouse.close();
  }

  /** Gated method, no chain (same header sent). */
  @Benchmark
  public Resp jwt0NoChain() {
    return plain.anyUser(REQ);
  }

  /**
   * Gated ALLOW method through the chain with a real ES256 user JWT: after the first call every
   * call is a hit of the verifier's verified-token cache.
   */
  @Benchmark
  public Resp jwt1Chain() {
    return chain.anyUser(REQ);
  }

  /** The same call through a naive interceptor verifying the token with Nimbus on every call. */
  @Benchmark
  public Resp jwt2NaiveNimbus() {
    return naive.anyUser(REQ);
  }
}
