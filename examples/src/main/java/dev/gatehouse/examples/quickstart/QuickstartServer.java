package dev.gatehouse.examples.quickstart;

import dev.gatehouse.examples.server.ServerLimits;
import dev.gatehouse.examples.trips.TripServiceImpl;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.ServiceTokenIssuer;
import dev.gatehouse.trust.jwt.SignedTokenTrustSource;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * The smallest Gatehouse server: {@code TripService} with end users from one identity provider and
 * one trusted worker service, wired in code.
 *
 * <pre>
 * java -cp trip-server.jar dev.gatehouse.examples.quickstart.QuickstartServer PORT IDP_JWKS WORKER_JWKS
 * </pre>
 */
public final class QuickstartServer {
  private QuickstartServer() {}

  /** Starts the server on 127.0.0.1:{@code port} (0 = any free port). */
  public static Server start(int port, Path idpJwks, Path workerJwks) throws IOException {
    Gatehouse gatehouse =
        Gatehouse.newBuilder()
            .addService(TripServiceImpl.create())
            // Gated methods: end-user JWTs from one issuer, for our audience.
            .userAuthenticator(
                UserJwtAuthenticator.newBuilder()
                    .addIssuer(
                        "https://idp.example", JwksSource.file(idpJwks), List.of("trips-api"))
                    .build())
            // Internal methods: the worker's own signed tokens, checked against its keys only.
            .addTrustSource(
                SignedTokenTrustSource.newBuilder()
                    .serviceName("trips")
                    .addIssuer(
                        ServiceTokenIssuer.newBuilder("worker")
                            .keys(JwksSource.file(workerJwks))
                            .roles(List.of("trip-finisher"))
                            .build())
                    .build())
            .build();
    Server server =
        gatehouse
            .addTo(
                ServerLimits.apply(
                    NettyServerBuilder.forAddress(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), port))))
            .build()
            .start();
    gatehouse.verify(server); // fails, naming them, if any method is served around the chain
    return server;
  }

  /** Entry point: {@code PORT IDP_JWKS WORKER_JWKS}. */
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: QuickstartServer PORT IDP_JWKS WORKER_JWKS");
      System.exit(2);
    }
    Server server = start(Integer.parseInt(args[0]), Path.of(args[1]), Path.of(args[2]));
    System.out.println("listening on 127.0.0.1:" + server.getPort());
    server.awaitTermination();
  }
}
