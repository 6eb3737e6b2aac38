package dev.gatehouse.testkit;

import dev.gatehouse.server.AuthContext;
import dev.gatehouse.testkit.example.v1.Trip;
import dev.gatehouse.testkit.example.v1.TripRequest;
import dev.gatehouse.testkit.example.v1.TripsGrpc;
import io.grpc.stub.StreamObserver;

/** The README's "user's own service": it answers with the caller the chain authenticated. */
final class MyTrips extends TripsGrpc.TripsImplBase {
  @Override
  public void startTrip(TripRequest request, StreamObserver<Trip> out) {
    out.onNext(Trip.newBuilder().setStartedBy(AuthContext.require().subject()).build());
    out.onCompleted();
  }
}
