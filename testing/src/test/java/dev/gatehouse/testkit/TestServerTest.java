package dev.gatehouse.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatehouse.policy.PolicyException;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.testkit.example.v1.Trip;
import dev.gatehouse.testkit.example.v1.TripRequest;
import dev.gatehouse.testkit.example.v1.TripWorkersGrpc;
import dev.gatehouse.testkit.example.v1.TripsGrpc;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The in-process server wires Gatehouse to the test issuers, and the chain is really in front. */
class TestServerTest {
  private static final TripRequest REQUEST = TripRequest.getDefaultInstance();

  @RegisterExtension
  static final TestIdentityProvider idp =
      TestIdentityProvider.newBuilder("https://idp.test").audience("trips-api").build();

  @RegisterExtension
  static final TestIdentityProvider worker = TestIdentityProvider.newBuilder("worker").build();

  @Test
  void oneLine_servesGatedMethodsToUsersOfTheProvider() {
    RecordingTrips trips = new RecordingTrips();
    try (TestServer server = TestServer.start(trips, idp)) {
      var stub = TripsGrpc.newBlockingStub(server.channel());
      Trip trip =
          stub.withCallCredentials(idp.userToken("alice").roles("driver").callCredentials())
              .startTrip(REQUEST);
      assertEquals("alice", trip.getStartedBy());
      assertEquals(PrincipalKind.USER, trips.seen.get(0).orElseThrow().kind());
      StatusRuntimeException e =
          assertThrows(StatusRuntimeException.class, () -> stub.startTrip(REQUEST));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      e =
          assertThrows(
              StatusRuntimeException.class,
              () ->
                  stub.withCallCredentials(idp.userToken("eve").callCredentials())
                      .startTrip(REQUEST));
      assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
      assertEquals(1, trips.runs());
    }
  }

  @Test
  void serviceCaller_signsTokensTheInternalMethodAccepts() {
    RecordingTrips trips = new RecordingTrips();
    try (TestServer server =
        TestServer.newBuilder()
            .addService(trips.workers())
            .serviceName("trips")
            .serviceCaller(worker, "trip-finisher")
            .start()) {
      Trip trip =
          TripWorkersGrpc.newBlockingStub(server.channel())
              .withCallCredentials(worker.serviceToken("trips").callCredentials())
              .finishTrip(REQUEST);
      assertEquals("worker", trip.getStartedBy());
      assertEquals(PrincipalKind.SERVICE, trips.seen.get(0).orElseThrow().kind());
      assertEquals("signed_token", trips.seen.get(0).orElseThrow().trustSource());
    }
  }

  @Test
  void meshCaller_isAuthenticatedFromAnXfccElement() {
    String id = "spiffe://cluster.local/ns/trips/sa/worker";
    RecordingTrips trips = new RecordingTrips();
    try (TestServer server =
        TestServer.newBuilder()
            .addService(trips.workers())
            .meshCaller(id, "trip-finisher")
            .start()) {
      Metadata md = new Metadata();
      md.put(
          Metadata.Key.of(Xfcc.HEADER, Metadata.ASCII_STRING_MARSHALLER),
          Xfcc.element().by("spiffe://cluster.local/ns/trips/sa/trips").uri(id).build());
      Trip trip =
          TripWorkersGrpc.newBlockingStub(server.channel())
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
              .finishTrip(REQUEST);
      assertEquals(id, trip.getStartedBy());
      assertEquals("mesh_identity", trips.seen.get(0).orElseThrow().trustSource());
    }
  }

  @Test
  void publicMethod_runsWithoutCaller() {
    RecordingTrips trips = new RecordingTrips();
    try (TestServer server = TestServer.start(trips, idp)) {
      assertEquals(
          "nobody", TripsGrpc.newBlockingStub(server.channel()).ping(REQUEST).getStartedBy());
    }
  }

  @Test
  void missingWiring_failsAtStartNamingTheMethod() {
    PolicyException e =
        assertThrows(
            PolicyException.class,
            () ->
                TestServer.newBuilder()
                    .addService(new RecordingTrips())
                    .addService(new RecordingTrips().workers())
                    .users(idp)
                    .start());
    assertEquals(
        true,
        e.problems().stream()
            .anyMatch(p -> p.startsWith("gatehouse.testkit.example.v1.TripWorkers/FinishTrip")),
        e.problems().toString());
    assertThrows(IllegalStateException.class, () -> TestServer.newBuilder().start());
  }
}
