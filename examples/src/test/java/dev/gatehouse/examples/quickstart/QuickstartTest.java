package dev.gatehouse.examples.quickstart;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.gatehouse.examples.carsharing.v1.EndTripRequest;
import dev.gatehouse.examples.carsharing.v1.TripServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuickstartTest {
  @TempDir Path dir;

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(UTF_8)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  @Test
  void quickstart_workerEndsTrip_anonymousRefused() throws Exception {
    ECKey idp = new ECKeyGenerator(Curve.P_256).keyID("idp-1").generate();
    ECKey worker = new ECKeyGenerator(Curve.P_256).generate();
    Path idpJwks =
        Files.writeString(dir.resolve("idp.jwks.json"), new JWKSet(idp.toPublicJWK()).toString());
    // The worker publishes its public key under the kid its client derives (RFC 7638 thumbprint).
    ECKey workerPublic = new ECKey.Builder(worker.toPublicJWK()).keyIDFromThumbprint().build();
    Path workerJwks =
        Files.writeString(dir.resolve("worker.jwks.json"), new JWKSet(workerPublic).toString());
    Path workerPem =
        Files.writeString(
            dir.resolve("worker.pem"),
            pem("PRIVATE KEY", worker.toECPrivateKey().getEncoded())
                + pem("PUBLIC KEY", worker.toECPublicKey().getEncoded()));

    Server server = QuickstartServer.start(0, idpJwks, workerJwks);
    try {
      assertEquals("trip-1", QuickstartClient.endTrip(server.getPort(), workerPem).getTripId());
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
      try {
        StatusRuntimeException e =
            assertThrows(
                StatusRuntimeException.class,
                () ->
                    TripServiceGrpc.newBlockingStub(channel)
                        .endTrip(EndTripRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        assertEquals("missing credentials", e.getStatus().getDescription());
      } finally {
        channel.shutdownNow();
      }
    } finally {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
