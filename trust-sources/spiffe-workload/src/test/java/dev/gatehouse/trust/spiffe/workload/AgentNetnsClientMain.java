package dev.gatehouse.trust.spiffe.workload;

import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.MTLS_PORT;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.PEER;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.SERVER_ID;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.SOURCE;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.SUBJECT;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.WORKER;

import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.trust.spiffe.PeerCertificateTrustSource;
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
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The client of {@link WorkloadApiNetnsHopTest}, run in the other network namespace, with SVIDs
 * from the fake agents on {@code worker.sock} and {@code stranger.sock} in the shared work dir.
 * Until {@code stop} appears in the work dir (the test rotates every SVID meanwhile) it calls over
 * mTLS across the hop as the worker, opening a new channel every 10 calls: every call must succeed
 * and be seen by the server's {@code peer_certificate} as the worker from this namespace's address.
 * Then the stranger (valid SVID, not allowed) must be refused. Each server certificate a handshake
 * meets for the first time is recorded as a file {@code met-<serial in hex>} in the work dir. Exits
 * 0 printing {@code OK} and how many distinct server certificates the handshakes met, or 1 with the
 * first mismatch.
 *
 * <p>Arguments: work dir, server address, own address.
 */
public final class AgentNetnsClientMain {
  private static final Set<BigInteger> serverCerts = ConcurrentHashMap.newKeySet();
  private static volatile Path workDir;

  private AgentNetnsClientMain() {}

  public static void main(String[] args) {
    try {
      run(Path.of(args[0]), args[1], args[2]);
      System.exit(0);
    } catch (Exception | AssertionError e) {
      System.err.println("[agent-netns-client] MISMATCH: " + e);
      System.exit(1);
    }
  }

  private static void run(Path dir, String server, String self) throws Exception {
    workDir = dir;
    WorkloadApiFeed worker = WorkloadApiFeed.connect("unix:" + dir.resolve("worker.sock"));
    WorkloadApiFeed stranger = WorkloadApiFeed.connect("unix:" + dir.resolve("stranger.sock"));
    ChannelCredentials workerCreds =
        SpiffeTls.client(WorkloadX509Material.of(worker, Duration.ofSeconds(30)))
            .expectServer(SERVER_ID)
            .build();
    ChannelCredentials strangerCreds =
        SpiffeTls.client(WorkloadX509Material.of(stranger, Duration.ofSeconds(30)))
            .expectServer(SERVER_ID)
            .build();
    Files.writeString(dir.resolve("client.ready"), "ready\n");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    int calls = 0;
    int channels = 0;
    while (!Files.exists(dir.resolve("stop"))) {
      check(System.nanoTime() < deadline, "no stop file within 120 s");
      ManagedChannel channel =
          NettyChannelBuilder.forAddress(server, MTLS_PORT, workerCreds)
              .intercept(new RecordServerCert())
              .build();
      channels++;
      try {
        for (int i = 0; i < 10; i++) {
          AtomicReference<Metadata> headers = new AtomicReference<>();
          AtomicReference<Metadata> trailers = new AtomicReference<>();
          ProbeGrpc.newBlockingStub(channel)
              .withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, trailers))
              .withDeadlineAfter(20, TimeUnit.SECONDS)
              .worker(Req.getDefaultInstance());
          Metadata seen = headers.get();
          check(WORKER.equals(seen.get(SUBJECT)), "subject: " + seen.get(SUBJECT));
          check(
              PeerCertificateTrustSource.NAME.equals(seen.get(SOURCE)),
              "source: " + seen.get(SOURCE));
          String peer = String.valueOf(seen.get(PEER));
          check(peer.startsWith("/" + self + ":"), "peer address: " + peer);
          calls++;
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
    System.out.println(
        "[agent-netns-client] peer_certificate: "
            + WORKER
            + " from /"
            + self
            + ", calls="
            + calls
            + ", channels="
            + channels);

    ManagedChannel channel =
        NettyChannelBuilder.forAddress(server, MTLS_PORT, strangerCreds).build();
    try {
      ProbeGrpc.newBlockingStub(channel)
          .withDeadlineAfter(20, TimeUnit.SECONDS)
          .worker(Req.getDefaultInstance());
      throw new AssertionError("the stranger's call succeeded");
    } catch (StatusRuntimeException e) {
      check(
          e.getStatus().getCode() == Status.Code.UNAUTHENTICATED
              && AuthStatus.INVALID_TEXT.equals(e.getStatus().getDescription()),
          "stranger: " + e.getStatus());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    System.out.println("[agent-netns-client] server certificates met: " + serverCerts.size());
    System.out.println("[agent-netns-client] OK");
    worker.close();
    stranger.close();
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError(what);
    }
  }

  /** Records the serial of the server certificate each call's connection was set up with. */
  private static final class RecordServerCert implements ClientInterceptor {
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
                  SSLSession s = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                  try {
                    if (s != null) {
                      BigInteger serial =
                          ((X509Certificate) s.getPeerCertificates()[0]).getSerialNumber();
                      if (serverCerts.add(serial)) {
                        // Tells the test, which waits for each rotated SVID to be met.
                        Files.writeString(workDir.resolve("met-" + serial.toString(16)), "met\n");
                      }
                    }
                  } catch (SSLPeerUnverifiedException e) {
                    // not recorded
                  } catch (java.io.IOException e) {
                    System.err.println(
                        "[agent-netns-client] cannot record a met certificate: " + e);
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
