package dev.gatehouse.trust.jwt;

import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import dev.gatehouse.testing.NoCredentialTrustSource;
import dev.gatehouse.testing.TestTokens;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerStreamTracer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A cold key miss on a Netty server with {@code directExecutor()} and one event-loop thread: the
 * call that must wait for the issuer's keys is decided off the event loop, so other calls on the
 * same connection go on meanwhile; once the keys arrive (or fail) the held call gets exactly the
 * decision the inline path would give. The JWKS endpoint answers only when the test releases it.
 */
class ColdMissDoesNotStallEventLoopTest {
  static final String ISS = "https://idp.test";
  static final String AUD = "trips-api";
  static final ECKey EC = TestTokens.ecKey("ec1");
  static final ECKey OTHER = TestTokens.ecKey("ec1");
  static final String ANY_USER = "gatehouse.test.v1.Probe/AnyUser";
  static final String OPEN = "gatehouse.test.v1.Probe/Open";
  static final long WAIT_SECONDS = 30;

  private final List<AuditEvent> audit = new CopyOnWriteArrayList<>();
  private final CountDownLatch jwksAsked = new CountDownLatch(1);
  private final CountDownLatch releaseJwks = new CountDownLatch(1);
  private final CountDownLatch gatedArrived = new CountDownLatch(1);
  private final CountDownLatch gatedClosed = new CountDownLatch(1);
  private final AtomicInteger anyUserRuns = new AtomicInteger();
  private final AtomicInteger openRuns = new AtomicInteger();
  private final List<String> anyUserMessages = new CopyOnWriteArrayList<>();
  private final AtomicReference<AuthContext> anyUserContext = new AtomicReference<>();
  private final ExecutorService httpThreads = Executors.newCachedThreadPool();
  private volatile boolean jwksDown;
  private final AtomicReference<Status> serverClosed = new AtomicReference<>();

  private HttpServer jwks;
  private UserJwtAuthenticator auth;
  private Gatehouse gatehouse;
  private EventLoopGroup boss;
  private EventLoopGroup worker;
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void setUp() throws Exception {
    String body = new JWKSet(List.of(EC)).toPublicJWKSet().toString();
    jwks = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    jwks.createContext(
        "/jwks.json",
        exchange -> {
          try {
            jwksAsked.countDown();
            if (!releaseJwks.await(2 * WAIT_SECONDS, TimeUnit.SECONDS)) {
              return;
            }
            if (jwksDown) {
              exchange.sendResponseHeaders(503, -1);
              return;
            }
            byte[] bytes = body.getBytes(UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = exchange.getResponseBody()) {
              out.write(bytes);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (IOException e) {
            // the fetch gave up
          } finally {
            exchange.close();
          }
        });
    jwks.setExecutor(httpThreads);
    jwks.start();
  }

  /** Builds the chain and a Netty server with one event-loop thread running everything. */
  private void startServer() throws Exception {
    String url = "http://127.0.0.1:" + jwks.getAddress().getPort() + "/jwks.json";
    auth =
        UserJwtAuthenticator.newBuilder()
            .addIssuer(ISS, url, List.of(AUD))
            // Longer than any wait of this test: the fetch ends when the test releases it.
            .fetchTimeout(Duration.ofSeconds(WAIT_SECONDS))
            .build();
    gatehouse =
        Gatehouse.newBuilder()
            .addService(service())
            .userAuthenticator(auth)
            .addTrustSource(new NoCredentialTrustSource())
            .auditListener(audit::add)
            .build();
    boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    worker = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    NettyServerBuilder sb =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .channelType(NioServerSocketChannel.class)
            .bossEventLoopGroup(boss)
            .workerEventLoopGroup(worker)
            .directExecutor()
            .addStreamTracerFactory(tracer());
    gatehouse.addTo(sb);
    server = sb.build().start();
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
            .usePlaintext()
            .directExecutor()
            .build();
    // The first key fetch (started when the authenticator was built) has reached the endpoint and
    // now waits for the test: every gated call until the release is a cold miss.
    assertTrue(jwksAsked.await(WAIT_SECONDS, TimeUnit.SECONDS), "JWKS never asked");
  }

  @AfterEach
  void tearDown() throws Exception {
    releaseJwks.countDown();
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (gatehouse != null) {
      gatehouse.close();
    }
    if (auth != null) {
      auth.close();
    }
    if (worker != null) {
      worker.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
      boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }
    jwks.stop(0);
    httpThreads.shutdownNow();
  }

  /** Counts down when a gated call reaches the server, and when its stream closes there. */
  private ServerStreamTracer.Factory tracer() {
    return new ServerStreamTracer.Factory() {
      @Override
      public ServerStreamTracer newServerStreamTracer(String fullMethodName, Metadata headers) {
        if (!fullMethodName.equals(ANY_USER)) {
          return new ServerStreamTracer() {};
        }
        return new ServerStreamTracer() {
          @Override
          public void serverCallStarted(ServerStreamTracer.ServerCallInfo<?, ?> info) {
            gatedArrived.countDown();
          }

          @Override
          public void streamClosed(Status status) {
            serverClosed.set(status);
            gatedClosed.countDown();
          }
        };
      }
    };
  }

  /**
   * AnyUser as a client-streaming method (the server's descriptor must say so: grpc refuses a
   * second message on a method it knows as unary); same name, so the same gated policy.
   */
  static final MethodDescriptor<Req, Resp> ANY_USER_STREAMING =
      ProbeGrpc.getAnyUserMethod().toBuilder()
          .setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
          .build();

  /**
   * The Probe service (with AnyUser client-streaming) and one raw handler per method: it asks for
   * one message at a time, records each message's text, and answers their texts joined by commas on
   * half-close. AnyUser (gated) and Open (public) count their runs.
   */
  private ServerServiceDefinition service() {
    io.grpc.ServiceDescriptor probe = ProbeGrpc.getServiceDescriptor();
    io.grpc.ServiceDescriptor.Builder sd =
        io.grpc.ServiceDescriptor.newBuilder(probe.getName())
            .setSchemaDescriptor(probe.getSchemaDescriptor());
    List<MethodDescriptor<Req, Resp>> methods = new ArrayList<>();
    for (MethodDescriptor<?, ?> m : probe.getMethods()) {
      MethodDescriptor<Req, Resp> method =
          m.getFullMethodName().equals(ANY_USER) ? ANY_USER_STREAMING : cast(m);
      methods.add(method);
      sd.addMethod(method);
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(sd.build());
    for (MethodDescriptor<Req, Resp> m : methods) {
      b.addMethod(m, handler(m.getFullMethodName()));
    }
    return b.build();
  }

  @SuppressWarnings("unchecked")
  private static MethodDescriptor<Req, Resp> cast(MethodDescriptor<?, ?> m) {
    return (MethodDescriptor<Req, Resp>) m;
  }

  private ServerCallHandler<Req, Resp> handler(String method) {
    return (call, headers) -> {
      List<String> texts = new ArrayList<>();
      if (method.equals(ANY_USER)) {
        anyUserRuns.incrementAndGet();
        anyUserContext.set(AuthContext.current().orElse(null));
      } else if (method.equals(OPEN)) {
        openRuns.incrementAndGet();
      }
      call.request(1);
      return new ServerCall.Listener<>() {
        @Override
        public void onMessage(Req message) {
          texts.add(message.getText());
          if (method.equals(ANY_USER)) {
            anyUserMessages.add(message.getText());
          }
          call.request(1);
        }

        @Override
        public void onHalfClose() {
          call.sendHeaders(new Metadata());
          call.sendMessage(Resp.newBuilder().setText(String.join(",", texts)).build());
          call.close(Status.OK, new Metadata());
        }
      };
    };
  }

  private static String token(ECKey key) {
    Map<String, Object> c = TestTokens.claims(ISS, "alice", AUD, Instant.now(), 300);
    return sign(key, header("ES256", "ec1"), c);
  }

  private static Metadata bearer(String token) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return md;
  }

  private ProbeGrpc.ProbeFutureStub stub(String token) {
    Metadata md = token == null ? new Metadata() : bearer(token);
    return ProbeGrpc.newFutureStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
        .withDeadlineAfter(WAIT_SECONDS, TimeUnit.SECONDS);
  }

  private static Req req(String text) {
    return Req.newBuilder().setText(text).build();
  }

  private static Status statusOf(ListenableFuture<?> f) throws Exception {
    try {
      f.get(WAIT_SECONDS, TimeUnit.SECONDS);
      return Status.OK;
    } catch (ExecutionException e) {
      return ((StatusRuntimeException) e.getCause()).getStatus();
    }
  }

  @Test
  void coldMissHoldsOnlyItsCall_publicCallOnSameEventLoopCompletesBeforeKeysArrive()
      throws Exception {
    startServer();
    ListenableFuture<Resp> gated = stub(token(EC)).anyUser(req("gated"));
    assertTrue(gatedArrived.await(WAIT_SECONDS, TimeUnit.SECONDS), "gated call never arrived");

    // Same channel, same connection, the server's only event-loop thread: answered while the key
    // endpoint still holds the first fetch (the test has not released it).
    Resp open = stub(null).withDeadlineAfter(10, TimeUnit.SECONDS).open(req("open")).get();
    assertEquals("open", open.getText());
    assertEquals(1, openRuns.get());
    assertFalse(gated.isDone(), "the gated call cannot be decided before the keys arrive");
    assertEquals(0, anyUserRuns.get());

    releaseJwks.countDown();
    assertEquals("gated", gated.get(WAIT_SECONDS, TimeUnit.SECONDS).getText());
    assertEquals(1, anyUserRuns.get());
    assertEquals("alice", anyUserContext.get().subject());
    AuditEvent last = audit.get(audit.size() - 1);
    assertEquals(ANY_USER, last.fullMethodName());
    assertEquals(AuditEvent.Outcome.ALLOWED, last.outcome());

    // Keys cached now: the next call with the same token is decided inline, same result.
    assertEquals("again", stub(token(EC)).anyUser(req("again")).get().getText());
    assertEquals(2, anyUserRuns.get());
  }

  @Test
  void coldMissWhoseFetchFails_unavailableWithFixedText_handlerNotRun() throws Exception {
    jwksDown = true;
    startServer();
    ListenableFuture<Resp> gated = stub(token(EC)).anyUser(req("gated"));
    assertTrue(gatedArrived.await(WAIT_SECONDS, TimeUnit.SECONDS));
    releaseJwks.countDown();
    Status status = statusOf(gated);
    assertEquals(Status.Code.UNAVAILABLE, status.getCode());
    assertEquals(AuthStatus.UNAVAILABLE_TEXT, status.getDescription());
    assertEquals(0, anyUserRuns.get());
    assertEquals(Reason.KEYS_UNAVAILABLE, audit.get(audit.size() - 1).reason());
  }

  @Test
  void deferredCallWithBadSignature_unauthenticatedWithFixedText_handlerNotRun() throws Exception {
    startServer();
    ListenableFuture<Resp> gated = stub(token(OTHER)).anyUser(req("gated"));
    assertTrue(gatedArrived.await(WAIT_SECONDS, TimeUnit.SECONDS));
    releaseJwks.countDown();
    Status status = statusOf(gated);
    assertEquals(Status.Code.UNAUTHENTICATED, status.getCode());
    assertEquals(AuthStatus.INVALID_TEXT, status.getDescription());
    assertEquals(0, anyUserRuns.get());
    assertEquals(Reason.BAD_SIGNATURE, audit.get(audit.size() - 1).reason());
  }

  @Test
  void deferredCallCancelledBeforeDecision_handlerNeverRuns() throws Exception {
    CountDownLatch abandoned = new CountDownLatch(1);
    Logger log = Logger.getLogger("dev.gatehouse.server.DeferredListener");
    Handler watch =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            if (r.getMessage() != null && r.getMessage().contains("handler not started")) {
              abandoned.countDown();
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Level before = log.getLevel();
    log.setLevel(Level.FINE);
    log.addHandler(watch);
    try {
      startServer();
      ClientCall<Req, Resp> call =
          channel.newCall(
              ProbeGrpc.getAnyUserMethod(),
              CallOptions.DEFAULT.withDeadlineAfter(WAIT_SECONDS, TimeUnit.SECONDS));
      CompletableFuture<Status> closed = new CompletableFuture<>();
      call.start(
          new ClientCall.Listener<>() {
            @Override
            public void onClose(Status status, Metadata trailers) {
              closed.complete(status);
            }
          },
          bearer(token(EC)));
      call.sendMessage(req("never"));
      call.halfClose();
      call.request(1);
      assertTrue(gatedArrived.await(WAIT_SECONDS, TimeUnit.SECONDS));
      call.cancel("client gives up", null);
      assertEquals(Status.Code.CANCELLED, closed.get(WAIT_SECONDS, TimeUnit.SECONDS).getCode());
      assertTrue(gatedClosed.await(WAIT_SECONDS, TimeUnit.SECONDS), "server never saw the cancel");

      // The keys arrive; the held call, cancelled meanwhile, is dropped instead of started.
      releaseJwks.countDown();
      assertTrue(abandoned.await(WAIT_SECONDS, TimeUnit.SECONDS), "held call never dropped");
      assertEquals(0, anyUserRuns.get(), "a cancelled held call must never reach the handler");

      // A later call on the same connection is served (the event loop and the chain are fine).
      assertEquals("after", stub(token(EC)).anyUser(req("after")).get().getText());
      assertEquals(1, anyUserRuns.get());
      assertEquals(List.of("after"), anyUserMessages);
    } finally {
      log.removeHandler(watch);
      log.setLevel(before);
    }
  }

  @Test
  void streamedMessagesSentBeforeDecision_deliveredInOrderAfterIt() throws Exception {
    startServer();
    ClientCall<Req, Resp> call =
        channel.newCall(
            ANY_USER_STREAMING,
            CallOptions.DEFAULT.withDeadlineAfter(WAIT_SECONDS, TimeUnit.SECONDS));
    Metadata md = bearer(token(EC));
    CompletableFuture<Status> closed = new CompletableFuture<>();
    List<String> answers = new CopyOnWriteArrayList<>();
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(Resp message) {
            answers.add(message.getText());
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            closed.complete(status);
          }
        },
        md);
    call.request(1);
    call.sendMessage(req("one"));
    call.sendMessage(req("two"));
    call.sendMessage(req("three"));
    call.halfClose();
    assertTrue(gatedArrived.await(WAIT_SECONDS, TimeUnit.SECONDS));
    // A public call goes through meanwhile, so the three messages have long reached the server.
    assertEquals("x", stub(null).open(req("x")).get(WAIT_SECONDS, TimeUnit.SECONDS).getText());
    assertEquals(0, anyUserRuns.get());
    assertEquals(List.of(), anyUserMessages);

    releaseJwks.countDown();
    Status status = closed.get(WAIT_SECONDS, TimeUnit.SECONDS);
    assertEquals(
        Status.Code.OK,
        status.getCode(),
        () -> status + " server " + serverClosed.get() + " " + anyUserMessages + " " + anyUserRuns);
    assertEquals(List.of("one", "two", "three"), anyUserMessages);
    assertEquals(List.of("one,two,three"), answers);
    assertEquals(1, anyUserRuns.get());
  }
}
