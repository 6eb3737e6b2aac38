package dev.gatehouse.trust.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * mesh_identity over a real loopback TCP transport: the peer address is the socket's, and the
 * transport's metadata limit applies before the chain.
 */
class MeshIdentityNettyTest {
  private static final String XFCC = "x-forwarded-client-cert";
  private static final String WORKER = "spiffe://cluster.local/ns/trips/sa/worker";

  private final List<AuditEvent> events = new CopyOnWriteArrayList<>();

  private interface Body {
    void run(ProbeHarness h, ManagedChannel channel) throws Exception;
  }

  private void withServer(String trusted, Integer maxMetadata, int maxHeader, Body body)
      throws Exception {
    AtomicReference<Gatehouse> gatehouse = new AtomicReference<>();
    MeshIdentityTrustSource mesh =
        MeshIdentityTrustSource.newBuilder()
            .trustedProxies(trusted)
            .maxHeaderLength(maxHeader)
            .allow(WORKER, Set.of("trip-finisher"), Set.of())
            .build();
    // The harness provides the recording service; the same protected services are also served
    // over Netty on 127.0.0.1.
    try (ProbeHarness h =
        ProbeHarness.start(
            x -> {
              gatehouse.set(
                  Gatehouse.newBuilder()
                      .addService(x.service())
                      .userAuthenticator(TestSupport.noUsers())
                      .addTrustSource(mesh)
                      .auditListener(events::add)
                      .build());
              return gatehouse.get();
            })) {
      NettyServerBuilder sb =
          NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      if (maxMetadata != null) {
        sb.maxInboundMetadataSize(maxMetadata);
      }
      Server server = gatehouse.get().addTo(sb).build().start();
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
      try {
        body.run(h, channel);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static ProbeGrpc.ProbeBlockingStub stub(ManagedChannel channel, String xfcc) {
    Metadata md = new Metadata();
    md.put(IncomingCall.key(XFCC), xfcc);
    return ProbeGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static String xfccOfLength(int length) {
    String prefix = "URI=" + WORKER + ";Subject=\"CN=";
    return prefix + "a".repeat(length - prefix.length() - 1) + "\"";
  }

  @Test
  void worker_loopbackPeerTrusted_accepted() throws Exception {
    withServer(
        "127.0.0.1/32",
        null,
        MeshIdentityTrustSource.DEFAULT_MAX_HEADER_LENGTH,
        (h, channel) -> {
          stub(channel, "URI=" + WORKER).workerFinisher(Req.getDefaultInstance());
          assertEquals(1, h.handlerRuns());
          assertEquals(WORKER, h.seen().get(0).context().orElseThrow().subject());
        });
  }

  @Test
  void worker_loopbackPeerNotInTrustedNetwork_invalidCredentials() throws Exception {
    withServer(
        "10.0.0.0/8",
        null,
        MeshIdentityTrustSource.DEFAULT_MAX_HEADER_LENGTH,
        (h, channel) -> {
          StatusRuntimeException e =
              assertThrows(
                  StatusRuntimeException.class,
                  () -> stub(channel, "URI=" + WORKER).worker(Req.getDefaultInstance()));
          assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
          assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
          assertEquals(0, h.handlerRuns());
          assertEquals(Reason.UNTRUSTED_PROXY, events.get(0).reason());
        });
  }

  @Test
  void worker_nineKiBXfccWithDefaultMetadataLimit_refusedByTransportBeforeChain() throws Exception {
    withServer(
        "127.0.0.1/32",
        null,
        MeshIdentityTrustSource.DEFAULT_MAX_HEADER_LENGTH,
        (h, channel) -> {
          StatusRuntimeException e =
              assertThrows(
                  StatusRuntimeException.class,
                  () -> stub(channel, xfccOfLength(9 * 1024)).worker(Req.getDefaultInstance()));
          assertNotEquals(Status.Code.OK, e.getStatus().getCode());
          assertEquals(0, h.handlerRuns());
          assertTrue(events.isEmpty(), "the chain never ran: " + events);
        });
  }

  @Test
  void worker_nineKiBXfccWithRaisedLimit_cappedByTrustSource() throws Exception {
    withServer(
        "127.0.0.1/32",
        64 * 1024,
        8 * 1024,
        (h, channel) -> {
          StatusRuntimeException e =
              assertThrows(
                  StatusRuntimeException.class,
                  () -> stub(channel, xfccOfLength(9 * 1024)).worker(Req.getDefaultInstance()));
          assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
          assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
          assertEquals(0, h.handlerRuns());
          assertEquals(Reason.MALFORMED_CREDENTIALS, events.get(0).reason());
          // Under the cap, the same shape is accepted.
          stub(channel, xfccOfLength(7 * 1024)).worker(Req.getDefaultInstance());
          assertEquals(1, h.handlerRuns());
        });
  }
}
