package dev.gatehouse.examples.issuer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.client.ClientStatus;
import dev.gatehouse.client.IssuedToken;
import dev.gatehouse.client.ServiceTokenCallCredentials;
import dev.gatehouse.client.TokenFetcher;
import dev.gatehouse.examples.carsharing.v1.EndTripRequest;
import dev.gatehouse.examples.carsharing.v1.TripServiceGrpc;
import dev.gatehouse.examples.issuer.v1.IssueTokenRequest;
import dev.gatehouse.examples.issuer.v1.IssueTokenResponse;
import dev.gatehouse.examples.issuer.v1.IssuerServiceGrpc;
import dev.gatehouse.examples.trips.TripServiceImpl;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.ServiceSubject;
import dev.gatehouse.trust.jwt.ServiceTokenIssuer;
import dev.gatehouse.trust.jwt.SignedTokenTrustSource;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import dev.gatehouse.trust.mesh.MeshIdentityTrustSource;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example issuer end to end: workloads authenticated by mesh identity fetch tokens from it
 * through gatehouse-client's {@code fetchFrom}, and a trip server whose {@code signed_token} issuer
 * lists the worker as a subject bound to cluster A verifies them against the issuer's JWKS. One
 * clock, moved by the test, drives the issuer, the trip server and the client.
 */
class IssuedTokensEndToEndTest {
  static final String ISSUER = "https://issuer.test";
  static final String WORKER_A = "spiffe://a.test/ns/trips/sa/worker";
  static final String WORKER_B = "spiffe://b.test/ns/trips/sa/worker";
  static final String SCRAPER = "spiffe://a.test/ns/ops/sa/scraper";
  static final Duration LIFETIME = Duration.ofMinutes(2);
  static final String REGISTRATIONS =
      """
      workloads:
        - { spiffe_id: "spiffe://a.test/ns/trips/sa/worker", name: worker, cluster: cluster-a, audiences: [trips] }
        - { spiffe_id: "spiffe://b.test/ns/trips/sa/worker", name: worker, cluster: cluster-b, audiences: [trips] }
      """;

  @TempDir Path dir;
  private final TestClock clock = new TestClock(Instant.now());
  private final AtomicInteger handlerRuns = new AtomicInteger();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private Path registrationFile;
  private IssuerServer issuer;
  private Gatehouse trips;
  private Server tripsServer;
  private ManagedChannel toTrips;

  @BeforeEach
  void setUp() throws Exception {
    registrationFile = dir.resolve("registrations.yaml");
    Files.writeString(registrationFile, REGISTRATIONS);
    issuer =
        IssuerServer.newBuilder()
            .issuer(ISSUER)
            .registrationFile(registrationFile)
            .addTrustSource(
                MeshIdentityTrustSource.newBuilder()
                    .trustedProxies("127.0.0.1/32")
                    .allow(WORKER_A, List.of(), List.of())
                    .allow(WORKER_B, List.of(), List.of())
                    .allow(SCRAPER, List.of(), List.of())
                    .build())
            .tokenLifetime(LIFETIME)
            .reloadInterval(Duration.ofMillis(50))
            .clock(clock)
            .start();
    SignedTokenTrustSource tokens =
        SignedTokenTrustSource.newBuilder()
            .serviceName("trips")
            .clock(clock)
            .addIssuer(
                ServiceTokenIssuer.newBuilder(ISSUER)
                    .jwksUri(issuer.jwksUrl())
                    .addSubject(
                        ServiceSubject.newBuilder("worker")
                            .roles(List.of("trip-finisher"))
                            .clusterIds(List.of("cluster-a"))
                            .build())
                    .build())
            .build();
    UserJwtAuthenticator users =
        UserJwtAuthenticator.newBuilder()
            .addIssuer(
                "https://idp.test",
                JwksSource.of(new JWKSet(new ECKeyGenerator(Curve.P_256).generate().toPublicJWK())),
                List.of("trips-api"))
            .clock(clock)
            .build();
    ServerInterceptor counter =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            handlerRuns.incrementAndGet();
            return next.startCall(call, headers);
          }
        };
    trips =
        Gatehouse.newBuilder()
            .addService(ServerInterceptors.intercept(TripServiceImpl.create(), counter))
            .userAuthenticator(users)
            .addTrustSource(tokens)
            .build();
    String name = InProcessServerBuilder.generateName();
    tripsServer = trips.addTo(InProcessServerBuilder.forName(name)).build().start();
    toTrips = InProcessChannelBuilder.forName(name).build();
    channels.add(toTrips);
  }

  @AfterEach
  void tearDown() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    tripsServer.shutdownNow();
    trips.close();
    issuer.close();
  }

  /** A plaintext channel to the issuer through a "sidecar" that forwards {@code spiffeId}. */
  private ManagedChannel issuerChannel(String spiffeId) {
    NettyChannelBuilder b =
        NettyChannelBuilder.forAddress("127.0.0.1", issuer.port()).usePlaintext();
    if (spiffeId != null) {
      Metadata xfcc = new Metadata();
      xfcc.put(
          Metadata.Key.of("x-forwarded-client-cert", Metadata.ASCII_STRING_MARSHALLER),
          "By=spiffe://issuer.test/sa/issuer;URI=" + spiffeId);
      b = b.intercept(MetadataUtils.newAttachHeadersInterceptor(xfcc));
    }
    ManagedChannel c = b.build();
    channels.add(c);
    return c;
  }

  private ServiceTokenCallCredentials creds(TokenFetcher fetcher) {
    return ServiceTokenCallCredentials.newBuilder()
        .fetchFrom(fetcher)
        .audience("trips")
        .clock(clock)
        .build();
  }

  private void endTripOk(ServiceTokenCallCredentials creds) {
    int before = handlerRuns.get();
    TripServiceGrpc.newBlockingStub(toTrips)
        .withCallCredentials(creds)
        .endTrip(EndTripRequest.getDefaultInstance());
    assertTrue(handlerRuns.get() > before, "the handler ran");
  }

  private void endTripRefused(ServiceTokenCallCredentials creds, Status.Code code, String text) {
    int before = handlerRuns.get();
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                TripServiceGrpc.newBlockingStub(toTrips)
                    .withCallCredentials(creds)
                    .endTrip(EndTripRequest.getDefaultInstance()));
    assertEquals(code, e.getStatus().getCode());
    assertEquals(text, e.getStatus().getDescription());
    assertEquals(before, handlerRuns.get(), "the handler must not run");
  }

  private StatusRuntimeException issueRefused(ManagedChannel ch, String audience) {
    return assertThrows(
        StatusRuntimeException.class,
        () ->
            IssuerServiceGrpc.newBlockingStub(ch)
                .issueToken(IssueTokenRequest.newBuilder().setAudience(audience).build()));
  }

  /** Counts fetches and lets the test take the issuer "down" (calls go to a closed port). */
  private final class SwitchableFetcher implements TokenFetcher {
    final TokenFetcher up;
    final TokenFetcher down;
    final AtomicBoolean isDown = new AtomicBoolean();
    final AtomicInteger fetched = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();

    SwitchableFetcher(String spiffeId) throws Exception {
      up = new IssuerTokenFetcher(issuerChannel(spiffeId), Duration.ofSeconds(5));
      int closedPort;
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        closedPort = s.getLocalPort();
      }
      ManagedChannel dead =
          NettyChannelBuilder.forAddress("127.0.0.1", closedPort).usePlaintext().build();
      channels.add(dead);
      down = new IssuerTokenFetcher(dead, Duration.ofSeconds(5));
    }

    @Override
    public IssuedToken fetch(String audience) throws Exception {
      try {
        IssuedToken t = (isDown.get() ? down : up).fetch(audience);
        fetched.incrementAndGet();
        return t;
      } catch (Exception e) {
        failed.incrementAndGet();
        throw e;
      }
    }
  }

  @Test
  void registeredWorker_issuedTokenCarriesItsRegistration_acceptedInItsCluster() throws Exception {
    IssueTokenResponse r =
        IssuerServiceGrpc.newBlockingStub(issuerChannel(WORKER_A))
            .issueToken(IssueTokenRequest.newBuilder().setAudience("trips").build());
    JWTClaimsSet claims = SignedJWT.parse(r.getToken()).getJWTClaimsSet();
    assertEquals(ISSUER, claims.getIssuer());
    assertEquals("worker", claims.getSubject());
    assertEquals(List.of("trips"), claims.getAudience());
    assertEquals("cluster-a", claims.getStringClaim("cluster_id"));
    assertNotNull(claims.getJWTID());
    assertEquals(
        LIFETIME,
        Duration.between(
            claims.getIssueTime().toInstant(), claims.getExpirationTime().toInstant()));
    assertEquals(
        claims.getExpirationTime().toInstant().getEpochSecond(), r.getExpiresAt().getSeconds());
    endTripOk(creds(new IssuerTokenFetcher(issuerChannel(WORKER_A), Duration.ofSeconds(5))));
  }

  @Test
  void sameWorkerRegisteredInClusterB_tokenRefusedByTheServer() {
    endTripRefused(
        creds(new IssuerTokenFetcher(issuerChannel(WORKER_B), Duration.ofSeconds(5))),
        Status.Code.UNAUTHENTICATED,
        AuthStatus.INVALID_TEXT);
  }

  @Test
  void issuer_unregisteredCallerOrAudience_permissionDenied_unauthenticatedCaller_refused() {
    StatusRuntimeException unregistered = issueRefused(issuerChannel(SCRAPER), "trips");
    assertEquals(Status.Code.PERMISSION_DENIED, unregistered.getStatus().getCode());
    assertEquals(TokenIssuerService.NOT_REGISTERED_TEXT, unregistered.getStatus().getDescription());
    StatusRuntimeException audience = issueRefused(issuerChannel(WORKER_A), "billing");
    assertEquals(Status.Code.PERMISSION_DENIED, audience.getStatus().getCode());
    assertEquals(
        TokenIssuerService.AUDIENCE_NOT_ALLOWED_TEXT, audience.getStatus().getDescription());
    StatusRuntimeException anonymous = issueRefused(issuerChannel(null), "trips");
    assertEquals(Status.Code.UNAUTHENTICATED, anonymous.getStatus().getCode());
    assertEquals(AuthStatus.MISSING_TEXT, anonymous.getStatus().getDescription());
  }

  @Test
  void unregisteredWorkload_getsNoToken_callFailsUnavailableOnTheClient() {
    endTripRefused(
        creds(new IssuerTokenFetcher(issuerChannel(SCRAPER), Duration.ofSeconds(5))),
        Status.Code.UNAVAILABLE,
        ClientStatus.ISSUER_UNAVAILABLE_TEXT);
  }

  @Test
  void registrationFileEdited_reloaded_newWorkloadGetsAToken() throws Exception {
    ManagedChannel scraper = issuerChannel(SCRAPER);
    assertEquals(
        Status.Code.PERMISSION_DENIED, issueRefused(scraper, "trips").getStatus().getCode());
    Files.writeString(
        registrationFile,
        REGISTRATIONS
            + "  - { spiffe_id: \""
            + SCRAPER
            + "\", name: scraper, cluster: cluster-a, audiences: [trips] }\n");
    RegistrationsTest.waitFor(() -> issuer.registrations().current().size() == 3);
    IssueTokenResponse r =
        IssuerServiceGrpc.newBlockingStub(scraper)
            .issueToken(IssueTokenRequest.newBuilder().setAudience("trips").build());
    assertEquals("scraper", SignedJWT.parse(r.getToken()).getJWTClaimsSet().getSubject());
  }

  /** Eight threads call EndTrip until stopped; every outcome is counted. */
  private static final class Callers implements AutoCloseable {
    final AtomicInteger ok = new AtomicInteger();
    final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final List<Thread> threads = new ArrayList<>();
    final AtomicReference<Throwable> unexpected = new AtomicReference<>();

    Callers(ManagedChannel toTrips, ServiceTokenCallCredentials creds) {
      for (int i = 0; i < 8; i++) {
        Thread t =
            new Thread(
                () -> {
                  var stub = TripServiceGrpc.newBlockingStub(toTrips).withCallCredentials(creds);
                  while (!stop.get()) {
                    try {
                      stub.endTrip(EndTripRequest.getDefaultInstance());
                      ok.incrementAndGet();
                    } catch (StatusRuntimeException e) {
                      failures
                          .computeIfAbsent(
                              e.getStatus().getCode() + " " + e.getStatus().getDescription(),
                              k -> new AtomicInteger())
                          .incrementAndGet();
                    } catch (RuntimeException e) {
                      unexpected.set(e);
                    }
                  }
                },
                "caller-" + i);
        threads.add(t);
        t.start();
      }
    }

    /** Waits until {@code n} more calls succeeded. */
    void awaitMoreOk(int n) throws InterruptedException {
      int target = ok.get() + n;
      RegistrationsTest.waitFor(() -> ok.get() >= target || !failures.isEmpty());
    }

    @Override
    public void close() {
      stop.set(true);
      try {
        for (Thread t : threads) {
          t.join(20_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    RegistrationsTest.waitFor(condition);
  }

  /** Waits at most {@code limit} for {@code condition}; the caller checks what it needs after. */
  private static void awaitUpTo(Duration limit, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() - deadline < 0) {
      Thread.sleep(10);
    }
  }

  @Test
  void issuerKeyRotation_whileEightThreadsCall_zeroFailedCalls() throws Exception {
    SwitchableFetcher fetcher = new SwitchableFetcher(WORKER_A);
    int runsBefore = handlerRuns.get();
    Callers callers = new Callers(toTrips, creds(fetcher));
    try (callers) {
      callers.awaitMoreOk(50);
      for (int round = 1; round <= 4; round++) {
        int fetches = fetcher.fetched.get();
        issuer.keys().rotate();
        String kid = issuer.keys().activeKid();
        // Past the client's refresh point (40-50 % of 120 s), before the token's last use (108 s):
        // the next call refreshes in the background and gets a token signed with the new key.
        clock.advance(Duration.ofSeconds(65));
        await(() -> fetcher.fetched.get() > fetches || !callers.failures.isEmpty());
        callers.awaitMoreOk(50);
        assertEquals(kid, issuer.keys().activeKid());
      }
    }
    assertEquals(Map.of(), counts(callers.failures), "failed calls");
    assertEquals(null, callers.unexpected.get());
    assertEquals(5, fetcher.fetched.get(), "one token per key");
    assertEquals(0, fetcher.failed.get());
    assertEquals(callers.ok.get(), handlerRuns.get() - runsBefore, "every OK call ran the handler");
  }

  @Test
  void issuerDown_forLessThanTheTokenLifetime_zeroFailedCalls() throws Exception {
    SwitchableFetcher fetcher = new SwitchableFetcher(WORKER_A);
    Callers callers = new Callers(toTrips, creds(fetcher));
    try (callers) {
      callers.awaitMoreOk(20);
      fetcher.isDown.set(true);
      // Down from +0 s to +70 s: the refreshes due from 48-60 s fail and back off; the token in
      // hand (usable until 108 s) serves every call.
      for (int s = 10; s <= 70; s += 10) {
        clock.advance(Duration.ofSeconds(10));
        callers.awaitMoreOk(20);
      }
      await(() -> fetcher.failed.get() > 0 || !callers.failures.isEmpty());
      fetcher.isDown.set(false);
      // Back up. A refresh that started while the issuer was down may still fail after this line,
      // and it backs off from the time it fails (at most 9.6 s after three failures). So the clock
      // moves 5 s at a time, staying before the first token's last use (108 s), until a refresh
      // reaches the issuer.
      for (int s = 75; s <= 100 && fetcher.fetched.get() < 2; s += 5) {
        clock.advance(Duration.ofSeconds(5));
        awaitUpTo(
            Duration.ofSeconds(3), () -> fetcher.fetched.get() == 2 || !callers.failures.isEmpty());
      }
      await(() -> fetcher.fetched.get() == 2 || !callers.failures.isEmpty());
      // Past the first token's last use (108 s): only the new one is sent.
      clock.advance(Duration.ofSeconds(40));
      callers.awaitMoreOk(50);
    }
    assertEquals(Map.of(), counts(callers.failures), "failed calls");
    assertEquals(null, callers.unexpected.get());
    assertTrue(fetcher.failed.get() > 0, "the issuer was down for at least one refresh");
  }

  private static Map<String, Integer> counts(Map<String, AtomicInteger> m) {
    Map<String, Integer> out = new java.util.TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }
}
