package dev.gatehouse.examples;

import com.google.common.net.InetAddresses;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.examples.demo.DemoSaga;
import dev.gatehouse.examples.server.ServerLimits;
import dev.gatehouse.examples.trips.TripServiceImpl;
import dev.gatehouse.policy.PolicyException;
import dev.gatehouse.trust.insecure.InsecureSharedSecretSection;
import dev.gatehouse.trust.jwt.SignedTokenSection;
import dev.gatehouse.trust.jwt.UserJwtSection;
import dev.gatehouse.trust.mesh.MeshIdentitySection;
import dev.gatehouse.trust.spiffe.PeerCertificateSection;
import dev.gatehouse.trust.spiffe.SpiffeJwtSection;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * The car-sharing trip server.
 *
 * <ul>
 *   <li>{@code java -jar trip-server.jar} plays the embedded demo and exits 0 only if every
 *       decision matched.
 *   <li>{@code java -jar trip-server.jar --config FILE --port N} serves {@code TripService} on
 *       127.0.0.1:N (plaintext, as behind a sidecar; {@code --bind} changes the address) with the
 *       Gatehouse configuration file; a bad file prints one line on stderr and exits 2 before the
 *       port is ever bound.
 * </ul>
 */
public final class TripServer {
  /** Exit code for usage and configuration errors. */
  public static final int EXIT_CONFIG = 2;

  private static final String USAGE =
      "usage: trip-server [--config FILE --port N [--bind ADDRESS]]   (no arguments: the demo;"
          + " ADDRESS defaults to 127.0.0.1, use 0.0.0.0 in a pod behind a sidecar)";

  private TripServer() {}

  /** Entry point. */
  public static void main(String[] args) {
    int code;
    try {
      code = run(args, System.out, System.err);
    } catch (Exception | Error e) {
      System.err.println("trip-server: failed: " + e);
      code = 1;
    }
    System.exit(code);
  }

  /** Runs with the given arguments and returns the exit code (serving blocks until shutdown). */
  public static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
    if (args.length == 0) {
      return DemoSaga.run(out) ? 0 : 1;
    }
    Path config = null;
    Integer port = null;
    String bind = "127.0.0.1";
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if ((a.equals("--config") || a.equals("--port") || a.equals("--bind"))
          && i + 1 < args.length) {
        String v = args[++i];
        if (a.equals("--config")) {
          config = Path.of(v);
        } else if (a.equals("--bind")) {
          bind = v;
        } else {
          try {
            port = Integer.parseInt(v);
          } catch (NumberFormatException e) {
            port = -1;
          }
        }
      } else {
        err.println(USAGE);
        return EXIT_CONFIG;
      }
    }
    if (config == null || port == null || port < 0 || port > 65535 || bind.isBlank()) {
      err.println(USAGE);
      return EXIT_CONFIG;
    }
    ConfiguredGatehouse gatehouse;
    try {
      gatehouse =
          ConfiguredGatehouse.newBuilder(config)
              // Every section of the documented format: the trip server takes any config file.
              .addSection(UserJwtSection.provider())
              .addSection(SignedTokenSection.provider())
              .addSection(PeerCertificateSection.provider())
              .addSection(SpiffeJwtSection.provider())
              .addSection(MeshIdentitySection.provider())
              .addSection(InsecureSharedSecretSection.provider())
              .addService(TripServiceImpl.create())
              .build();
    } catch (ConfigException e) {
      err.println("gatehouse: invalid config " + config + ": " + e.getMessage());
      return EXIT_CONFIG;
    } catch (PolicyException e) {
      err.println("gatehouse: refusing to start: " + String.join("; ", e.problems()));
      return EXIT_CONFIG;
    }
    Server server;
    try {
      server =
          gatehouse
              .addTo(
                  ServerLimits.apply(
                      NettyServerBuilder.forAddress(new InetSocketAddress(bind, port))))
              .build()
              .start();
    } catch (IOException e) {
      gatehouse.close();
      err.println("trip-server: cannot listen on " + bind + ":" + port + ": " + e.getMessage());
      return 1;
    }
    try {
      // Nothing may be served around the chain: every served method is the protected one.
      gatehouse.verify(server);
    } catch (PolicyException e) {
      server.shutdownNow();
      gatehouse.close();
      err.println("gatehouse: refusing to serve: " + String.join("; ", e.problems()));
      return EXIT_CONFIG;
    }
    InetSocketAddress listening = (InetSocketAddress) server.getListenSockets().get(0);
    out.println(
        "listening on "
            + InetAddresses.toUriString(listening.getAddress())
            + ":"
            + listening.getPort());
    out.flush();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.shutdown();
                  gatehouse.close();
                }));
    server.awaitTermination();
    return 0;
  }
}
