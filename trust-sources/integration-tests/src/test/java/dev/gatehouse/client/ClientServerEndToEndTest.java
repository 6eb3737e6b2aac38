package dev.gatehouse.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import dev.gatehouse.trust.jwt.ServiceTokenIssuer;
import dev.gatehouse.trust.jwt.SignedTokenTrustSource;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client credentials against a Gatehouse server with {@link SignedTokenTrustSource} over Netty TLS
 * on 127.0.0.1, the issuer's JWKS served by {@link JwksPublisher} on loopback.
 */
class ClientServerEndToEndTest {
  @TempDir static Path tlsDir;
  private static TestTls tls;

  @TempDir Path keyDir;
  private Path keyFile;
  private SigningKeySource keySource;
  private HttpServer jwksHttp;
  private Gatehouse gatehouse;
  private Server server;
  private ManagedChannel channel;
  private final AtomicInteger handlerRuns = new AtomicInteger();
  private final Map<String, AtomicInteger> subjects = new ConcurrentHashMap<>();
  private final List<AuditEvent> audit = new CopyOnWriteArrayList<>();
  private final OffsetClock serverClock = new OffsetClock();

  @BeforeAll
  static void certificate() throws Exception {
    tls = TestTls.generate(tlsDir);
  }

  @BeforeEach
  void start() throws Exception {
    keyFile = keyDir.resolve("worker.pem");
    Files.writeString(keyFile, TestKeys.pemWithPublic(TestKeys.ec()));
    keySource =
        SigningKeySource.newBuilder()
            .pemFile(keyFile)
            .checkInterval(Duration.ofMillis(100))
            .build();

    jwksHttp = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    jwksHttp.createContext("/jwks.json", JwksPublisher.create(keySource).httpHandler());
    jwksHttp.start();
    String jwksUri = "http://127.0.0.1:" + jwksHttp.getAddress().getPort() + "/jwks.json";

    gatehouse =
        Gatehouse.newBuilder()
            .addService(probe())
            .userAuthenticator(new NoUsers())
            .addTrustSource(
                SignedTokenTrustSource.newBuilder()
                    .serviceName("trips")
                    .clock(serverClock)
                    .addIssuer(
                        ServiceTokenIssuer.newBuilder("worker")
                            .jwksUri(jwksUri)
                            .roles(List.of("trip-finisher"))
                            .build())
                    .build())
            .auditListener(audit::add)
            .build();
    server =
        gatehouse
            .addTo(
                NettyServerBuilder.forAddress(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    tls.serverCredentials()))
            .build()
            .start();
    int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, tls.channelCredentials()).build();
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    gatehouse.close();
    jwksHttp.stop(0);
  }

  private ProbeGrpc.ProbeImplBase probe() {
    return new ProbeGrpc.ProbeImplBase() {
      @Override
      public void worker(Req request, StreamObserver<Resp> out) {
        reply(out);
      }

      @Override
      public void workerFinisher(Req request, StreamObserver<Resp> out) {
        reply(out);
      }

      private void reply(StreamObserver<Resp> out) {
        handlerRuns.incrementAndGet();
        AuthContext ctx = AuthContext.require();
        assertEquals(PrincipalKind.SERVICE, ctx.kind());
        subjects.computeIfAbsent(ctx.subject(), s -> new AtomicInteger()).incrementAndGet();
        out.onNext(Resp.newBuilder().setText(ctx.subject()).build());
        out.onCompleted();
      }
    };
  }

  private ServiceTokenCallCredentials.Builder creds() {
    return ServiceTokenCallCredentials.newBuilder()
        .identity("worker")
        .keySource(keySource)
        .audienceFor(ProbeGrpc.SERVICE_NAME, "trips");
  }

  private ProbeGrpc.ProbeBlockingStub stub(ServiceTokenCallCredentials c) {
    return ProbeGrpc.newBlockingStub(channel)
        .withCallCredentials(c)
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  @Test
  void internalMethod_clientCredentialsOverTls_serverSeesWorkerWithGrant() throws Exception {
    assertEquals(
        "worker", stub(creds().build()).workerFinisher(Req.getDefaultInstance()).getText());
    assertEquals(1, handlerRuns.get());
  }

  @Test
  void internalMethod_tokenForAnotherAudience_invalidCredentialsHandlerNotRun() throws Exception {
    ServiceTokenCallCredentials wrong =
        ServiceTokenCallCredentials.newBuilder()
            .identity("worker")
            .keySource(keySource)
            .audience("billing")
            .build();
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class, () -> stub(wrong).worker(Req.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
    assertEquals(0, handlerRuns.get());
  }

  @Test
  void internalMethod_identityNotAnIssuer_invalidCredentialsHandlerNotRun() throws Exception {
    ServiceTokenCallCredentials impostor = creds().identity("billing-worker").build();
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class, () -> stub(impostor).worker(Req.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
    assertEquals(0, handlerRuns.get());
  }

  @Test
  void keyRotation_eightThreadsCallingContinuously_zeroFailedCalls() throws Exception {
    ServiceTokenCallCredentials c = creds().build();
    ProbeGrpc.ProbeBlockingStub stub = stub(c);
    stub.worker(Req.getDefaultInstance()); // warm: keys fetched once
    String oldKid = keySource.currentKid();

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    List<String> failures = new CopyOnWriteArrayList<>();
    ExecutorService threads = Executors.newFixedThreadPool(8);
    List<Future<?>> futures = new ArrayList<>();
    try {
      for (int t = 0; t < 8; t++) {
        futures.add(
            threads.submit(
                () -> {
                  while (running.get()) {
                    try {
                      stub.worker(Req.getDefaultInstance());
                      ok.incrementAndGet();
                    } catch (StatusRuntimeException e) {
                      failures.add(e.getStatus().toString());
                    }
                  }
                }));
      }
      waitFor(() -> ok.get() > 100);
      int beforeRotation = ok.get();
      // A rotation comes long after the verifier's last JWKS fetch: outside its 30 s
      // unknown-kid refresh limit. Move the server's clock instead of sleeping.
      serverClock.advance(Duration.ofSeconds(31));
      KeyPair next = TestKeys.ec();
      TestKeys.replace(keyFile, TestKeys.pemWithPublic(next));
      String newKid = TestKeys.thumbprint(next);
      waitFor(() -> newKid.equals(keySource.currentKid()));
      int atRotation = ok.get();
      waitFor(() -> ok.get() > atRotation + 300 || failures.size() > 20);
      running.set(false);
      for (Future<?> f : futures) {
        f.get(20, TimeUnit.SECONDS);
      }
      assertNotEquals(oldKid, newKid);
      assertTrue(beforeRotation > 100);
      assertEquals(List.of(), failures, "no call failed during the rotation");
      List<AuditEvent> refusals = audit.stream().filter(a -> a.status() != Status.Code.OK).toList();
      assertEquals(List.of(), refusals);
      assertEquals(Set.of("worker"), subjects.keySet());
      assertEquals(handlerRuns.get(), ok.get() + 1);
    } finally {
      running.set(false);
      threads.shutdownNow();
    }
  }

  private static void waitFor(java.util.function.BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached in 30 s");
      }
      Thread.sleep(10);
    }
  }

  /** The system clock plus an offset the test moves forward. */
  private static final class OffsetClock extends java.time.Clock {
    private volatile Duration offset = Duration.ZERO;

    void advance(Duration d) {
      offset = offset.plus(d);
    }

    @Override
    public java.time.Instant instant() {
      return java.time.Instant.now().plus(offset);
    }

    @Override
    public java.time.ZoneId getZone() {
      return java.time.ZoneOffset.UTC;
    }

    @Override
    public java.time.Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  /** No end users in this test: every gated call is unauthenticated. */
  private static final class NoUsers implements Authenticator {
    @Override
    public String name() {
      return "no_users";
    }

    @Override
    public Set<String> credentialHeaders() {
      return Set.of("x-user-token");
    }

    @Override
    public AuthResult authenticate(IncomingCall request) {
      return AuthResult.noCredential();
    }
  }
}
