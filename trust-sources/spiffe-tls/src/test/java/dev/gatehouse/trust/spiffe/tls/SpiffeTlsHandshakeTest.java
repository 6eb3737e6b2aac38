package dev.gatehouse.trust.spiffe.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.trust.spiffe.PeerCertificateTrustSource;
import dev.gatehouse.trust.spiffe.tls.Pki.Issued;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link SpiffeTls} credentials on a real Netty server and channel over 127.0.0.1: SPIFFE peers are
 * required and verified in the handshake, and Gatehouse's {@code peer_certificate} source then
 * authorizes by SPIFFE ID.
 */
class SpiffeTlsHandshakeTest {
  private static final String TD = "example.org";
  private static final String SERVER_ID = "spiffe://example.org/ns/trips/sa/trips";
  private static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  private static final Issued CA = Pki.ca(TD);
  private static final Issued OTHER_CA = Pki.ca(TD);
  private static final Issued SERVER = Pki.svid(CA, SERVER_ID);

  private final List<AuditEvent> events = new CopyOnWriteArrayList<>();

  private interface Body {
    void run(ProbeHarness h, int port) throws Exception;
  }

  private void withServer(X509MaterialSource serverMaterial, Body body) throws Exception {
    PeerCertificateTrustSource certs =
        PeerCertificateTrustSource.newBuilder()
            .addBundle(TD, List.of(CA.cert()))
            .allow(WORKER, Set.of("trip-finisher"), Set.of())
            .build();
    AtomicReference<Gatehouse> gatehouse = new AtomicReference<>();
    try (ProbeHarness h =
        ProbeHarness.start(
            x -> {
              gatehouse.set(
                  Gatehouse.newBuilder()
                      .addService(x.service())
                      .userAuthenticator(TestSupport.noUsers())
                      .addTrustSource(certs)
                      .auditListener(events::add)
                      .build());
              return gatehouse.get();
            })) {
      Server server =
          gatehouse
              .get()
              .addTo(
                  NettyServerBuilder.forAddress(
                      new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                      SpiffeTls.server(serverMaterial).build()))
              .build()
              .start();
      try {
        body.run(h, server.getPort());
      } finally {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static void withChannel(int port, ChannelCredentials creds, ChannelBody body)
      throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port, creds).build();
    try {
      body.run(ProbeGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS));
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private interface ChannelBody {
    void run(ProbeGrpc.ProbeBlockingStub stub) throws Exception;
  }

  private static FixedMaterial serverMaterial() {
    return FixedMaterial.of(SERVER, TD, CA.cert());
  }

  private void assertHandshakeRefused(ProbeHarness h, ProbeGrpc.ProbeBlockingStub stub) {
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> stub.worker(Req.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
    assertEquals(0, h.handlerRuns());
    assertTrue(events.isEmpty(), "the chain never ran: " + events);
  }

  @Test
  void svidClient_pinnedServerId_authorizedBySpiffeId() throws Exception {
    withServer(
        serverMaterial(),
        (h, port) ->
            withChannel(
                port,
                SpiffeTls.client(FixedMaterial.of(Pki.svid(CA, WORKER), TD, CA.cert()))
                    .expectServer(SERVER_ID)
                    .build(),
                stub -> {
                  stub.workerFinisher(Req.getDefaultInstance());
                  assertEquals(1, h.handlerRuns());
                  AuthContext ctx = h.seen().get(0).context().orElseThrow();
                  assertEquals(WORKER, ctx.subject());
                  assertEquals(PeerCertificateTrustSource.NAME, ctx.trustSource());
                  assertEquals(Set.of("trip-finisher"), ctx.roles());
                }));
  }

  @Test
  void svidClient_pinnedTrustDomain_accepted() throws Exception {
    withServer(
        serverMaterial(),
        (h, port) ->
            withChannel(
                port,
                SpiffeTls.client(FixedMaterial.of(Pki.svid(CA, WORKER), TD, CA.cert()))
                    .expectServerTrustDomain(TD)
                    .build(),
                stub -> {
                  stub.worker(Req.getDefaultInstance());
                  assertEquals(1, h.handlerRuns());
                }));
  }

  @Test
  void svidClientNotOnAllowList_passesTlsButGatehouseRefuses() throws Exception {
    withServer(
        serverMaterial(),
        (h, port) ->
            withChannel(
                port,
                SpiffeTls.client(
                        FixedMaterial.of(
                            Pki.svid(CA, "spiffe://example.org/ns/trips/sa/intruder"),
                            TD,
                            CA.cert()))
                    .build(),
                stub -> {
                  StatusRuntimeException e =
                      assertThrows(
                          StatusRuntimeException.class,
                          () -> stub.worker(Req.getDefaultInstance()));
                  assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
                  assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
                  assertEquals(0, h.handlerRuns());
                }));
  }

  @Test
  void clientWithCertificateFromUntrustedCa_refusedAtHandshake() throws Exception {
    withServer(
        serverMaterial(),
        (h, port) ->
            withChannel(
                port,
                SpiffeTls.client(FixedMaterial.of(Pki.svid(OTHER_CA, WORKER), TD, CA.cert()))
                    .build(),
                stub -> assertHandshakeRefused(h, stub)));
  }

  @Test
  void clientWithoutSpiffeUriSan_refusedAtHandshake() throws Exception {
    Issued dnsOnly = Pki.dnsOnly(CA, "worker.example.org");
    withServer(
        serverMaterial(),
        (h, port) -> {
          ManagedChannel channel =
              NettyChannelBuilder.forAddress("127.0.0.1", port)
                  .sslContext(
                      GrpcSslContexts.configure(SslContextBuilder.forClient())
                          .keyManager(dnsOnly.key(), dnsOnly.cert())
                          .trustManager(CA.cert())
                          .build())
                  .overrideAuthority("localhost")
                  .build();
          try {
            assertHandshakeRefused(
                h, ProbeGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS));
          } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
          }
        });
  }

  @Test
  void clientPinningAnotherServerId_refusesTheServer() throws Exception {
    withServer(
        serverMaterial(),
        (h, port) ->
            withChannel(
                port,
                SpiffeTls.client(FixedMaterial.of(Pki.svid(CA, WORKER), TD, CA.cert()))
                    .expectServer("spiffe://example.org/ns/trips/sa/billing")
                    .build(),
                stub -> assertHandshakeRefused(h, stub)));
  }

  @Test
  void serverWithCertificateFromUntrustedCa_refusedByClient() throws Exception {
    withServer(
        FixedMaterial.of(Pki.svid(OTHER_CA, SERVER_ID), TD, CA.cert()),
        (h, port) ->
            withChannel(
                port,
                SpiffeTls.client(FixedMaterial.of(Pki.svid(CA, WORKER), TD, CA.cert())).build(),
                stub -> assertHandshakeRefused(h, stub)));
  }

  @Test
  void pinningBothIdsAndTrustDomains_refusedAtBuild() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                SpiffeTls.client(FixedMaterial.of(Pki.svid(CA, WORKER), TD, CA.cert()))
                    .expectServer(SERVER_ID)
                    .expectServerTrustDomain(TD)
                    .build());
    assertTrue(e.getMessage().contains("expectServer"), e.getMessage());
  }

  @Test
  void expectServer_invalidSpiffeId_refusedNamingTheMethod() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SpiffeTls.client(FixedMaterial.of(Pki.svid(CA, WORKER), TD, CA.cert()))
                    .expectServer("spiffe://Example.org/x"));
    assertTrue(e.getMessage().startsWith("expectServer: invalid SPIFFE ID"), e.getMessage());
  }
}
