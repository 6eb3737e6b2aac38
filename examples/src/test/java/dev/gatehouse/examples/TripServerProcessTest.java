package dev.gatehouse.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.gatehouse.examples.carsharing.v1.ListTripsRequest;
import dev.gatehouse.examples.carsharing.v1.PingRequest;
import dev.gatehouse.examples.carsharing.v1.TripServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the trip server as a real process, as an operator would. */
class TripServerProcessTest {
  @TempDir Path dir;

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Process start(String... args) throws IOException {
    List<String> cmd =
        new java.util.ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                TripServer.class.getName()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).start();
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private String goodConfig() throws Exception {
    ECKey idp = new ECKeyGenerator(Curve.P_256).keyID("idp-1").generate();
    Files.writeString(dir.resolve("idp.jwks.json"), new JWKSet(idp.toPublicJWK()).toString());
    return """
           service_name: trips
           user_jwt:
             issuers:
               - { issuer: "https://idp.test", jwks_file: idp.jwks.json, audiences: [trips-api] }
           internal:
             mesh_identity:
               trusted_proxies: ["127.0.0.1/32"]
               allow:
                 - { identity: "spiffe://cluster.local/ns/trips/sa/worker", roles: [trip-finisher] }
           """;
  }

  @Test
  void badConfig_exitsTwoWithOneLineNamingField_neverListens() throws Exception {
    Path config = dir.resolve("gatehouse.yaml");
    Files.writeString(config, goodConfig() + "surprise: true\n");
    int port = freePort();
    Process p = start("--config", config.toString(), "--port", Integer.toString(port));
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(2, p.exitValue());
    List<String> errLines = err.lines().filter(l -> l.startsWith("gatehouse:")).toList();
    assertEquals(1, errLines.size(), err);
    assertTrue(errLines.get(0).contains("surprise: unknown field"), err);
    assertFalse(out.contains("listening"), out);
    assertFalse(listening(port));
  }

  @Test
  void shortSecretWithoutDevMode_exitsTwo() throws Exception {
    Files.writeString(dir.resolve("secret.txt"), "short\n");
    Path config = dir.resolve("gatehouse.yaml");
    Files.writeString(config, goodConfig() + "  shared_secret:\n    secret_file: secret.txt\n");
    Process p = start("--config", config.toString(), "--port", Integer.toString(freePort()));
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(2, p.exitValue());
    assertTrue(err.contains("internal.shared_secret"), err);
    assertFalse(err.contains("short"), "the secret is never quoted: " + err);
  }

  @Test
  void badArguments_exitTwoWithUsage() throws Exception {
    Process p = start("--port", "99999", "--config", "x.yaml");
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(err.startsWith("usage: trip-server"), err);
  }

  @Test
  void goodConfig_listensAndDecides() throws Exception {
    Path config = dir.resolve("gatehouse.yaml");
    Files.writeString(config, goodConfig());
    int port = freePort();
    Process p = start("--config", config.toString(), "--port", Integer.toString(port));
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line;
      do {
        line = out.readLine();
      } while (line != null && !line.startsWith("listening on"));
      assertEquals("listening on 127.0.0.1:" + port, line);
      ManagedChannel channel =
          NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      try {
        TripServiceGrpc.TripServiceBlockingStub stub =
            TripServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        stub.ping(PingRequest.getDefaultInstance());
        StatusRuntimeException e =
            assertThrows(
                StatusRuntimeException.class,
                () -> stub.listTrips(ListTripsRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        assertEquals("missing credentials", e.getStatus().getDescription());
      } finally {
        channel.shutdownNow();
      }
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
