package dev.gatehouse.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.testkit.example.v1.Trip;
import dev.gatehouse.testkit.example.v1.TripRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A handler called directly sees the caller the test names, and only inside the block. */
class TestCallerTest {
  @Test
  void handlerCalledDirectly_seesTheUser() {
    RecordingObserver<Trip> out = new RecordingObserver<>();
    TestCaller.user("alice")
        .roles("driver")
        .scopes("trips:write")
        .issuer("https://idp.test")
        .run(() -> new MyTrips().startTrip(TripRequest.getDefaultInstance(), out));
    assertEquals("alice", out.single().getStartedBy());
    assertTrue(AuthContext.current().isEmpty());
  }

  @Test
  void everyAttributeOfTheCaller_isVisible() throws Exception {
    Instant expiry = Instant.parse("2030-01-01T00:00:00Z");
    AuthContext ctx =
        TestCaller.service("spiffe://example.org/ns/trips/sa/worker")
            .trustSource("spiffe_jwt")
            .roles("trip-finisher")
            .claim("cluster_id", "eu-1")
            .expiry(expiry)
            .call(AuthContext::require);
    assertEquals(PrincipalKind.SERVICE, ctx.kind());
    assertEquals("spiffe_jwt", ctx.trustSource());
    assertEquals(Set.of("trip-finisher"), ctx.roles());
    assertEquals(Map.of("cluster_id", "eu-1"), ctx.claims());
    assertEquals(expiry, ctx.expiry().orElseThrow());
  }

  @Test
  void defaults_nameTheUsualTrustSources() throws Exception {
    assertEquals("user_jwt", TestCaller.user("a").call(AuthContext::require).trustSource());
    assertEquals("signed_token", TestCaller.service("b").call(AuthContext::require).trustSource());
  }

  @Test
  void withoutACaller_theHandlerFailsAsOnAPublicMethod() {
    RecordingObserver<Trip> out = new RecordingObserver<>();
    assertThrows(
        IllegalStateException.class,
        () -> new MyTrips().startTrip(TripRequest.getDefaultInstance(), out));
    assertThrows(IllegalArgumentException.class, () -> TestCaller.user(""));
  }

  @Test
  void recordingObserver_reportsFailuresAndMissingCompletion() {
    RecordingObserver<Trip> failed = new RecordingObserver<>();
    failed.onError(new StatusRuntimeException(Status.NOT_FOUND));
    assertThrows(AssertionError.class, failed::single);
    RecordingObserver<Trip> open = new RecordingObserver<>();
    open.onNext(Trip.getDefaultInstance());
    assertThrows(AssertionError.class, open::single);
    open.onCompleted();
    assertEquals(Trip.getDefaultInstance(), open.single());
    assertThrows(IllegalStateException.class, () -> open.onNext(Trip.getDefaultInstance()));
  }
}
