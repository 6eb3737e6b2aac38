package dev.gatehouse.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.testkit.example.v1.TripRequest;
import dev.gatehouse.testkit.example.v1.TripWorkersGrpc;
import dev.gatehouse.testkit.example.v1.TripsGrpc;
import io.grpc.Status;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The hostile pack passes a sound configuration and names what a weak one lets through. */
class HostileCredentialsTest {
  private static final TripRequest REQUEST = TripRequest.getDefaultInstance();

  @RegisterExtension
  static final TestIdentityProvider idp =
      TestIdentityProvider.newBuilder("https://idp.test").audience("trips-api").build();

  @RegisterExtension
  static final TestIdentityProvider worker = TestIdentityProvider.newBuilder("worker").build();

  /** Accepts any bearer token as user "anyone" with role driver: what the pack must catch. */
  private static final class AcceptsAnything implements Authenticator {
    @Override
    public String name() {
      return "accepts_anything";
    }

    @Override
    public Set<String> credentialHeaders() {
      return Set.of("authorization");
    }

    @Override
    public AuthResult authenticate(IncomingCall request) {
      return request.header("authorization").isPresent()
          ? AuthResult.authenticated(
              Principal.newBuilder().subject("anyone").roles(List.of("driver")).build())
          : AuthResult.noCredential();
    }
  }

  @Test
  void soundUserJwtConfiguration_refusesEveryCase_andHandlerRunsOnlyForTheControl() {
    RecordingTrips trips = new RecordingTrips();
    try (TestServer server = TestServer.start(trips, idp)) {
      HostileReport report =
          HostileCredentials.assertAllRefused(
              server.channel(),
              TripsGrpc.getStartTripMethod(),
              REQUEST,
              idp.userToken("alice").roles("driver"));
      assertEquals(Status.Code.OK, report.control().code());
      assertTrue(report.results().size() >= 11, report.toString());
      assertEquals(1, trips.runs());
    }
  }

  @Test
  void rsaTokens_andServerStreamingMethods_areCoveredToo() {
    try (TestServer server = TestServer.start(new RecordingTrips(), idp)) {
      HostileCredentials.assertAllRefused(
          server.channel(),
          TripsGrpc.getWatchTripMethod(),
          REQUEST,
          idp.userToken("alice").roles("driver").rsa());
    }
  }

  @Test
  void soundServiceTokenConfiguration_refusesEveryCase() {
    try (TestServer server =
        TestServer.newBuilder()
            .addService(new RecordingTrips().workers())
            .serviceName("trips")
            .serviceCaller(worker, "trip-finisher")
            .meshCaller("spiffe://cluster.local/ns/trips/sa/finisher", "trip-finisher")
            .start()) {
      HostileReport report =
          HostileCredentials.against(
                  server.channel(), TripWorkersGrpc.getFinishTripMethod(), REQUEST)
              .legitimate(worker.serviceToken("trips"))
              .run();
      // The in-process mesh source takes every client for its sidecar: the spoofed XFCC element
      // naming a stranger is refused by the allow-list, one naming an allowed identity is not.
      report.assertAllRefused();
      HostileReport trusting =
          HostileCredentials.against(
                  server.channel(), TripWorkersGrpc.getFinishTripMethod(), REQUEST)
              .legitimate(worker.serviceToken("trips"))
              .impersonating("spiffe://cluster.local/ns/trips/sa/finisher")
              .run();
      assertEquals(
          List.of("spoofed XFCC element from the client"),
          trusting.accepted().stream().map(HostileReport.Result::name).toList());
    }
  }

  @Test
  void weakConfiguration_failsNamingEveryAcceptedCase() {
    try (TestServer server =
        TestServer.newBuilder()
            .addService(new RecordingTrips())
            .configure(g -> g.userAuthenticator(new AcceptsAnything()))
            .start()) {
      AssertionError e =
          assertThrows(
              AssertionError.class,
              () ->
                  HostileCredentials.assertAllRefused(
                      server.channel(),
                      TripsGrpc.getStartTripMethod(),
                      REQUEST,
                      idp.userToken("alice").roles("driver")));
      for (String name : List.of("alg none", "forged signature", "expired", "wrong audience")) {
        assertTrue(e.getMessage().contains(name + " (OK)"), e.getMessage());
      }
      assertFalse(e.getMessage().contains("credential header twice"), e.getMessage());
    }
  }

  @Test
  void refusedControl_failsSayingTheRunProvesNothing() {
    try (TestServer server = TestServer.start(new RecordingTrips(), idp)) {
      HostileReport report =
          HostileCredentials.against(server.channel(), TripsGrpc.getStartTripMethod(), REQUEST)
              .legitimate(idp.userToken("eve"))
              .run();
      assertFalse(report.controlAccepted());
      AssertionError e = assertThrows(AssertionError.class, report::assertAllRefused);
      assertTrue(e.getMessage().contains("PERMISSION_DENIED"), e.getMessage());
    }
  }

  @Test
  void builder_refusesBadInput() {
    try (TestServer server = TestServer.start(new RecordingTrips(), idp)) {
      var pack =
          HostileCredentials.against(server.channel(), TripsGrpc.getStartTripMethod(), REQUEST);
      assertThrows(IllegalStateException.class, pack::run);
      assertThrows(IllegalArgumentException.class, () -> pack.credentialHeader("Authorization"));
    }
  }
}
