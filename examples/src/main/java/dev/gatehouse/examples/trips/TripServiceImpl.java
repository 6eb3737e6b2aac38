package dev.gatehouse.examples.trips;

import com.google.protobuf.Timestamp;
import dev.gatehouse.examples.carsharing.v1.EndTripRequest;
import dev.gatehouse.examples.carsharing.v1.EndTripResponse;
import dev.gatehouse.examples.carsharing.v1.GetTripRequest;
import dev.gatehouse.examples.carsharing.v1.GetTripResponse;
import dev.gatehouse.examples.carsharing.v1.ListTripsRequest;
import dev.gatehouse.examples.carsharing.v1.ListTripsResponse;
import dev.gatehouse.examples.carsharing.v1.PingRequest;
import dev.gatehouse.examples.carsharing.v1.PingResponse;
import dev.gatehouse.examples.carsharing.v1.PurgeTripsRequest;
import dev.gatehouse.examples.carsharing.v1.PurgeTripsResponse;
import dev.gatehouse.examples.carsharing.v1.RecordTripRequest;
import dev.gatehouse.examples.carsharing.v1.RecordTripResponse;
import dev.gatehouse.examples.carsharing.v1.StartTripRequest;
import dev.gatehouse.examples.carsharing.v1.StartTripResponse;
import dev.gatehouse.examples.carsharing.v1.TripServiceGrpc;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/**
 * The demo's {@code carsharing.v1.TripService}: every method answers any request, including an
 * empty one, with OK and a small response. It holds no state and performs no authorization of its
 * own; Gatehouse decides who reaches it.
 */
public final class TripServiceImpl extends TripServiceGrpc.TripServiceImplBase {
  /** The trip id answered when a request names none. */
  public static final String DEMO_TRIP_ID = "trip-1";

  private final Clock clock;

  private TripServiceImpl(Clock clock) {
    this.clock = clock;
  }

  /** A service reading time from the system clock. */
  public static TripServiceImpl create() {
    return new TripServiceImpl(Clock.systemUTC());
  }

  /** A service reading time from {@code clock}. */
  public static TripServiceImpl create(Clock clock) {
    return new TripServiceImpl(Objects.requireNonNull(clock, "clock"));
  }

  @Override
  public void ping(PingRequest request, StreamObserver<PingResponse> responseObserver) {
    reply(responseObserver, PingResponse.newBuilder().setServerTime(now()).build());
  }

  @Override
  public void startTrip(
      StartTripRequest request, StreamObserver<StartTripResponse> responseObserver) {
    reply(responseObserver, StartTripResponse.newBuilder().setTripId(DEMO_TRIP_ID).build());
  }

  @Override
  public void getTrip(GetTripRequest request, StreamObserver<GetTripResponse> responseObserver) {
    String id = request.hasTripId() ? request.getTripId() : DEMO_TRIP_ID;
    reply(responseObserver, GetTripResponse.newBuilder().setTripId(id).setState("ACTIVE").build());
  }

  @Override
  public void listTrips(
      ListTripsRequest request, StreamObserver<ListTripsResponse> responseObserver) {
    reply(responseObserver, ListTripsResponse.newBuilder().addTripIds(DEMO_TRIP_ID).build());
  }

  @Override
  public void purgeTrips(
      PurgeTripsRequest request, StreamObserver<PurgeTripsResponse> responseObserver) {
    reply(responseObserver, PurgeTripsResponse.newBuilder().setPurged(0).build());
  }

  @Override
  public void recordTrip(
      RecordTripRequest request, StreamObserver<RecordTripResponse> responseObserver) {
    String id = request.hasTripId() ? request.getTripId() : DEMO_TRIP_ID;
    reply(responseObserver, RecordTripResponse.newBuilder().setTripId(id).build());
  }

  @Override
  public void endTrip(EndTripRequest request, StreamObserver<EndTripResponse> responseObserver) {
    String id = request.hasTripId() ? request.getTripId() : DEMO_TRIP_ID;
    reply(responseObserver, EndTripResponse.newBuilder().setTripId(id).setEndedAt(now()).build());
  }

  private Timestamp now() {
    Instant t = clock.instant();
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  private static <T> void reply(StreamObserver<T> observer, T response) {
    observer.onNext(response);
    observer.onCompleted();
  }
}
