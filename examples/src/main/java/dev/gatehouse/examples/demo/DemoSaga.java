package dev.gatehouse.examples.demo;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.client.JwksPublisher;
import dev.gatehouse.client.ServiceTokenCallCredentials;
import dev.gatehouse.client.SigningAlgorithm;
import dev.gatehouse.client.SigningKeySource;
import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.examples.carsharing.v1.EndTripRequest;
import dev.gatehouse.examples.carsharing.v1.GetTripRequest;
import dev.gatehouse.examples.carsharing.v1.ListTripsRequest;
import dev.gatehouse.examples.carsharing.v1.PingRequest;
import dev.gatehouse.examples.carsharing.v1.PurgeTripsRequest;
import dev.gatehouse.examples.carsharing.v1.RecordTripRequest;
import dev.gatehouse.examples.carsharing.v1.StartTripRequest;
import dev.gatehouse.examples.carsharing.v1.TripServiceGrpc;
import dev.gatehouse.examples.carsharing.v1.TripServiceGrpc.TripServiceBlockingStub;
import dev.gatehouse.examples.server.ServerLimits;
import dev.gatehouse.examples.trips.TripServiceImpl;
import dev.gatehouse.micrometer.GatehouseMetrics;
import dev.gatehouse.server.AuditListener;
import dev.gatehouse.trust.jwt.SignedTokenSection;
import dev.gatehouse.trust.jwt.UserJwtSection;
import dev.gatehouse.trust.mesh.MeshIdentitySection;
import io.grpc.CallCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The embedded demo: a trip saga whose worker RPCs used to be "public" only because the worker
 * carries no user token. With Gatehouse they are {@code internal}: the worker proves who it is with
 * its own signed service token, end users with their JWTs, and forgeries are refused.
 *
 * <p>Everything runs on ephemeral loopback ports: a JWKS server for the demo identity provider, the
 * worker and an intruder; the trip server configured from a generated Gatehouse config file; and
 * the callers. The demo prints caller × method × expected × actual and the audit log lines, and
 * passes only if every row matched.
 */
public final class DemoSaga {
  private static final String IDP = "https://idp.demo.test";
  private static final String USER_AUDIENCE = "trips-api";
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  private final PrintStream out;
  private final List<Row> rows = new ArrayList<>();
  private final List<String> auditLines = new CopyOnWriteArrayList<>();
  private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

  private record Row(String caller, String method, Status.Code expected, Status.Code actual) {
    boolean ok() {
      return expected == actual;
    }
  }

  private DemoSaga(PrintStream out) {
    this.out = out;
  }

  /** Plays the demo; returns true if every decision matched. Gives up after 60 s. */
  public static boolean run(PrintStream out) throws Exception {
    ScheduledExecutorService watchdog =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "demo-watchdog");
              t.setDaemon(true);
              return t;
            });
    // The task halts the JVM: there is no result or failure to collect from the future.
    var unused =
        watchdog.schedule(
            () -> {
              out.println("demo: did not finish within " + DEADLINE.toSeconds() + " s");
              out.flush();
              Runtime.getRuntime().halt(1);
            },
            DEADLINE.toSeconds(),
            TimeUnit.SECONDS);
    try {
      return new DemoSaga(out).play();
    } finally {
      watchdog.shutdownNow();
    }
  }

  private boolean play() throws Exception {
    out.println("Gatehouse car-sharing demo");
    out.println("==========================");
    // Keys: a demo identity provider, the worker service, and an intruder.
    ECKey idpKey = new ECKeyGenerator(Curve.P_256).keyID("idp-1").generate();
    KeyPair workerPair = new ECKeyGenerator(Curve.P_256).generate().toKeyPair();
    KeyPair intruderPair = new ECKeyGenerator(Curve.P_256).generate().toKeyPair();
    SigningKeySource workerKeys =
        SigningKeySource.newBuilder().keyPair(workerPair).algorithm(SigningAlgorithm.ES256).build();
    // The intruder claims to be the worker and even reuses the worker's key id.
    SigningKeySource intruderKeys =
        SigningKeySource.newBuilder()
            .keyPair(intruderPair)
            .algorithm(SigningAlgorithm.ES256)
            .kid(workerKeys.currentKid())
            .build();

    HttpServer jwks =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    byte[] idpJwks = new JWKSet(idpKey.toPublicJWK()).toString().getBytes(StandardCharsets.UTF_8);
    jwks.createContext(
        "/idp/jwks.json",
        ex -> {
          ex.getResponseHeaders().add("Content-Type", "application/json");
          ex.sendResponseHeaders(200, idpJwks.length);
          ex.getResponseBody().write(idpJwks);
          ex.close();
        });
    jwks.createContext("/worker/jwks.json", JwksPublisher.create(workerKeys).httpHandler());
    jwks.createContext("/intruder/jwks.json", JwksPublisher.create(intruderKeys).httpHandler());
    jwks.start();

    Path dir = Files.createTempDirectory("gatehouse-demo");
    Path config = dir.resolve("gatehouse.yaml");
    ConfiguredGatehouse gatehouse = null;
    Server server = null;
    ManagedChannel channel = null;
    try {
      String yaml = demoConfig(jwks.getAddress().getPort());
      Files.writeString(config, yaml);
      out.println("config file (" + config + "):");
      yaml.lines().forEach(l -> out.println("  | " + l));
      gatehouse =
          ConfiguredGatehouse.newBuilder(config)
              .addSection(UserJwtSection.provider())
              .addSection(MeshIdentitySection.provider())
              .addSection(SignedTokenSection.provider())
              .addService(TripServiceImpl.create())
              .auditListener(
                  AuditListener.all(
                      e -> auditLines.add(e.toString()),
                      GatehouseMetrics.newBuilder(meters).keyFetches(false).build()))
              .build();
      server =
          gatehouse
              .addTo(
                  ServerLimits.apply(
                      NettyServerBuilder.forAddress(
                          new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))))
              .build()
              .start();
      gatehouse.verify(server);
      int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
      out.println(
          "trip server listening on 127.0.0.1:" + port + " (plaintext, as behind a sidecar)");
      out.println();
      channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      saga(channel, idpKey, workerKeys, intruderKeys);
    } finally {
      if (channel != null) {
        channel.shutdownNow();
      }
      if (server != null) {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
      if (gatehouse != null) {
        gatehouse.close();
      }
      jwks.stop(0);
      Files.deleteIfExists(config);
      Files.deleteIfExists(dir);
    }
    return report();
  }

  private void saga(
      ManagedChannel channel,
      ECKey idpKey,
      SigningKeySource workerKeys,
      SigningKeySource intruderKeys)
      throws JOSEException {
    TripServiceBlockingStub anonymous = TripServiceGrpc.newBlockingStub(channel);
    TripServiceBlockingStub driver =
        withHeader(
            anonymous,
            "authorization",
            "Bearer "
                + userToken(
                    idpKey, "alice", List.of("driver"), "trips:read", Duration.ofMinutes(5)));
    TripServiceBlockingStub rider =
        withHeader(
            anonymous,
            "authorization",
            "Bearer " + userToken(idpKey, "bob", List.of("rider"), "", Duration.ofMinutes(5)));
    TripServiceBlockingStub expiredDriver =
        withHeader(
            anonymous,
            "authorization",
            "Bearer "
                + userToken(
                    idpKey, "carol", List.of("driver"), "trips:read", Duration.ofMinutes(-5)));
    CallCredentials workerCreds =
        ServiceTokenCallCredentials.newBuilder()
            .identity("worker")
            .keySource(workerKeys)
            .audience("trips")
            .allowPlaintextToLocalSidecar()
            .build();
    TripServiceBlockingStub worker = anonymous.withCallCredentials(workerCreds);
    TripServiceBlockingStub workerForOtherService =
        anonymous.withCallCredentials(
            ServiceTokenCallCredentials.newBuilder()
                .identity("worker")
                .keySource(workerKeys)
                .audience("billing")
                .allowPlaintextToLocalSidecar()
                .build());
    TripServiceBlockingStub intruder =
        anonymous.withCallCredentials(
            ServiceTokenCallCredentials.newBuilder()
                .identity("worker")
                .keySource(intruderKeys)
                .audience("trips")
                .allowPlaintextToLocalSidecar()
                .build());
    String by = "By=spiffe://cluster.local/ns/trips/sa/trips;";
    TripServiceBlockingStub recorder =
        withHeader(
            anonymous,
            "x-forwarded-client-cert",
            by + "URI=spiffe://cluster.local/ns/trips/sa/recorder");
    TripServiceBlockingStub stranger =
        withHeader(
            anonymous,
            "x-forwarded-client-cert",
            by + "URI=spiffe://cluster.local/ns/other/sa/scraper");

    Status.Code ok = Status.Code.OK;
    Status.Code unauthenticated = Status.Code.UNAUTHENTICATED;
    Status.Code denied = Status.Code.PERMISSION_DENIED;

    call("anonymous", "Ping", ok, () -> anonymous.ping(PingRequest.getDefaultInstance()));
    call(
        "anonymous",
        "ListTrips",
        unauthenticated,
        () -> anonymous.listTrips(ListTripsRequest.getDefaultInstance()));
    call(
        "driver alice",
        "StartTrip",
        ok,
        () -> driver.startTrip(StartTripRequest.getDefaultInstance()));
    call("driver alice", "GetTrip", ok, () -> driver.getTrip(GetTripRequest.getDefaultInstance()));
    call(
        "driver alice",
        "ListTrips",
        ok,
        () -> driver.listTrips(ListTripsRequest.getDefaultInstance()));
    call(
        "driver alice",
        "PurgeTrips",
        denied,
        () -> driver.purgeTrips(PurgeTripsRequest.getDefaultInstance()));
    call(
        "driver alice",
        "RecordTrip (user JWT on internal)",
        unauthenticated,
        () -> driver.recordTrip(RecordTripRequest.getDefaultInstance()));
    call(
        "worker (service token)",
        "RecordTrip",
        ok,
        () -> worker.recordTrip(RecordTripRequest.getDefaultInstance()));
    call(
        "worker (service token)",
        "EndTrip",
        ok,
        () -> worker.endTrip(EndTripRequest.getDefaultInstance()));
    call(
        "worker (service token)",
        "StartTrip (service token on gated)",
        unauthenticated,
        () -> worker.startTrip(StartTripRequest.getDefaultInstance()));
    call(
        "worker, token for billing",
        "EndTrip",
        unauthenticated,
        () -> workerForOtherService.endTrip(EndTripRequest.getDefaultInstance()));
    call(
        "rider bob",
        "StartTrip",
        denied,
        () -> rider.startTrip(StartTripRequest.getDefaultInstance()));
    call("rider bob", "GetTrip", denied, () -> rider.getTrip(GetTripRequest.getDefaultInstance()));
    call(
        "rider bob", "ListTrips", ok, () -> rider.listTrips(ListTripsRequest.getDefaultInstance()));
    call(
        "rider bob",
        "EndTrip",
        unauthenticated,
        () -> rider.endTrip(EndTripRequest.getDefaultInstance()));
    call(
        "carol, expired token",
        "ListTrips",
        unauthenticated,
        () -> expiredDriver.listTrips(ListTripsRequest.getDefaultInstance()));
    call(
        "intruder forging worker",
        "EndTrip",
        unauthenticated,
        () -> intruder.endTrip(EndTripRequest.getDefaultInstance()));
    call(
        "intruder forging worker",
        "RecordTrip",
        unauthenticated,
        () -> intruder.recordTrip(RecordTripRequest.getDefaultInstance()));
    call(
        "mesh: sa/recorder",
        "RecordTrip",
        ok,
        () -> recorder.recordTrip(RecordTripRequest.getDefaultInstance()));
    call(
        "mesh: sa/recorder",
        "EndTrip",
        denied,
        () -> recorder.endTrip(EndTripRequest.getDefaultInstance()));
    call(
        "mesh: ns/other sa/scraper",
        "RecordTrip",
        unauthenticated,
        () -> stranger.recordTrip(RecordTripRequest.getDefaultInstance()));
  }

  private static String demoConfig(int jwksPort) {
    return String.join(
        "\n",
        "service_name: trips",
        "clock_skew_seconds: 30",
        "user_jwt:",
        "  issuers:",
        "    - { issuer: \""
            + IDP
            + "\", jwks_uri: \"http://127.0.0.1:"
            + jwksPort
            + "/idp/jwks.json\", audiences: ["
            + USER_AUDIENCE
            + "] }",
        "internal:",
        "  mesh_identity:",
        "    trusted_proxies: [\"127.0.0.1/32\", \"::1/128\"]",
        "    allow:",
        "      - { identity: \"cluster.local/ns/trips/sa/recorder\", roles: [] }",
        "  signed_token:",
        "    issuers:",
        "      - { issuer: worker, jwks_uri: \"http://127.0.0.1:"
            + jwksPort
            + "/worker/jwks.json\", roles: [trip-finisher] }",
        "");
  }

  private static TripServiceBlockingStub withHeader(
      TripServiceBlockingStub stub, String name, String value) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
  }

  private void call(String caller, String method, Status.Code expected, Runnable rpc) {
    Status.Code actual;
    try {
      rpc.run();
      actual = Status.Code.OK;
    } catch (StatusRuntimeException e) {
      actual = e.getStatus().getCode();
    }
    rows.add(new Row(caller, method, expected, actual));
  }

  private static String userToken(
      ECKey key, String subject, List<String> roles, String scope, Duration ttl)
      throws JOSEException {
    Instant now = Instant.now();
    Instant iat = ttl.isNegative() ? now.plus(ttl).minusSeconds(60) : now;
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer(IDP)
            .subject(subject)
            .audience(USER_AUDIENCE)
            .issueTime(Date.from(iat))
            .expirationTime(Date.from(now.plus(ttl)))
            .jwtID(UUID.randomUUID().toString())
            .claim("roles", roles);
    if (!scope.isEmpty()) {
      claims.claim("scope", scope);
    }
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID(key.getKeyID())
                .type(JOSEObjectType.JWT)
                .build(),
            claims.build());
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }

  private boolean report() {
    int w1 = "caller".length();
    int w2 = "method".length();
    for (Row r : rows) {
      w1 = Math.max(w1, r.caller().length());
      w2 = Math.max(w2, r.method().length());
    }
    String fmt = "%-" + w1 + "s  %-" + w2 + "s  %-17s  %-17s  %s%n";
    out.printf(fmt, "caller", "method", "expected", "actual", "");
    out.printf(fmt, "-".repeat(w1), "-".repeat(w2), "-".repeat(17), "-".repeat(17), "");
    int failed = 0;
    for (Row r : rows) {
      out.printf(fmt, r.caller(), r.method(), r.expected(), r.actual(), r.ok() ? "ok" : "MISMATCH");
      if (!r.ok()) {
        failed++;
      }
    }
    out.println();
    out.println(
        "audit log (what the server logged for each decision; clients only see fixed texts):");
    auditLines.forEach(l -> out.println("  " + l));
    out.println();
    printDecisionCounters();
    out.println();
    if (failed == 0) {
      out.println("demo passed: all " + rows.size() + " decisions matched");
    } else {
      out.println("demo FAILED: " + failed + " of " + rows.size() + " decisions did not match");
    }
    out.flush();
    return failed == 0;
  }

  /** The gatehouse.decisions counters (gatehouse-micrometer), one line per series. */
  private void printDecisionCounters() {
    out.println("decision counters (" + GatehouseMetrics.DECISIONS + ", gatehouse-micrometer):");
    meters.find(GatehouseMetrics.DECISIONS).counters().stream()
        .map(
            c ->
                String.format(
                    "  %3d  %-10s  %-22s  %s",
                    (long) c.count(),
                    c.getId().getTag("outcome"),
                    c.getId().getTag("reason"),
                    c.getId().getTag("method").replace("carsharing.v1.", "")))
        .sorted()
        .forEach(out::println);
  }
}
