package dev.gatehouse.examples.quickstart;

import dev.gatehouse.client.ServiceTokenCallCredentials;
import dev.gatehouse.client.SigningKeySource;
import dev.gatehouse.examples.carsharing.v1.EndTripRequest;
import dev.gatehouse.examples.carsharing.v1.EndTripResponse;
import dev.gatehouse.examples.carsharing.v1.TripServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The smallest worker client: calls the internal {@code EndTrip} with its own short-lived service
 * token, signed with the key in a PEM file.
 *
 * <pre>
 * java -cp trip-server.jar dev.gatehouse.examples.quickstart.QuickstartClient PORT WORKER_KEY_PEM
 * </pre>
 */
public final class QuickstartClient {
  private QuickstartClient() {}

  /** Ends a trip on the server at 127.0.0.1:{@code port} as the worker. */
  public static EndTripResponse endTrip(int port, Path workerKeyPem) throws InterruptedException {
    ServiceTokenCallCredentials credentials =
        ServiceTokenCallCredentials.newBuilder()
            .identity("worker") // iss = sub
            .keySource(SigningKeySource.fromPemFile(workerKeyPem)) // re-read when it rotates
            .audience("trips") // the server's service_name
            // Plaintext only because this example talks over loopback, as to a local sidecar.
            .allowPlaintextToLocalSidecar()
            .build();
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      return TripServiceGrpc.newBlockingStub(channel)
          .withCallCredentials(credentials)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .endTrip(EndTripRequest.getDefaultInstance());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** Entry point: {@code PORT WORKER_KEY_PEM}. */
  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: QuickstartClient PORT WORKER_KEY_PEM");
      System.exit(2);
    }
    System.out.println("EndTrip: " + endTrip(Integer.parseInt(args[0]), Path.of(args[1])));
  }
}
