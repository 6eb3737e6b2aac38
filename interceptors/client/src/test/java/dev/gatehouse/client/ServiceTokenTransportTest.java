package dev.gatehouse.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import io.grpc.CallCredentials;
import io.grpc.ClientInterceptors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real transports: Netty TLS and plaintext on 127.0.0.1, and in-process. */
class ServiceTokenTransportTest {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> OTHER =
      Metadata.Key.of("x-other-credential", Metadata.ASCII_STRING_MARSHALLER);
  private static final String PROBE = ProbeGrpc.SERVICE_NAME;

  @TempDir static Path tlsDir;
  private static TestTls tls;
  private static final KeyPair KEY = TestKeys.ec();

  private final List<Metadata> seenHeaders = new CopyOnWriteArrayList<>();
  private final AtomicInteger handlerRuns = new AtomicInteger();
  private Server server;
  private ManagedChannel channel;

  @BeforeAll
  static void generateCertificate() throws Exception {
    tls = TestTls.generate(tlsDir);
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private io.grpc.ServerServiceDefinition recordingService() {
    ProbeGrpc.ProbeImplBase impl =
        new ProbeGrpc.ProbeImplBase() {
          @Override
          public void worker(Req request, StreamObserver<Resp> out) {
            handlerRuns.incrementAndGet();
            out.onNext(Resp.newBuilder().setText("ok").build());
            out.onCompleted();
          }
        };
    ServerInterceptor capture =
        new ServerInterceptor() {
          @Override
          public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
              ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
            seenHeaders.add(headers);
            return next.startCall(call, headers);
          }
        };
    return ServerInterceptors.intercept(impl, capture);
  }

  private ManagedChannel startNetty(ServerCredentials serverCreds, io.grpc.ChannelCredentials ch)
      throws Exception {
    server =
        NettyServerBuilder.forAddress(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), serverCreds)
            .addService(recordingService())
            .build()
            .start();
    int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, ch).build();
    return channel;
  }

  private static ServiceTokenCallCredentials.Builder creds() {
    return ServiceTokenCallCredentials.newBuilder()
        .identity("worker")
        .keySource(SigningKeySource.of(KEY))
        .audience("trips");
  }

  private static ProbeGrpc.ProbeBlockingStub stub(io.grpc.Channel ch) {
    return ProbeGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static String bearer(Metadata headers) {
    String v = headers.get(AUTHORIZATION);
    assertTrue(v != null && v.startsWith("Bearer "), "bearer token present");
    return v.substring("Bearer ".length());
  }

  @Test
  void nettyTls_callCredentials_tokenArrivesAndVerifies() throws Exception {
    startNetty(tls.serverCredentials(), tls.channelCredentials());
    stub(channel).withCallCredentials(creds().build()).worker(Req.getDefaultInstance());
    assertEquals(1, handlerRuns.get());
    SignedJWT jwt = SignedJWT.parse(bearer(seenHeaders.get(0)));
    assertTrue(jwt.verify(new ECDSAVerifier((ECPublicKey) KEY.getPublic())));
    assertEquals(List.of("trips"), jwt.getJWTClaimsSet().getAudience());
  }

  @Test
  void nettyPlaintext_callCredentials_refusedAndNothingSent() throws Exception {
    startNetty(InsecureServerCredentials.create(), InsecureChannelCredentials.create());
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                stub(channel)
                    .withCallCredentials(creds().build())
                    .worker(Req.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(ClientStatus.INSECURE_CHANNEL_TEXT, e.getStatus().getDescription());
    assertEquals(0, handlerRuns.get(), "handler did not run");
    assertEquals(0, seenHeaders.size(), "no request reached the server");
  }

  @Test
  void nettyPlaintext_allowPlaintextToLocalSidecar_tokenArrives() throws Exception {
    startNetty(InsecureServerCredentials.create(), InsecureChannelCredentials.create());
    stub(channel)
        .withCallCredentials(creds().allowPlaintextToLocalSidecar().build())
        .worker(Req.getDefaultInstance());
    assertEquals(1, handlerRuns.get());
    SignedJWT.parse(bearer(seenHeaders.get(0)));
  }

  @Test
  void nettyTls_interceptorWithExistingCallCredentials_bothHeadersArrive() throws Exception {
    startNetty(tls.serverCredentials(), tls.channelCredentials());
    io.grpc.Channel intercepted =
        ClientInterceptors.intercept(
            channel, ServiceTokenClientInterceptor.create(creds().build()));
    stub(intercepted)
        .withCallCredentials(new StaticCredentials("theirs"))
        .worker(Req.getDefaultInstance());
    assertEquals(1, handlerRuns.get());
    Metadata h = seenHeaders.get(0);
    assertEquals("theirs", h.get(OTHER), "existing credentials kept");
    SignedJWT.parse(bearer(h));
    assertEquals(1, count(h.getAll(AUTHORIZATION)));
  }

  @Test
  void nettyTls_interceptorWithoutExistingCredentials_tokenArrives() throws Exception {
    startNetty(tls.serverCredentials(), tls.channelCredentials());
    io.grpc.Channel intercepted =
        ClientInterceptors.intercept(
            channel, ServiceTokenClientInterceptor.create(creds().build()));
    stub(intercepted).worker(Req.getDefaultInstance());
    assertNull(seenHeaders.get(0).get(OTHER));
    SignedJWT.parse(bearer(seenHeaders.get(0)));
  }

  @Test
  void nettyTls_interceptorAndSameCredentialsOnStub_oneTokenOnly() throws Exception {
    startNetty(tls.serverCredentials(), tls.channelCredentials());
    ServiceTokenCallCredentials c = creds().build();
    io.grpc.Channel intercepted =
        ClientInterceptors.intercept(channel, ServiceTokenClientInterceptor.create(c));
    stub(intercepted).withCallCredentials(c).worker(Req.getDefaultInstance());
    assertEquals(1, count(seenHeaders.get(0).getAll(AUTHORIZATION)));
  }

  @Test
  void nettyPlaintext_interceptorWithExistingCredentials_wholeCallRefused() throws Exception {
    startNetty(InsecureServerCredentials.create(), InsecureChannelCredentials.create());
    io.grpc.Channel intercepted =
        ClientInterceptors.intercept(
            channel, ServiceTokenClientInterceptor.create(creds().build()));
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                stub(intercepted)
                    .withCallCredentials(new StaticCredentials("theirs"))
                    .worker(Req.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(ClientStatus.INSECURE_CHANNEL_TEXT, e.getStatus().getDescription());
    assertEquals(0, handlerRuns.get());
  }

  @Test
  void nettyTls_serviceWithoutAudienceMapping_interceptorFailsPreconditionNothingSent()
      throws Exception {
    startNetty(tls.serverCredentials(), tls.channelCredentials());
    io.grpc.Channel intercepted =
        ClientInterceptors.intercept(channel, ServiceTokenClientInterceptor.create(mappedCreds()));
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class, () -> stub(intercepted).worker(Req.getDefaultInstance()));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    assertEquals(ClientStatus.NO_AUDIENCE_TEXT_PREFIX + PROBE, e.getStatus().getDescription());
    assertEquals(0, handlerRuns.get());
    assertEquals(0, seenHeaders.size());
  }

  @Test
  void nettyTls_serviceWithoutAudienceMapping_callCredentialsFailNothingSent() throws Exception {
    startNetty(tls.serverCredentials(), tls.channelCredentials());
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                stub(channel).withCallCredentials(mappedCreds()).worker(Req.getDefaultInstance()));
    // grpc-java turns a control-plane code from CallCredentials into INTERNAL, keeping our text.
    assertEquals(Status.Code.INTERNAL, e.getStatus().getCode());
    assertTrue(
        e.getStatus()
            .getDescription()
            .equals(
                "Inappropriate status code from control plane: FAILED_PRECONDITION "
                    + ClientStatus.NO_AUDIENCE_TEXT_PREFIX
                    + PROBE),
        e.getStatus().getDescription());
    assertEquals(0, handlerRuns.get());
    assertEquals(0, seenHeaders.size());
  }

  private static ServiceTokenCallCredentials mappedCreds() {
    return ServiceTokenCallCredentials.newBuilder()
        .identity("worker")
        .keySource(SigningKeySource.of(KEY))
        .audienceFor("trips.v1.Trips", "trips")
        .build();
  }

  @Test
  void inProcess_reportsPrivacyAndIntegrity_tokenAttached() throws Exception {
    // InProcessTransport reports SecurityLevel.PRIVACY_AND_INTEGRITY: no opt-out is needed there.
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(recordingService())
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub(channel).withCallCredentials(creds().build()).worker(Req.getDefaultInstance());
    SignedJWT.parse(bearer(seenHeaders.get(0)));
  }

  private static int count(Iterable<String> values) {
    int n = 0;
    if (values != null) {
      for (String ignored : values) {
        n++;
      }
    }
    return n;
  }

  /** Someone else's credentials: one fixed header. */
  private static final class StaticCredentials extends CallCredentials {
    private final String value;

    StaticCredentials(String value) {
      this.value = value;
    }

    @Override
    public void applyRequestMetadata(
        RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
      Metadata m = new Metadata();
      m.put(OTHER, value);
      applier.apply(m);
    }
  }
}
