package dev.gatehouse.benchmarks;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
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
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.TrustSource;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.ServiceTokenIssuer;
import dev.gatehouse.trust.jwt.SignedTokenTrustSource;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import dev.gatehouse.trust.mesh.MeshIdentityTrustSource;
import dev.gatehouse.trust.spiffe.SpiffeJwtTrustSource;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Contexts;
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
import io.spiffe.bundle.jwtbundle.JwtBundle;
import io.spiffe.spiffeid.SpiffeId;
import io.spiffe.spiffeid.TrustDomain;
import io.spiffe.svid.jwtsvid.JwtSvid;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.UUID;
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
 * Every trust source of Gatehouse on a cache hit against its peers, in the same run and with the
 * same tokens, each next to a no-auth twin sending the same headers (in-process, {@code
 * directExecutor()} on both sides, so a whole call runs on the benchmark thread):
 *
 * <ul>
 *   <li>{@code jwt*}: a gated call with an ES256 end-user JWT: no auth, Gatehouse {@code user_jwt}
 *       (verified-token cache hit), a naive interceptor running Nimbus {@code
 *       DefaultJWTProcessor.process} on every call, and the textbook cached interceptor (Caffeine
 *       keyed by the raw token, Nimbus on a miss, {@code exp} checked on a hit, the claims attached
 *       to the gRPC context);
 *   <li>{@code svid*}: an internal call with an ES256 JWT-SVID: no auth, Gatehouse {@code
 *       spiffe_jwt}, java-spiffe {@code JwtSvid.parseAndValidate} per call plus an allow-list
 *       check;
 *   <li>{@code signed*}: an internal call with an ES256 service token: no auth, Gatehouse {@code
 *       signed_token};
 *   <li>{@code xfcc*}: an internal call with a realistic Envoy {@code x-forwarded-client-cert}: no
 *       auth, Gatehouse {@code mesh_identity};
 *   <li>{@code pub*}: a public method without credentials: no auth, Gatehouse.
 * </ul>
 *
 * <p>The default audit listener is in place (allowed calls at FINE, not logged).
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Benchmark)
public class JwtChainBenchmark {
  static final Req REQ = Req.newBuilder().setText("x").build();
  private static final java.util.logging.Logger QUIET =
      java.util.logging.Logger.getLogger("dev.gatehouse");

  /** A realistic Envoy XFCC header as Istio sidecars write it (By, Hash, Subject, URI). */
  static final String XFCC =
      "By=spiffe://cluster.local/ns/trips/sa/trips-api;"
          + "Hash=9ba4bd4b0d5a1d8c7d3b6f2c4e0f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5;"
          + "Subject=\"\";URI=spiffe://cluster.local/ns/dispatch/sa/dispatcher";

  static final String USER_ISSUER = "https://idp.bench";
  static final String AUDIENCE = "trips-api";
  static final String SVID_AUDIENCE = "spiffe://example.org/trips";
  static final String SVID_ID = "spiffe://example.org/ns/dispatch/sa/dispatcher";

  private final List<Server> servers = new ArrayList<>();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<Gatehouse> gatehouses = new ArrayList<>();

  /** The ES256 key of the user IdP, the JWT-SVID bundle and the calling service. */
  ECKey userKey;

  ECKey svidKey;
  ECKey serviceKey;

  /** {@code authorization: Bearer <user JWT>} (one token for the whole run). */
  Metadata userHeaders;

  Metadata svidHeaders;
  Metadata signedHeaders;
  Metadata xfccHeaders;

  ProbeGrpc.ProbeBlockingStub jwtNoAuth;
  ProbeGrpc.ProbeBlockingStub jwtGatehouse;
  ProbeGrpc.ProbeBlockingStub jwtNaive;
  ProbeGrpc.ProbeBlockingStub jwtCaffeine;
  ProbeGrpc.ProbeBlockingStub svidNoAuth;
  ProbeGrpc.ProbeBlockingStub svidGatehouse;
  ProbeGrpc.ProbeBlockingStub svidJavaSpiffe;
  ProbeGrpc.ProbeBlockingStub signedNoAuth;
  ProbeGrpc.ProbeBlockingStub signedGatehouse;
  ProbeGrpc.ProbeBlockingStub xfccNoAuth;
  ProbeGrpc.ProbeBlockingStub xfccGatehouse;
  ProbeGrpc.ProbeBlockingStub pubNoAuth;
  ProbeGrpc.ProbeBlockingStub pubGatehouse;

  /** Starts every server and mints one token of each kind, valid for the whole run. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    QUIET.setLevel(java.util.logging.Level.WARNING);
    userKey = new ECKeyGenerator(Curve.P_256).keyID("idp-1").generate();
    svidKey = new ECKeyGenerator(Curve.P_256).keyID("svid-1").generate();
    serviceKey = new ECKeyGenerator(Curve.P_256).keyID("worker-1").generate();
    Instant now = Instant.now();

    userHeaders = bearer(userToken(userKey, now));
    svidHeaders =
        bearer(
            sign(
                svidKey,
                new JWTClaimsSet.Builder()
                    .subject(SVID_ID)
                    .audience(SVID_AUDIENCE)
                    .issueTime(Date.from(now))
                    .expirationTime(Date.from(now.plusSeconds(3600)))
                    .build()));
    signedHeaders =
        bearer(
            sign(
                serviceKey,
                new JWTClaimsSet.Builder()
                    .issuer("worker")
                    .subject("worker")
                    .audience("trips")
                    .issueTime(Date.from(now))
                    .expirationTime(Date.from(now.plusSeconds(3600)))
                    .jwtID(UUID.randomUUID().toString())
                    .build()));
    xfccHeaders = new Metadata();
    xfccHeaders.put(
        Metadata.Key.of("x-forwarded-client-cert", Metadata.ASCII_STRING_MARSHALLER), XFCC);

    jwtNoAuth = stub(plain(new ChainOverheadBenchmark.EchoProbe()), userHeaders);
    jwtGatehouse = stub(gatehouse(userAuthenticator(userKey), null), userHeaders);
    jwtNaive =
        stub(
            plain(
                ServerInterceptors.intercept(
                    new ChainOverheadBenchmark.EchoProbe(),
                    new NaiveNimbusInterceptor(new JWKSet(userKey.toPublicJWK())))),
            userHeaders);
    jwtCaffeine =
        stub(
            plain(
                ServerInterceptors.intercept(
                    new ChainOverheadBenchmark.EchoProbe(),
                    new CaffeineNimbusInterceptor(new JWKSet(userKey.toPublicJWK())))),
            userHeaders);

    svidNoAuth = stub(plain(new ChainOverheadBenchmark.EchoProbe()), svidHeaders);
    svidGatehouse =
        stub(
            gatehouse(
                null,
                SpiffeJwtTrustSource.newBuilder()
                    .serviceAudience(SVID_AUDIENCE)
                    .addBundle("example.org", JwksSource.of(new JWKSet(svidKey.toPublicJWK())))
                    .allow(SVID_ID, Set.of("trip-finisher"), Set.of())
                    .build()),
            svidHeaders);
    svidJavaSpiffe =
        stub(
            plain(
                ServerInterceptors.intercept(
                    new ChainOverheadBenchmark.EchoProbe(), new JavaSpiffeInterceptor(svidKey))),
            svidHeaders);

    signedNoAuth = stub(plain(new ChainOverheadBenchmark.EchoProbe()), signedHeaders);
    signedGatehouse =
        stub(
            gatehouse(
                null,
                SignedTokenTrustSource.newBuilder()
                    .serviceName("trips")
                    .maxTtl(Duration.ofHours(1))
                    .addIssuer(
                        ServiceTokenIssuer.newBuilder("worker")
                            .keys(JwksSource.of(new JWKSet(serviceKey.toPublicJWK())))
                            .roles(List.of("trip-finisher"))
                            .build())
                    .build()),
            signedHeaders);

    xfccNoAuth = stub(plain(new ChainOverheadBenchmark.EchoProbe()), xfccHeaders);
    xfccGatehouse =
        stub(
            gatehouse(
                null,
                MeshIdentityTrustSource.newBuilder()
                    .trustedProxies("127.0.0.1/32")
                    .allowNonIpPeer(true) // in-process: the peer has no IP address
                    .expectedBy("spiffe://cluster.local/ns/trips/sa/trips-api")
                    .allow(
                        "spiffe://cluster.local/ns/dispatch/sa/dispatcher",
                        Set.of("trip-finisher"),
                        Set.of())
                    .build()),
            xfccHeaders);

    pubNoAuth = stub(plain(new ChainOverheadBenchmark.EchoProbe()), new Metadata());
    pubGatehouse =
        stub(
            gatehouse(userAuthenticator(userKey), new ChainOverheadBenchmark.FakeTrustSource()),
            new Metadata());

    // Fail fast if any case is refused: a benchmark of a refusal would measure the wrong thing.
    for (ProbeGrpc.ProbeBlockingStub s : List.of(jwtNoAuth, jwtGatehouse, jwtNaive, jwtCaffeine)) {
      s.anyUser(REQ);
    }
    for (ProbeGrpc.ProbeBlockingStub s :
        List.of(
            svidNoAuth,
            svidGatehouse,
            svidJavaSpiffe,
            signedNoAuth,
            signedGatehouse,
            xfccNoAuth,
            xfccGatehouse)) {
      s.worker(REQ);
    }
    pubNoAuth.open(REQ);
    pubGatehouse.open(REQ);
  }

  /** The user-JWT authenticator trusting {@code key} for {@link #USER_ISSUER}. */
  static UserJwtAuthenticator userAuthenticator(ECKey key) {
    return UserJwtAuthenticator.newBuilder()
        .addIssuer(USER_ISSUER, JwksSource.of(new JWKSet(key.toPublicJWK())), List.of(AUDIENCE))
        .build();
  }

  /** An ES256 end-user JWT from {@link #USER_ISSUER}, valid for an hour from {@code now}. */
  static String userToken(ECKey key, Instant now) throws Exception {
    return sign(
        key,
        new JWTClaimsSet.Builder()
            .issuer(USER_ISSUER)
            .subject("alice")
            .audience(AUDIENCE)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plusSeconds(3600)))
            .claim("roles", List.of("driver"))
            .claim("scope", "trips:write")
            .build());
  }

  static String sign(ECKey key, JWTClaimsSet claims) throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID(key.getKeyID())
                .type(JOSEObjectType.JWT)
                .build(),
            claims);
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }

  static Metadata bearer(String token) {
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return headers;
  }

  private String plain(BindableService service) throws Exception {
    return plain(service.bindService());
  }

  private String plain(io.grpc.ServerServiceDefinition service) throws Exception {
    String name = InProcessServerBuilder.generateName();
    servers.add(
        InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start());
    return name;
  }

  private String gatehouse(Authenticator user, TrustSource source) throws Exception {
    Gatehouse.Builder b = Gatehouse.newBuilder().addService(new ChainOverheadBenchmark.EchoProbe());
    if (user != null) {
      b.userAuthenticator(user);
    } else {
      // Gated methods need a user authenticator to build; no gated method is called here.
      b.userAuthenticator(new ChainOverheadBenchmark.FakeUser());
    }
    b.addTrustSource(source == null ? new ChainOverheadBenchmark.FakeTrustSource() : source);
    Gatehouse g = b.build();
    gatehouses.add(g);
    String name = InProcessServerBuilder.generateName();
    servers.add(g.addTo(InProcessServerBuilder.forName(name).directExecutor()).build().start());
    return name;
  }

  private ProbeGrpc.ProbeBlockingStub stub(String serverName, Metadata headers) {
    ManagedChannel channel = InProcessChannelBuilder.forName(serverName).directExecutor().build();
    channels.add(channel);
    return ProbeGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
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
      configure(processor, keys);
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

  /** Signature, {@code iss}, {@code aud}, {@code sub} and {@code exp}, as the naive case checks. */
  static void configure(DefaultJWTProcessor<SecurityContext> processor, JWKSet keys) {
    processor.setJWSKeySelector(
        new JWSVerificationKeySelector<>(JWSAlgorithm.ES256, new ImmutableJWKSet<>(keys)));
    processor.setJWTClaimsSetVerifier(
        new DefaultJWTClaimsVerifier<>(
            AUDIENCE,
            new JWTClaimsSet.Builder().issuer(USER_ISSUER).build(),
            Set.of("sub", "exp")));
  }

  /** The caller's verified claims, attached by the textbook cached interceptor. */
  static final Context.Key<JWTClaimsSet> CLAIMS = Context.key("claims");

  /**
   * The textbook cached interceptor: a Caffeine cache keyed by the raw token (bounded, entries
   * expiring after 5 minutes), Nimbus {@code DefaultJWTProcessor.process} on a miss, {@code exp}
   * checked on a hit, and the verified claims attached to the gRPC context for the handler.
   */
  static final class CaffeineNimbusInterceptor implements ServerInterceptor {
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    private final Cache<String, JWTClaimsSet> cache =
        Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofMinutes(5)).build();

    CaffeineNimbusInterceptor(JWKSet keys) {
      configure(processor, keys);
    }

    @Override
    @SuppressWarnings("JavaUtilDate") // Nimbus hands out java.util.Date
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      String value = headers.get(AUTHORIZATION);
      JWTClaimsSet claims;
      try {
        if (value == null || !value.startsWith("Bearer ")) {
          throw new java.text.ParseException("no bearer token", 0);
        }
        String token = value.substring(7);
        claims = cache.getIfPresent(token);
        if (claims == null || claims.getExpirationTime().getTime() <= System.currentTimeMillis()) {
          claims = processor.process(token, null);
          cache.put(token, claims);
        }
      } catch (java.text.ParseException
          | com.nimbusds.jose.proc.BadJOSEException
          | com.nimbusds.jose.JOSEException e) {
        call.close(Status.UNAUTHENTICATED, new Metadata());
        return new ServerCall.Listener<ReqT>() {};
      }
      return Contexts.interceptCall(
          Context.current().withValue(CLAIMS, claims), call, headers, next);
    }
  }

  /** The caller's SPIFFE ID, attached by the java-spiffe interceptor. */
  static final Context.Key<SpiffeId> SPIFFE_ID = Context.key("spiffe-id");

  /**
   * java-spiffe as its documentation shows it: {@code JwtSvid.parseAndValidate} against the trust
   * domain's JWT bundle and the service's audience on every call (it has no cache), then the
   * caller's SPIFFE ID checked against an allow-list and attached to the context.
   */
  static final class JavaSpiffeInterceptor implements ServerInterceptor {
    private static final Metadata.Key<String> AUTHORIZATION =
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private final JwtBundle bundle;
    private final Set<String> audience = Set.of(SVID_AUDIENCE);
    private final Set<SpiffeId> allowed;

    JavaSpiffeInterceptor(ECKey key) throws Exception {
      bundle = new JwtBundle(TrustDomain.parse("example.org"));
      bundle.putJwtAuthority(key.getKeyID(), key.toECPublicKey());
      allowed = Set.of(SpiffeId.parse(SVID_ID));
    }

    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      String value = headers.get(AUTHORIZATION);
      SpiffeId id;
      try {
        if (value == null || !value.startsWith("Bearer ")) {
          throw new IllegalArgumentException("no bearer token");
        }
        JwtSvid svid = JwtSvid.parseAndValidate(value.substring(7), bundle, audience);
        id = svid.getSpiffeId();
        if (!allowed.contains(id)) {
          call.close(Status.PERMISSION_DENIED, new Metadata());
          return new ServerCall.Listener<ReqT>() {};
        }
      } catch (Exception e) {
        call.close(Status.UNAUTHENTICATED, new Metadata());
        return new ServerCall.Listener<ReqT>() {};
      }
      return Contexts.interceptCall(
          Context.current().withValue(SPIFFE_ID, id), call, headers, next);
    }
  }

  /** Stops everything. */
  @TearDown(Level.Trial)
  public void tearDown() throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    for (Server s : servers) {
      s.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    gatehouses.forEach(Gatehouse::close);
  }

  /** Gated method, no auth (the same user JWT header sent). */
  @Benchmark
  public Resp jwt0NoChain() {
    return jwtNoAuth.anyUser(REQ);
  }

  /** Gatehouse {@code user_jwt}, ES256: after the first call every call is a cache hit. */
  @Benchmark
  public Resp jwt1Chain() {
    return jwtGatehouse.anyUser(REQ);
  }

  /** Nimbus {@code process} on every call, no cache. */
  @Benchmark
  public Resp jwt2NaiveNimbus() {
    return jwtNaive.anyUser(REQ);
  }

  /** The textbook cached interceptor (Caffeine keyed by the raw token, Nimbus on a miss). */
  @Benchmark
  public Resp jwt3CaffeineNimbus() {
    return jwtCaffeine.anyUser(REQ);
  }

  /** Internal method, no auth (the same JWT-SVID header sent). */
  @Benchmark
  public Resp svid0NoChain() {
    return svidNoAuth.worker(REQ);
  }

  /** Gatehouse {@code spiffe_jwt}, ES256 JWT-SVID, cache hit. */
  @Benchmark
  public Resp svid1Chain() {
    return svidGatehouse.worker(REQ);
  }

  /** java-spiffe {@code JwtSvid.parseAndValidate} on every call. */
  @Benchmark
  public Resp svid2JavaSpiffe() {
    return svidJavaSpiffe.worker(REQ);
  }

  /** Internal method, no auth (the same service token sent). */
  @Benchmark
  public Resp signed0NoChain() {
    return signedNoAuth.worker(REQ);
  }

  /** Gatehouse {@code signed_token}, ES256, cache hit. */
  @Benchmark
  public Resp signed1Chain() {
    return signedGatehouse.worker(REQ);
  }

  /** Internal method, no auth (the same XFCC header sent). */
  @Benchmark
  public Resp xfcc0NoChain() {
    return xfccNoAuth.worker(REQ);
  }

  /** Gatehouse {@code mesh_identity} reading the XFCC header. */
  @Benchmark
  public Resp xfcc1Chain() {
    return xfccGatehouse.worker(REQ);
  }

  /** Public method, no auth, no credential. */
  @Benchmark
  public Resp pub0NoChain() {
    return pubNoAuth.open(REQ);
  }

  /** Public method through Gatehouse. */
  @Benchmark
  public Resp pub1Chain() {
    return pubGatehouse.open(REQ);
  }
}
