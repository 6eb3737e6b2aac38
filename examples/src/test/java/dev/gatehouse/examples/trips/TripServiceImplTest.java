package dev.gatehouse.examples.trips;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Timestamp;
import dev.gatehouse.examples.carsharing.v1.EndTripRequest;
import dev.gatehouse.examples.carsharing.v1.GetTripRequest;
import dev.gatehouse.examples.carsharing.v1.ListTripsRequest;
import dev.gatehouse.examples.carsharing.v1.PingRequest;
import dev.gatehouse.examples.carsharing.v1.PurgeTripsRequest;
import dev.gatehouse.examples.carsharing.v1.RecordTripRequest;
import dev.gatehouse.examples.carsharing.v1.StartTripRequest;
import dev.gatehouse.examples.carsharing.v1.TripServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TripServiceImplTest {
  private static final Instant NOW = Instant.parse("2026-01-02T03:04:05.000000006Z");

  private Server server;
  private ManagedChannel channel;
  private TripServiceGrpc.TripServiceBlockingStub stub;

  @BeforeEach
  void start() throws IOException {
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(TripServiceImpl.create(Clock.fixed(NOW, ZoneOffset.UTC)))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = TripServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void everyMethod_emptyRequest_answersOk() {
    Timestamp now = Timestamp.newBuilder().setSeconds(NOW.getEpochSecond()).setNanos(6).build();

    assertEquals(now, stub.ping(PingRequest.getDefaultInstance()).getServerTime());
    assertEquals("trip-1", stub.startTrip(StartTripRequest.getDefaultInstance()).getTripId());
    assertEquals("ACTIVE", stub.getTrip(GetTripRequest.getDefaultInstance()).getState());
    assertEquals(1, stub.listTrips(ListTripsRequest.getDefaultInstance()).getTripIdsCount());
    assertEquals(0, stub.purgeTrips(PurgeTripsRequest.getDefaultInstance()).getPurged());
    assertEquals("trip-1", stub.recordTrip(RecordTripRequest.getDefaultInstance()).getTripId());
    assertEquals(now, stub.endTrip(EndTripRequest.getDefaultInstance()).getEndedAt());
  }

  @Test
  void tripMethods_namedTrip_echoTheId() {
    assertEquals(
        "t-9", stub.getTrip(GetTripRequest.newBuilder().setTripId("t-9").build()).getTripId());
    assertEquals(
        "t-9",
        stub.recordTrip(RecordTripRequest.newBuilder().setTripId("t-9").build()).getTripId());
    assertEquals(
        "t-9", stub.endTrip(EndTripRequest.newBuilder().setTripId("t-9").build()).getTripId());
  }
}
