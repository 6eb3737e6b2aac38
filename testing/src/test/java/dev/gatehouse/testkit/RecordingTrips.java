package dev.gatehouse.testkit;

import dev.gatehouse.server.AuthContext;
import dev.gatehouse.testkit.example.v1.Trip;
import dev.gatehouse.testkit.example.v1.TripRequest;
import dev.gatehouse.testkit.example.v1.TripWorkersGrpc;
import dev.gatehouse.testkit.example.v1.TripsGrpc;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** The example services, recording every handler run and the caller it saw. */
final class RecordingTrips extends TripsGrpc.TripsImplBase {
  final List<Optional<AuthContext>> seen = new CopyOnWriteArrayList<>();

  private Trip answer(TripRequest r) {
    Optional<AuthContext> ctx = AuthContext.current();
    seen.add(ctx);
    return Trip.newBuilder()
        .setTripId(r.getTripId())
        .setStartedBy(ctx.map(AuthContext::subject).orElse("nobody"))
        .build();
  }

  @Override
  public void ping(TripRequest r, StreamObserver<Trip> o) {
    o.onNext(answer(r));
    o.onCompleted();
  }

  @Override
  public void startTrip(TripRequest r, StreamObserver<Trip> o) {
    o.onNext(answer(r));
    o.onCompleted();
  }

  /** The internal service, recording into the same list. */
  TripWorkersGrpc.TripWorkersImplBase workers() {
    return new TripWorkersGrpc.TripWorkersImplBase() {
      @Override
      public void finishTrip(TripRequest r, StreamObserver<Trip> o) {
        o.onNext(answer(r));
        o.onCompleted();
      }
    };
  }

  @Override
  public void watchTrip(TripRequest r, StreamObserver<Trip> o) {
    o.onNext(answer(r));
    o.onCompleted();
  }

  int runs() {
    return seen.size();
  }
}
