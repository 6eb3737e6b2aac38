package dev.gatehouse.trust.spiffe.tls;

import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.mesh.MeshIdentityTrustSource;
import dev.gatehouse.trust.spiffe.PeerCertificateTrustSource;
import dev.gatehouse.trust.spiffe.SpiffeJwtTrustSource;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The server of {@link NetworkNamespaceHopTest}, run in its own network namespace: the Probe
 * service behind Gatehouse with peer_certificate (mTLS port, {@link SpiffeTls} credentials from
 * spiffe-helper files), spiffe_jwt and mesh_identity (plaintext port, XFCC trusted only from the
 * client namespace's address). Every response carries who Gatehouse saw: {@code x-seen-subject},
 * {@code x-seen-source}, {@code x-seen-peer}.
 *
 * <p>Arguments: work dir, own address, the trusted proxy's address. Writes {@code server.ready}
 * once both ports listen; runs until killed.
 */
public final class NetnsServerMain {
  public static final int MTLS_PORT = 8443;
  static final int PLAIN_PORT = 8080;
  public static final String TD = "example.org";
  public static final String SERVER_ID = "spiffe://example.org/ns/trips/sa/trips";
  public static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  static final String JWT_CALLER = "spiffe://example.org/ns/trips/sa/jwt-caller";
  static final String MESH_CALLER = "spiffe://example.org/ns/trips/sa/mesh-caller";
  public static final Metadata.Key<String> SUBJECT =
      Metadata.Key.of("x-seen-subject", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> SOURCE =
      Metadata.Key.of("x-seen-source", Metadata.ASCII_STRING_MARSHALLER);
  public static final Metadata.Key<String> PEER =
      Metadata.Key.of("x-seen-peer", Metadata.ASCII_STRING_MARSHALLER);

  private NetnsServerMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    InetAddress self = InetAddress.getByName(args[1]);
    String proxy = args[2];
    SvidFiles svid = SvidFiles.spiffeHelper(dir.resolve("server")).build();
    PeerCertificateTrustSource certs =
        PeerCertificateTrustSource.newBuilder()
            .addBundle(TD, dir.resolve("server").resolve(SvidFiles.HELPER_BUNDLE))
            .allow(WORKER, Set.of(), Set.of())
            .build();
    SpiffeJwtTrustSource jwts =
        SpiffeJwtTrustSource.newBuilder()
            .serviceAudience(SERVER_ID)
            .addBundle(TD, JwksSource.file(dir.resolve("jwt-bundle.json")))
            .allow(JWT_CALLER, Set.of(), Set.of())
            .build();
    MeshIdentityTrustSource mesh =
        MeshIdentityTrustSource.newBuilder()
            .trustedProxies(proxy + "/32")
            .allow(MESH_CALLER, List.of(), List.of())
            .build();
    AtomicReference<Gatehouse> gatehouse = new AtomicReference<>();
    ProbeHarness h =
        ProbeHarness.start(
            x -> {
              gatehouse.set(
                  Gatehouse.newBuilder()
                      .addService(ServerInterceptors.intercept(x.service(), new SeenHeaders()))
                      .userAuthenticator(TestSupport.noUsers())
                      .addTrustSource(certs)
                      .addTrustSource(jwts)
                      .addTrustSource(mesh)
                      .build());
              return gatehouse.get();
            });
    Server mtls =
        gatehouse
            .get()
            .addTo(
                NettyServerBuilder.forAddress(
                    new InetSocketAddress(self, MTLS_PORT), SpiffeTls.server(svid).build()))
            .build()
            .start();
    Server plain =
        gatehouse
            .get()
            .addTo(
                NettyServerBuilder.forAddress(
                    new InetSocketAddress(self, PLAIN_PORT), InsecureServerCredentials.create()))
            .build()
            .start();
    Files.writeString(dir.resolve("server.ready"), "ready\n");
    System.out.println(
        "[netns-server] listening on " + self + " ports " + MTLS_PORT + ", " + PLAIN_PORT);
    mtls.awaitTermination();
    plain.awaitTermination();
    h.close();
  }

  /** Adds what Gatehouse decided to the response headers (runs inside the chain). */
  public static final class SeenHeaders implements ServerInterceptor {
    @Override
    public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
        ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
      AuthContext ctx = AuthContext.current().orElse(null);
      Object peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
      return next.startCall(
          new SimpleForwardingServerCall<>(call) {
            @Override
            public void sendHeaders(Metadata out) {
              if (ctx != null) {
                out.put(SUBJECT, ctx.subject());
                out.put(SOURCE, ctx.trustSource());
              }
              out.put(PEER, String.valueOf(peer));
              super.sendHeaders(out);
            }
          },
          headers);
    }
  }
}
