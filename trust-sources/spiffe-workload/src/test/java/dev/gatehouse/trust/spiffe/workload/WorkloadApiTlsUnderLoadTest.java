package dev.gatehouse.trust.spiffe.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.trust.spiffe.PeerCertificateTrustSource;
import dev.gatehouse.trust.spiffe.TrustDomain;
import dev.gatehouse.trust.spiffe.tls.Pki;
import dev.gatehouse.trust.spiffe.tls.Pki.Issued;
import dev.gatehouse.trust.spiffe.tls.SpiffeTls;
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
import io.grpc.Status;
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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Workloads take their X.509-SVIDs and bundles from fake agents (one Unix socket each, as a real
 * agent attests each workload separately) and talk mTLS over Netty on 127.0.0.1 with {@link
 * SpiffeTls} credentials on {@link WorkloadX509Material}. The agents rotate every SVID every ~1.5 s
 * and once the own trust domain's CA (with an overlap), while 8 threads call continuously and keep
 * opening channels. The server's {@code peer_certificate} reads the server agent's bundles (own and
 * federated trust domain) and allows one ID of each trust domain: those calls all succeed and run
 * the handler; a workload of either trust domain that is not on the allow-list is refused on every
 * call, the handler never running.
 */
class WorkloadApiTlsUnderLoadTest {
  private static final String A = "example.org";
  private static final String B = "partner.test";
  private static final String SERVER_ID = "spiffe://example.org/ns/trips/sa/trips";
  private static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  private static final String STRANGER = "spiffe://example.org/ns/trips/sa/stranger";
  private static final String PARTNER = "spiffe://partner.test/billing";
  private static final String PARTNER_OTHER = "spiffe://partner.test/other";
  private static final Set<String> ALLOWED = Set.of(WORKER, PARTNER);
  private static final int THREADS = 8;
  private static final int CALLS_PER_CHANNEL = 25;
  private static final Duration STEP = Duration.ofMillis(1500);

  private final Issued caA1 = Pki.ca(A);
  private final Issued caA2 = Pki.ca(A);
  private final Issued caB = Pki.ca(B);
  private final Set<BigInteger> clientCertsSeenByServer = ConcurrentHashMap.newKeySet();
  private final Set<BigInteger> serverCertsSeenByClients = ConcurrentHashMap.newKeySet();
  private final Map<String, AgentWorkload> workloads = new LinkedHashMap<>();
  private Path dir;
  private volatile Issued signerA;
  private volatile List<X509Certificate> bundleA;

  @BeforeEach
  void startAgents() throws Exception {
    // A short path: Unix socket paths are limited to about 100 bytes.
    dir = Files.createTempDirectory(Path.of("/tmp"), "gh-wm");
    signerA = caA1;
    bundleA = List.of(caA1.cert());
    int i = 0;
    for (String id : List.of(SERVER_ID, WORKER, STRANGER, PARTNER, PARTNER_OTHER)) {
      boolean inA = id.startsWith("spiffe://" + A + "/");
      workloads.put(
          id,
          AgentWorkload.start(
              dir.resolve("agent-" + i++ + ".sock"),
              id,
              inA ? signerA : caB,
              inA ? bundleA : List.of(caB.cert()),
              inA ? Map.of(B, List.of(caB.cert())) : Map.of(A, bundleA)));
    }
  }

  @AfterEach
  void stopAgents() throws Exception {
    for (AgentWorkload w : workloads.values()) {
      w.close();
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Test
  void agentRotatesSvidsAndCa_underEightCallingThreads_allowedIdsServedOthersRefused()
      throws Exception {
    AgentWorkload serverWorkload = workloads.get(SERVER_ID);
    PeerCertificateTrustSource certs =
        PeerCertificateTrustSource.newBuilder()
            .addBundle(A, serverWorkload.feed.bundles())
            .addBundle(B, serverWorkload.feed.bundles())
            .allow(WORKER, Set.of(), Set.of())
            .allow(PARTNER, Set.of(), Set.of())
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
                      .build());
              return gatehouse.get();
            })) {
      Server server =
          gatehouse
              .get()
              .addTo(
                  NettyServerBuilder.forAddress(
                          new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                          SpiffeTls.server(serverWorkload.material()).build())
                      .intercept(new RecordClientCert()))
              .build()
              .start();
      Map<String, ChannelCredentials> creds = new LinkedHashMap<>();
      for (String id : List.of(WORKER, STRANGER, PARTNER, PARTNER_OTHER)) {
        creds.put(
            id, SpiffeTls.client(workloads.get(id).material()).expectServer(SERVER_ID).build());
      }
      List<String> identityOfThread =
          List.of(WORKER, WORKER, WORKER, PARTNER, PARTNER, STRANGER, PARTNER_OTHER, WORKER);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger served = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      AtomicIntegerArray channelsOpened = new AtomicIntegerArray(THREADS);
      List<String> failures = new CopyOnWriteArrayList<>();
      List<Thread> callers = new ArrayList<>();
      for (int i = 0; i < THREADS; i++) {
        int n = i;
        String id = identityOfThread.get(i);
        Thread t =
            new Thread(
                () ->
                    callUntilStopped(
                        server.getPort(),
                        creds.get(id),
                        ALLOWED.contains(id),
                        stop,
                        () -> channelsOpened.incrementAndGet(n),
                        ALLOWED.contains(id) ? served : refused,
                        failures),
                "caller-" + i + "-" + id);
        t.start();
        callers.add(t);
      }
      try {
        // SVIDs rotate under CA A1.
        for (int i = 0; i < 2; i++) {
          pace();
          issueAll(failures);
        }
        // Overlap: every workload trusts A1 and A2 before any leaf is issued by A2.
        pace();
        bundleA = List.of(caA1.cert(), caA2.cert());
        issueAll(failures);
        signerA = caA2;
        for (int i = 0; i < 3; i++) {
          pace();
          issueAll(failures);
        }
        // A1 retires once no connection authenticated with an A1 leaf is left: every caller has
        // opened a new channel since all leaves come from A2.
        int[] before = new int[THREADS];
        for (int i = 0; i < THREADS; i++) {
          before[i] = channelsOpened.get(i);
        }
        for (int i = 0; i < THREADS; i++) {
          int n = i;
          await(() -> channelsOpened.get(n) > before[n], "caller " + n + " on a new channel");
        }
        pace();
        bundleA = List.of(caA2.cert());
        issueAll(failures);
        for (int i = 0; i < 2; i++) {
          pace();
          issueAll(failures);
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
      assertTrue(served.get() >= 100, "served: " + served.get());
      assertTrue(refused.get() >= 20, "refused: " + refused.get());
      // The handler ran for exactly the allowed calls, for the allowed IDs of both trust domains.
      assertEquals(served.get(), h.handlerRuns());
      Set<String> subjects =
          h.seen().stream()
              .map(ProbeHarness.Seen::context)
              .map(c -> c.map(AuthContext::subject).orElse("(none)"))
              .collect(Collectors.toSet());
      assertEquals(ALLOWED, subjects);
      int channels = 0;
      for (int i = 0; i < THREADS; i++) {
        channels += channelsOpened.get(i);
      }
      assertTrue(channels >= 3 * THREADS, "channels: " + channels);
      // New handshakes met the rotated SVIDs of both sides.
      assertTrue(clientCertsSeenByServer.size() >= 10, clientCertsSeenByServer::toString);
      assertTrue(serverCertsSeenByClients.size() >= 5, serverCertsSeenByClients::toString);
      Map<TrustDomain, List<X509Certificate>> last = serverWorkload.material().current().bundles();
      assertEquals(List.of(caA2.cert()), last.get(TrustDomain.parse(A)));
      assertEquals(List.of(caB.cert()), last.get(TrustDomain.parse(B)));
    }
  }

  /**
   * Every agent issues its workload a new SVID with the current bundles; awaits them applied, then
   * a handshake presenting the server's and the worker's new SVIDs (a failed call ends the wait:
   * the test then reports it), however slowly a loaded machine schedules the callers.
   */
  private void issueAll(List<String> failures) throws Exception {
    Map<String, BigInteger> serials = new LinkedHashMap<>();
    for (AgentWorkload w : workloads.values()) {
      boolean inA = w.id.startsWith("spiffe://" + A + "/");
      X509Certificate leaf =
          w.issue(
              inA ? signerA : caB,
              inA ? bundleA : List.of(caB.cert()),
              inA ? Map.of(B, List.of(caB.cert())) : Map.of(A, bundleA));
      await(() -> w.material().current().chain().get(0).equals(leaf), w.id + " SVID applied");
      serials.put(w.id, leaf.getSerialNumber());
    }
    await(
        () ->
            (serverCertsSeenByClients.contains(serials.get(SERVER_ID))
                    && clientCertsSeenByServer.contains(serials.get(WORKER)))
                || !failures.isEmpty(),
        "a handshake with the new SVIDs");
  }

  private static void pace() throws InterruptedException {
    // Pacing of the rotation schedule only; every effect is awaited as a condition.
    Thread.sleep(STEP.toMillis());
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
      boolean allowed,
      AtomicBoolean stop,
      Runnable channelOpened,
      AtomicInteger outcomes,
      List<String> failures) {
    while (!stop.get()) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", port, creds)
              .intercept(new RecordServerCert())
              .build();
      channelOpened.run();
      try {
        ProbeGrpc.ProbeBlockingStub stub = ProbeGrpc.newBlockingStub(channel);
        for (int i = 0; i < CALLS_PER_CHANNEL && !stop.get(); i++) {
          Optional<Status> status;
          try {
            stub.withDeadlineAfter(10, TimeUnit.SECONDS).worker(Req.getDefaultInstance());
            status = Optional.empty();
          } catch (StatusRuntimeException e) {
            status = Optional.of(e.getStatus());
          }
          boolean expected =
              allowed
                  ? status.isEmpty()
                  : status.isPresent()
                      && status.get().getCode() == Status.Code.UNAUTHENTICATED
                      && AuthStatus.INVALID_TEXT.equals(status.get().getDescription());
          if (expected) {
            outcomes.incrementAndGet();
          } else {
            failures.add(
                Thread.currentThread().getName()
                    + ": "
                    + status.map(Status::toString).orElse("OK"));
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
