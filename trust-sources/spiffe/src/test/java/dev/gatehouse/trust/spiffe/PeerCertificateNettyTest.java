package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.trust.spiffe.TestPki.Issued;
import dev.gatehouse.trust.spiffe.TestPki.Spec;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.netty.shaded.io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;

/**
 * peer_certificate end to end: a real Netty server on 127.0.0.1 terminating mTLS (client
 * authentication OPTIONAL; the TLS layer accepts any client certificate so that every X.509-SVID
 * rule is decided, and audited, by the trust source), Gatehouse in front of the Probe service's
 * internal methods. The TLS handshake still proves possession of the leaf's private key.
 */
class PeerCertificateNettyTest {
  private static final String A = "example.org";
  private static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  private static final String READER = "spiffe://example.org/ns/trips/sa/reader";
  private static final Issued CA_A = TestPki.rootCa(A);
  private static final Issued CA_B = TestPki.rootCa("other.org");
  private static final Issued SERVER =
      TestPki.leaf(
          CA_A,
          new Spec()
              .uri("spiffe://example.org/ns/trips/sa/trips")
              .ip("127.0.0.1")
              .eku(KeyPurposeId.id_kp_serverAuth));

  private final List<AuditEvent> events = new CopyOnWriteArrayList<>();

  private interface Body {
    void run(ProbeHarness h, ManagedChannel channel) throws Exception;
  }

  private void withServer(Clock clock, Issued client, Body body) throws Exception {
    withServer(clock, client, false, body);
  }

  /**
   * @param tlsValidatesBundle the server's TLS trust manager validates client chains against the
   *     bundle (REQUIRE) instead of accepting any certificate (OPTIONAL)
   */
  private void withServer(Clock clock, Issued client, boolean tlsValidatesBundle, Body body)
      throws Exception {
    PeerCertificateTrustSource source =
        PeerCertificateTrustSource.newBuilder()
            .addBundle(A, List.of(CA_A.cert()))
            .allow(WORKER, Set.of("trip-finisher"), Set.of("trips:write"))
            .allow(READER, Set.of(), Set.of())
            .clock(clock)
            .build();
    AtomicReference<Gatehouse> gatehouse = new AtomicReference<>();
    try (ProbeHarness h =
        ProbeHarness.start(
            x -> {
              gatehouse.set(
                  Gatehouse.newBuilder()
                      .addService(x.service())
                      .userAuthenticator(TestSupport.noUsers())
                      .addTrustSource(source)
                      .auditListener(events::add)
                      .build());
              return gatehouse.get();
            })) {
      SslContext serverTls =
          GrpcSslContexts.configure(
                  SslContextBuilder.forServer(SERVER.key(), SERVER.presented()), SslProvider.JDK)
              .clientAuth(tlsValidatesBundle ? ClientAuth.REQUIRE : ClientAuth.OPTIONAL)
              .trustManager(
                  tlsValidatesBundle
                      ? new BundleTrust(CA_A).factory()
                      : InsecureTrustManagerFactory.INSTANCE)
              .build();
      Server server =
          gatehouse
              .get()
              .addTo(
                  NettyServerBuilder.forAddress(
                          new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                      .sslContext(serverTls))
              .build()
              .start();
      SslContextBuilder clientTls =
          GrpcSslContexts.configure(SslContextBuilder.forClient(), SslProvider.JDK)
              .trustManager(CA_A.cert());
      if (client != null) {
        clientTls.keyManager(client.key(), client.presented());
      }
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", server.getPort())
              .sslContext(clientTls.build())
              .build();
      try {
        body.run(h, channel);
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static ProbeGrpc.ProbeBlockingStub stub(ManagedChannel channel) {
    return ProbeGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private void assertRefusedOnWorker(Clock clock, Issued client, Reason reason, String detail)
      throws Exception {
    withServer(
        clock,
        client,
        (h, channel) -> {
          StatusRuntimeException e =
              assertThrows(
                  StatusRuntimeException.class,
                  () -> stub(channel).worker(Req.getDefaultInstance()));
          assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
          assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
          assertEquals(0, h.handlerRuns());
          assertEquals(reason, events.get(0).reason(), events.toString());
          assertTrue(events.get(0).detail().contains(detail), events.get(0).detail());
        });
  }

  private void assertRefusedOnWorker(Issued client, String detail) throws Exception {
    assertRefusedOnWorker(Clock.systemUTC(), client, Reason.INVALID_CERTIFICATE, detail);
  }

  private static Issued leaf(Spec spec) {
    return TestPki.leaf(CA_A, spec);
  }

  @Test
  void workerFinisher_allowedSvidWithRole_acceptedAsService() throws Exception {
    withServer(
        Clock.systemUTC(),
        leaf(Spec.svid(WORKER)),
        (h, channel) -> {
          stub(channel).workerFinisher(Req.getDefaultInstance());
          assertEquals(1, h.handlerRuns());
          AuthContext ctx = h.seen().get(0).context().orElseThrow();
          assertEquals(WORKER, ctx.subject());
          assertEquals(PrincipalKind.SERVICE, ctx.kind());
          assertEquals(PeerCertificateTrustSource.NAME, ctx.trustSource());
          assertEquals(Set.of("trip-finisher"), ctx.roles());
          assertEquals(Set.of("trips:write"), ctx.scopes());
        });
  }

  @Test
  void workerFinisher_allowedSvidWithoutRole_permissionDenied() throws Exception {
    withServer(
        Clock.systemUTC(),
        leaf(Spec.svid(READER)),
        (h, channel) -> {
          StatusRuntimeException e =
              assertThrows(
                  StatusRuntimeException.class,
                  () -> stub(channel).workerFinisher(Req.getDefaultInstance()));
          assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
          assertEquals(AuthStatus.DENIED_TEXT, e.getStatus().getDescription());
          assertEquals(0, h.handlerRuns());
          // The same identity may call the internal method without requirements.
          stub(channel).worker(Req.getDefaultInstance());
          assertEquals(1, h.handlerRuns());
        });
  }

  @Test
  void worker_noClientCertificate_missingCredentials() throws Exception {
    withServer(
        Clock.systemUTC(),
        null,
        (h, channel) -> {
          StatusRuntimeException e =
              assertThrows(
                  StatusRuntimeException.class,
                  () -> stub(channel).worker(Req.getDefaultInstance()));
          assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
          assertEquals(AuthStatus.MISSING_TEXT, e.getStatus().getDescription());
          assertEquals(0, h.handlerRuns());
          assertEquals(Reason.MISSING_CREDENTIALS, events.get(0).reason());
        });
  }

  @Test
  void worker_zeroUriSans_invalidCredentials() throws Exception {
    assertRefusedOnWorker(leaf(new Spec().dns("worker.example.org")), "0 URI SANs");
  }

  @Test
  void worker_twoUriSans_invalidCredentials() throws Exception {
    assertRefusedOnWorker(leaf(Spec.svid(WORKER).uri(READER)), "2 URI SANs");
  }

  @Test
  void worker_leafIsCa_invalidCredentials() throws Exception {
    assertRefusedOnWorker(leaf(Spec.svid(WORKER).ca(true)), "is a CA");
  }

  @Test
  void worker_leafWithoutDigitalSignature_invalidCredentials() throws Exception {
    assertRefusedOnWorker(
        leaf(Spec.svid(WORKER).keyUsage(KeyUsage.keyAgreement, true)), "lacks digitalSignature");
  }

  @Test
  void worker_keyCertSignOnLeaf_invalidCredentials() throws Exception {
    assertRefusedOnWorker(
        leaf(Spec.svid(WORKER).keyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign, true)),
        "keyUsage has keyCertSign");
  }

  @Test
  void worker_nonCriticalKeyUsage_invalidCredentials() throws Exception {
    assertRefusedOnWorker(
        leaf(Spec.svid(WORKER).keyUsage(KeyUsage.digitalSignature, false)), "not critical");
  }

  @Test
  void worker_certificateFromAnotherTrustDomain_invalidCredentials() throws Exception {
    assertRefusedOnWorker(
        TestPki.leaf(CA_B, Spec.svid("spiffe://other.org/ns/trips/sa/worker")),
        "no bundle is configured for trust domain other.org");
  }

  @Test
  void worker_ourIdSignedByAnotherTrustDomainsCa_invalidCredentials() throws Exception {
    assertRefusedOnWorker(TestPki.leaf(CA_B, Spec.svid(WORKER)), "does not validate");
  }

  @Test
  void worker_expiredAtInjectedClock_invalidCredentials() throws Exception {
    Issued client = leaf(Spec.svid(WORKER));
    Instant after = client.cert().getNotAfter().toInstant().plusSeconds(1);
    assertRefusedOnWorker(
        Clock.fixed(after, ZoneOffset.UTC), client, Reason.INVALID_CERTIFICATE, "expired");
  }

  @Test
  void worker_notOnAllowList_invalidCredentials() throws Exception {
    assertRefusedOnWorker(
        Clock.systemUTC(),
        leaf(Spec.svid("spiffe://example.org/ns/trips/sa/intruder")),
        Reason.IDENTITY_NOT_ALLOWED,
        "not on the peer_certificate allow-list");
  }

  @Test
  void workerFinisher_tlsLayerAlsoValidatesBundle_accepted() throws Exception {
    withServer(
        Clock.systemUTC(),
        leaf(Spec.svid(WORKER)),
        true,
        (h, channel) -> {
          stub(channel).workerFinisher(Req.getDefaultInstance());
          assertEquals(1, h.handlerRuns());
          assertEquals(WORKER, h.seen().get(0).context().orElseThrow().subject());
        });
  }

  @Test
  void worker_tlsLayerValidatesBundleAndOtherDomainsCert_handshakeFailsBeforeChain()
      throws Exception {
    withServer(
        Clock.systemUTC(),
        TestPki.leaf(CA_B, Spec.svid(WORKER)),
        true,
        (h, channel) -> {
          StatusRuntimeException e =
              assertThrows(
                  StatusRuntimeException.class,
                  () -> stub(channel).worker(Req.getDefaultInstance()));
          assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
          assertEquals(0, h.handlerRuns());
          assertTrue(events.isEmpty(), "the chain never ran: " + events);
        });
  }

  /** A trust manager factory trusting one CA, with the JDK's PKIX checks for TLS clients. */
  private record BundleTrust(Issued ca) {
    javax.net.ssl.TrustManagerFactory factory() throws Exception {
      java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("ca", ca.cert());
      javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
      tmf.init(ks);
      return tmf;
    }
  }

  @Test
  void worker_auditEventNamesTheSourceAndSpiffeIdOnly() throws Exception {
    withServer(
        Clock.systemUTC(),
        leaf(Spec.svid(WORKER)),
        (h, channel) -> {
          stub(channel).worker(Req.getDefaultInstance());
          assertEquals(1, h.handlerRuns());
          AuditEvent event = events.get(0);
          assertEquals(Reason.OK, event.reason());
          assertTrue(event.toString().contains(WORKER), event.toString());
        });
  }
}
