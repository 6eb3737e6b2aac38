package dev.gatehouse.examples.issuer;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.gatehouse.client.ServiceTokenCallCredentials;
import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.examples.carsharing.v1.EndTripRequest;
import dev.gatehouse.examples.carsharing.v1.TripServiceGrpc;
import dev.gatehouse.examples.issuer.v1.IssueTokenRequest;
import dev.gatehouse.examples.issuer.v1.IssuerServiceGrpc;
import dev.gatehouse.examples.trips.TripServiceImpl;
import dev.gatehouse.trust.jwt.SignedTokenSection;
import dev.gatehouse.trust.jwt.UserJwtSection;
import dev.gatehouse.trust.mesh.MeshIdentityTrustSource;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The registration story, on loopback: a central issuer mints service tokens for the workloads its
 * registration file lists, and the trip server accepts its worker only from the cluster it allows.
 * A worker registered in cluster A calls {@code EndTrip} with its issued token (accepted); the same
 * worker registered in cluster B gets a token claiming cluster B (refused by the trip server); an
 * unregistered workload gets no token (refused by the issuer, and its call fails on the client
 * side); a reload of the registration file registers it.
 *
 * <pre>
 * java -cp examples/target/trip-server.jar dev.gatehouse.examples.issuer.RegistrationDemo
 * </pre>
 *
 * Exits 0 only if every decision matched.
 */
public final class RegistrationDemo {
  static final String ISSUER = "https://issuer.demo.test";
  static final String WORKER_A = "spiffe://cluster-a.demo.test/ns/trips/sa/worker";
  static final String WORKER_B = "spiffe://cluster-b.demo.test/ns/trips/sa/worker";
  static final String SCRAPER = "spiffe://cluster-a.demo.test/ns/ops/sa/scraper";

  private final PrintStream out;
  private final List<Row> rows = new ArrayList<>();
  private final List<String> auditLines = new CopyOnWriteArrayList<>();

  private record Row(String caller, String call, Status.Code expected, Status.Code actual) {
    boolean ok() {
      return expected == actual;
    }
  }

  private RegistrationDemo(PrintStream out) {
    this.out = out;
  }

  /** Runs the demo; exits 1 if any decision did not match. */
  public static void main(String[] args) throws Exception {
    boolean ok = run(System.out);
    System.exit(ok ? 0 : 1);
  }

  /** Plays the demo on {@code out}; true if every decision matched. */
  public static boolean run(PrintStream out) throws Exception {
    return new RegistrationDemo(out).play();
  }

  private static String registrations(boolean scraperRegistered) {
    String base =
        String.join(
            "\n",
            "workloads:",
            "  - spiffe_id: " + WORKER_A,
            "    name: worker",
            "    cluster: cluster-a",
            "    audiences: [trips]",
            "  - spiffe_id: " + WORKER_B,
            "    name: worker",
            "    cluster: cluster-b",
            "    audiences: [trips]",
            "");
    return scraperRegistered
        ? base
            + String.join(
                "\n",
                "  - spiffe_id: " + SCRAPER,
                "    name: scraper",
                "    cluster: cluster-a",
                "    audiences: [trips]",
                "")
        : base;
  }

  private static String tripsConfig(String jwksUrl) {
    return String.join(
        "\n",
        "service_name: trips",
        "user_jwt:",
        "  issuers:",
        "    - { issuer: \"https://idp.demo.test\", jwks_file: idp.jwks.json,"
            + " audiences: [trips-api] }",
        "internal:",
        "  signed_token:",
        "    issuers:",
        "      - issuer: \"" + ISSUER + "\"",
        "        jwks_uri: \"" + jwksUrl + "\"",
        "        subjects:",
        "          - { subject: worker, roles: [trip-finisher], cluster_ids: [cluster-a] }",
        "");
  }

  private boolean play() throws Exception {
    out.println("Gatehouse registration demo: a central issuer and cluster-bound service tokens");
    out.println("===============================================================================");
    Path dir = Files.createTempDirectory("gatehouse-issuer-demo");
    Path registrationFile = dir.resolve("registrations.yaml");
    Files.writeString(registrationFile, registrations(false));
    Files.writeString(
        dir.resolve("idp.jwks.json"),
        new JWKSet(new ECKeyGenerator(Curve.P_256).keyID("idp-1").generate().toPublicJWK())
            .toString());
    out.println("registration file (" + registrationFile + "):");
    registrations(false).lines().forEach(l -> out.println("  | " + l));

    MeshIdentityTrustSource sidecars =
        MeshIdentityTrustSource.newBuilder()
            .trustedProxies("127.0.0.1/32")
            .allow(WORKER_A, List.of(), List.of())
            .allow(WORKER_B, List.of(), List.of())
            .allow(SCRAPER, List.of(), List.of())
            .build();
    List<ManagedChannel> channels = new ArrayList<>();
    Server trips = null;
    ConfiguredGatehouse tripsChain = null;
    try (IssuerServer issuer =
        IssuerServer.newBuilder()
            .issuer(ISSUER)
            .registrationFile(registrationFile)
            .addTrustSource(sidecars)
            .auditListener(e -> auditLines.add("issuer: " + e))
            .start()) {
      out.println(
          "issuer listening on 127.0.0.1:" + issuer.port() + ", JWKS at " + issuer.jwksUrl());
      Path config = dir.resolve("trips.yaml");
      Files.writeString(config, tripsConfig(issuer.jwksUrl()));
      out.println("trip server config (" + config + "):");
      tripsConfig(issuer.jwksUrl()).lines().forEach(l -> out.println("  | " + l));
      tripsChain =
          ConfiguredGatehouse.newBuilder(config)
              .addSection(UserJwtSection.provider())
              .addSection(SignedTokenSection.provider())
              .addService(TripServiceImpl.create())
              .auditListener(e -> auditLines.add("trips:  " + e))
              .build();
      trips =
          tripsChain
              .addTo(
                  NettyServerBuilder.forAddress(
                      new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
              .build()
              .start();
      out.println("trip server listening on 127.0.0.1:" + trips.getPort());
      out.println();

      ManagedChannel toTrips =
          NettyChannelBuilder.forAddress("127.0.0.1", trips.getPort()).usePlaintext().build();
      channels.add(toTrips);
      ManagedChannel workerA = issuerChannel(issuer.port(), WORKER_A, channels);
      ManagedChannel workerB = issuerChannel(issuer.port(), WORKER_B, channels);
      ManagedChannel scraper = issuerChannel(issuer.port(), SCRAPER, channels);

      endTrip("worker in cluster A", toTrips, workerA, Status.Code.OK);
      endTrip("worker in cluster B", toTrips, workerB, Status.Code.UNAUTHENTICATED);
      issue("worker in cluster A", workerA, "billing", Status.Code.PERMISSION_DENIED);
      issue("scraper (unregistered)", scraper, "trips", Status.Code.PERMISSION_DENIED);
      // No token for the scraper: its credentials fail the call before anything is sent.
      endTrip("scraper (unregistered)", toTrips, scraper, Status.Code.UNAVAILABLE);

      Files.writeString(registrationFile, registrations(true));
      boolean reloaded = issuer.registrations().reloadNow();
      out.println(
          "registration file edited: scraper registered in cluster-a (reloaded: " + reloaded + ")");
      issue("scraper (registered now)", scraper, "trips", Status.Code.OK);
      // The issuer now vouches for it, but the trip server lists only the worker as a subject.
      endTrip("scraper (registered now)", toTrips, scraper, Status.Code.UNAUTHENTICATED);
    } finally {
      for (ManagedChannel c : channels) {
        c.shutdownNow();
      }
      if (trips != null) {
        trips.shutdownNow();
        trips.awaitTermination(5, TimeUnit.SECONDS);
      }
      if (tripsChain != null) {
        tripsChain.close();
      }
      sidecars.close();
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(dir);
    }
    return report();
  }

  /** A plaintext channel to the issuer through a "sidecar" that forwards {@code spiffeId}. */
  private static ManagedChannel issuerChannel(
      int port, String spiffeId, List<ManagedChannel> channels) {
    Metadata xfcc = new Metadata();
    xfcc.put(
        Metadata.Key.of("x-forwarded-client-cert", Metadata.ASCII_STRING_MARSHALLER),
        "By=spiffe://issuer.demo.test/ns/issuer/sa/issuer;URI=" + spiffeId);
    ManagedChannel c =
        NettyChannelBuilder.forAddress("127.0.0.1", port)
            .usePlaintext()
            .intercept(MetadataUtils.newAttachHeadersInterceptor(xfcc))
            .build();
    channels.add(c);
    return c;
  }

  private void endTrip(
      String caller, ManagedChannel trips, ManagedChannel issuer, Status.Code expected) {
    ServiceTokenCallCredentials creds =
        ServiceTokenCallCredentials.newBuilder()
            .fetchFrom(new IssuerTokenFetcher(issuer, Duration.ofSeconds(5)))
            .audience("trips")
            .allowPlaintextToLocalSidecar()
            .build();
    record(
        caller,
        "trips EndTrip with an issued token",
        expected,
        () ->
            TripServiceGrpc.newBlockingStub(trips)
                .withCallCredentials(creds)
                .endTrip(EndTripRequest.getDefaultInstance()));
  }

  private void issue(String caller, ManagedChannel issuer, String audience, Status.Code expected) {
    record(
        caller,
        "issuer IssueToken for " + audience,
        expected,
        () ->
            IssuerServiceGrpc.newBlockingStub(issuer)
                .issueToken(IssueTokenRequest.newBuilder().setAudience(audience).build()));
  }

  private void record(String caller, String call, Status.Code expected, Runnable rpc) {
    Status.Code actual;
    try {
      rpc.run();
      actual = Status.Code.OK;
    } catch (StatusRuntimeException e) {
      actual = e.getStatus().getCode();
    }
    rows.add(new Row(caller, call, expected, actual));
  }

  private boolean report() {
    int w1 = "caller".length();
    int w2 = "call".length();
    for (Row r : rows) {
      w1 = Math.max(w1, r.caller().length());
      w2 = Math.max(w2, r.call().length());
    }
    String fmt = "%-" + w1 + "s  %-" + w2 + "s  %-17s  %-17s  %s%n";
    out.printf(fmt, "caller", "call", "expected", "actual", "");
    out.printf(fmt, "-".repeat(w1), "-".repeat(w2), "-".repeat(17), "-".repeat(17), "");
    int failed = 0;
    for (Row r : rows) {
      out.printf(fmt, r.caller(), r.call(), r.expected(), r.actual(), r.ok() ? "ok" : "MISMATCH");
      if (!r.ok()) {
        failed++;
      }
    }
    out.println();
    out.println("audit log (Gatehouse's decisions on the issuer and the trip server):");
    auditLines.forEach(l -> out.println("  " + l));
    out.println();
    if (failed == 0) {
      out.println("registration demo passed: all " + rows.size() + " decisions matched");
    } else {
      out.println(
          "registration demo FAILED: "
              + failed
              + " of "
              + rows.size()
              + " decisions did not match");
    }
    out.flush();
    return failed == 0;
  }
}
