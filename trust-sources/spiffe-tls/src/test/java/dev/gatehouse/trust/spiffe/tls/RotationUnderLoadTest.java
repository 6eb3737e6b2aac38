package dev.gatehouse.trust.spiffe.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.trust.spiffe.PeerCertificateTrustSource;
import dev.gatehouse.trust.spiffe.TrustDomain;
import dev.gatehouse.trust.spiffe.tls.Pki.Issued;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Server and client SVIDs rotate every ~1.5 s, and the CA rotates with an overlap period (the
 * bundle holds old and new CA while leaves move to the new CA, then the old CA is dropped), while 8
 * client threads call continuously over Netty on 127.0.0.1 and keep opening new channels: no call
 * fails, and the new material is what new handshakes present. Files are rewritten in place, the
 * certificate before the key, so the readers also meet half-written pairs.
 */
class RotationUnderLoadTest {
  private static final String TD = "example.org";
  private static final String SERVER_ID = "spiffe://example.org/ns/trips/sa/trips";
  private static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  private static final int THREADS = 8;
  private static final int CALLS_PER_CHANNEL = 25;
  private static final Duration STEP = Duration.ofMillis(1500);

  @TempDir Path tmp;

  private final Set<BigInteger> clientCertsSeenByServer = ConcurrentHashMap.newKeySet();
  private final Set<BigInteger> serverCertsSeenByClients = ConcurrentHashMap.newKeySet();

  @Test
  void svidAndCaRotation_underEightCallingThreads_noCallFails() throws Exception {
    Issued ca1 = Pki.ca(TD);
    Issued ca2 = Pki.ca(TD);
    Path serverDir = Files.createDirectory(tmp.resolve("server"));
    Path clientDir = Files.createDirectory(tmp.resolve("client"));
    Pki.writeHelperLayout(serverDir, Pki.svid(ca1, SERVER_ID), List.of(ca1.cert()));
    Pki.writeHelperLayout(clientDir, Pki.svid(ca1, WORKER), List.of(ca1.cert()));

    PeerCertificateTrustSource certs =
        PeerCertificateTrustSource.newBuilder()
            .addBundle(TD, List.of(ca1.cert(), ca2.cert()))
            .allow(WORKER, Set.of(), Set.of())
            .build();
    AtomicReference<Gatehouse> gatehouse = new AtomicReference<>();
    try (SvidFiles serverFiles =
            SvidFiles.spiffeHelper(serverDir).pollInterval(Duration.ofMillis(50)).build();
        SvidFiles clientFiles =
            SvidFiles.spiffeHelper(clientDir).pollInterval(Duration.ofMillis(50)).build();
        ProbeHarness h =
            ProbeHarness.start(
                x -> {
                  gatehouse.set(
                      Gatehouse.newBuilder()
                          .addService(x.service())
                          .userAuthenticator(TestSupport.noUsers())
                          .addTrustSource(certs)
                          .build());
                  return gatehouse.get();
                })) {
      Server server =
          gatehouse
              .get()
              .addTo(
                  NettyServerBuilder.forAddress(
                          new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                          SpiffeTls.server(serverFiles).build())
                      .intercept(new RecordClientCert()))
              .build()
              .start();
      ChannelCredentials creds = SpiffeTls.client(clientFiles).expectServer(SERVER_ID).build();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger calls = new AtomicInteger();
      AtomicInteger channels = new AtomicInteger();
      List<String> failures = new CopyOnWriteArrayList<>();
      List<Thread> callers = new ArrayList<>();
      for (int i = 0; i < THREADS; i++) {
        Thread t =
            new Thread(
                () -> callUntilStopped(server.getPort(), creds, stop, calls, channels, failures),
                "caller-" + i);
        t.start();
        callers.add(t);
      }
      try {
        // Leaves rotate under CA 1.
        for (int i = 0; i < 2; i++) {
          pace();
          rotateLeaves(serverFiles, serverDir, clientFiles, clientDir, ca1, failures);
        }
        // Overlap: both bundles hold CA 1 and CA 2 before any leaf is issued by CA 2.
        pace();
        rotateBundles(serverFiles, serverDir, clientFiles, clientDir, ca1.cert(), ca2.cert());
        for (int i = 0; i < 3; i++) {
          pace();
          rotateLeaves(serverFiles, serverDir, clientFiles, clientDir, ca2, failures);
        }
        // CA 1 retires once no leaf depends on it.
        pace();
        rotateBundles(serverFiles, serverDir, clientFiles, clientDir, ca2.cert());
        for (int i = 0; i < 2; i++) {
          pace();
          rotateLeaves(serverFiles, serverDir, clientFiles, clientDir, ca2, failures);
        }
        pace();
      } finally {
        stop.set(true);
        for (Thread t : callers) {
          t.join(TimeUnit.SECONDS.toMillis(30));
        }
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }

      assertEquals(List.of(), failures);
      assertTrue(calls.get() >= 200, "calls: " + calls.get());
      assertEquals(calls.get(), h.handlerRuns());
      // Many channels, hence handshakes, opened during the rotation...
      assertTrue(channels.get() >= 3 * THREADS, "channels: " + channels.get());
      // ...and they met the rotated SVIDs of both sides (8 issued each, incl. the first).
      assertTrue(clientCertsSeenByServer.size() >= 5, clientCertsSeenByServer::toString);
      assertTrue(serverCertsSeenByClients.size() >= 5, serverCertsSeenByClients::toString);
      assertEquals(List.of(ca2.cert()), serverFiles.current().bundles().get(TrustDomain.parse(TD)));
    }
  }

  private static void pace() throws InterruptedException {
    // Pacing of the rotation schedule only; every effect is awaited as a condition below.
    Thread.sleep(STEP.toMillis());
  }

  private void rotateLeaves(
      SvidFiles serverFiles,
      Path serverDir,
      SvidFiles clientFiles,
      Path clientDir,
      Issued ca,
      List<String> failures)
      throws Exception {
    Issued server = Pki.svid(ca, SERVER_ID);
    Issued client = Pki.svid(ca, WORKER);
    writeLeafInPlace(serverDir, server);
    writeLeafInPlace(clientDir, client);
    await(() -> serverFiles.current().chain().get(0).equals(server.cert()), "server SVID applied");
    await(() -> clientFiles.current().chain().get(0).equals(client.cert()), "client SVID applied");
    // A new handshake presents both new SVIDs before the next rotation, however slowly a loaded
    // machine schedules the callers (a failed call ends the wait: the test then reports it).
    BigInteger serverSerial = server.cert().getSerialNumber();
    BigInteger clientSerial = client.cert().getSerialNumber();
    await(
        () ->
            (serverCertsSeenByClients.contains(serverSerial)
                    && clientCertsSeenByServer.contains(clientSerial))
                || !failures.isEmpty(),
        "a handshake with the new SVIDs");
  }

  private static void writeLeafInPlace(Path dir, Issued svid) throws Exception {
    Pki.write(dir.resolve(SvidFiles.HELPER_CERTIFICATE), Pki.pem(svid.chain()));
    Pki.write(dir.resolve(SvidFiles.HELPER_KEY), Pki.pkcs8(svid.key()));
  }

  private static void rotateBundles(
      SvidFiles serverFiles,
      Path serverDir,
      SvidFiles clientFiles,
      Path clientDir,
      X509Certificate... cas)
      throws Exception {
    Pki.write(dir(serverDir), Pki.pem(List.of(cas)));
    Pki.write(dir(clientDir), Pki.pem(List.of(cas)));
    List<X509Certificate> expected = List.of(cas);
    TrustDomain td = TrustDomain.parse(TD);
    await(() -> serverFiles.current().bundles().get(td).equals(expected), "server bundle applied");
    await(() -> clientFiles.current().bundles().get(td).equals(expected), "client bundle applied");
  }

  private static Path dir(Path dir) {
    return dir.resolve(SvidFiles.HELPER_BUNDLE);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 20 s: " + what);
      }
      Thread.sleep(10);
    }
  }

  private void callUntilStopped(
      int port,
      ChannelCredentials creds,
      AtomicBoolean stop,
      AtomicInteger calls,
      AtomicInteger channels,
      List<String> failures) {
    while (!stop.get()) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", port, creds)
              .intercept(new RecordServerCert())
              .build();
      channels.incrementAndGet();
      try {
        ProbeGrpc.ProbeBlockingStub stub = ProbeGrpc.newBlockingStub(channel);
        for (int i = 0; i < CALLS_PER_CHANNEL && !stop.get(); i++) {
          try {
            stub.withDeadlineAfter(10, TimeUnit.SECONDS).worker(Req.getDefaultInstance());
            calls.incrementAndGet();
          } catch (StatusRuntimeException e) {
            failures.add(e.getStatus().toString());
          }
        }
      } finally {
        channel.shutdown();
      }
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static BigInteger peerSerial(SSLSession session) {
    if (session == null) {
      return null;
    }
    try {
      return ((X509Certificate) session.getPeerCertificates()[0]).getSerialNumber();
    } catch (SSLPeerUnverifiedException e) {
      return null;
    }
  }

  private final class RecordClientCert implements ServerInterceptor {
    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      BigInteger serial = peerSerial(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
      if (serial != null) {
        clientCertsSeenByServer.add(serial);
      }
      return next.startCall(call, headers);
    }
  }

  private final class RecordServerCert implements ClientInterceptor {
    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
        MethodDescriptor<ReqT, RespT> method, CallOptions options, Channel next) {
      return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<RespT> listener, Metadata headers) {
          ClientCall<ReqT, RespT> call = this;
          super.start(
              new SimpleForwardingClientCallListener<>(listener) {
                @Override
                public void onHeaders(Metadata h) {
                  BigInteger serial =
                      peerSerial(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
                  if (serial != null) {
                    serverCertsSeenByClients.add(serial);
                  }
                  super.onHeaders(h);
                }
              },
              headers);
        }
      };
    }
  }
}
