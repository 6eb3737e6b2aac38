package dev.gatehouse.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.testkit.example.v1.Trip;
import dev.gatehouse.testkit.example.v1.TripRequest;
import dev.gatehouse.testkit.example.v1.TripsGrpc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

// README-EXAMPLE-START
class ReadmeExampleTest {
  @RegisterExtension
  static final TestIdentityProvider idp =
      TestIdentityProvider.newBuilder("https://idp.test").audience("trips-api").build();

  static final TripRequest REQUEST = TripRequest.getDefaultInstance();

  @Test
  void driversStartTrips_andEveryHostileCredentialIsRefused() {
    TestToken alice = idp.userToken("alice").roles("driver");
    try (TestServer server = TestServer.start(new MyTrips(), idp)) {
      var stub = TripsGrpc.newBlockingStub(server.channel());
      Trip trip = stub.withCallCredentials(alice.callCredentials()).startTrip(REQUEST);
      assertEquals("alice", trip.getStartedBy());
      HostileCredentials.assertAllRefused(
          server.channel(), TripsGrpc.getStartTripMethod(), REQUEST, alice);
    }
  }

  @Test
  void theHandlerSeesItsCaller_withoutAServer() {
    RecordingObserver<Trip> out = new RecordingObserver<>();
    TestCaller.user("bob").roles("driver").run(() -> new MyTrips().startTrip(REQUEST, out));
    assertEquals("bob", out.single().getStartedBy());
  }
}
// README-EXAMPLE-END
