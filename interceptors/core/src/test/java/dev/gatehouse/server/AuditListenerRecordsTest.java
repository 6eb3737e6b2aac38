package dev.gatehouse.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The chain builds no audit event for a decision the listener says it would not record, and still
 * delivers every decision it would.
 */
class AuditListenerRecordsTest {
  private static final Logger AUDIT = Logger.getLogger("dev.gatehouse.audit");

  /** Records refusals only, and says so. */
  private static final class RefusalsOnly implements AuditListener {
    final List<AuditEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public boolean records(AuditEvent.Outcome outcome) {
      return outcome != AuditEvent.Outcome.ALLOWED;
    }

    @Override
    public void onDecision(AuditEvent event) {
      events.add(event);
    }
  }

  @Test
  void chain_listenerNotRecordingAllowed_getsRefusalsOnlyAndAllowedCallRuns() throws Exception {
    RefusalsOnly listener = new RefusalsOnly();
    try (ProbeHarness h =
        ProbeHarness.start(
            hh ->
                Gatehouse.newBuilder()
                    .addService(hh.service())
                    .userAuthenticator(FakeAuthenticator.user("authorization"))
                    .addTrustSource(FakeAuthenticator.source("src1", "x-svc"))
                    .auditListener(listener)
                    .build())) {
      assertEquals("Open", h.stub(new Metadata()).open(Req.getDefaultInstance()).getText());
      assertEquals(1, h.seen().size(), "the public handler ran");
      assertTrue(listener.events.isEmpty(), "no event for an allowed call: " + listener.events);
      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () -> h.stub(new Metadata()).worker(Req.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals(1, h.seen().size(), "the internal handler did not run");
      assertEquals(1, listener.events.size());
      assertEquals(AuditEvent.Outcome.DENIED, listener.events.get(0).outcome());
    }
  }

  @Test
  void loggingListener_recordsFollowsTheAuditLoggerLevel() {
    Level previous = AUDIT.getLevel();
    try {
      AuditListener logging = AuditListener.logging();
      AUDIT.setLevel(Level.INFO);
      assertFalse(logging.records(AuditEvent.Outcome.ALLOWED));
      assertTrue(logging.records(AuditEvent.Outcome.DENIED));
      assertTrue(logging.records(AuditEvent.Outcome.WOULD_DENY));
      AUDIT.setLevel(Level.FINE);
      assertTrue(logging.records(AuditEvent.Outcome.ALLOWED));
      AUDIT.setLevel(Level.OFF);
      assertFalse(logging.records(AuditEvent.Outcome.WOULD_DENY));
    } finally {
      AUDIT.setLevel(previous);
    }
  }

  @Test
  void defaultRecords_everyOutcome() {
    AuditListener plain = e -> {};
    for (AuditEvent.Outcome o : AuditEvent.Outcome.values()) {
      assertTrue(plain.records(o), o.toString());
    }
  }

  private static ProbeHarness harness(AuditListener listener) throws Exception {
    return ProbeHarness.start(
        hh ->
            Gatehouse.newBuilder()
                .addService(hh.service())
                .userAuthenticator(FakeAuthenticator.user("authorization"))
                .addTrustSource(FakeAuthenticator.source("src1", "x-svc"))
                .auditListener(listener)
                .build());
  }

  @Test
  void all_noListenerRecordingAllowed_noEventForAllowedCallsAndRefusalsToEach() throws Exception {
    RefusalsOnly a = new RefusalsOnly();
    RefusalsOnly b = new RefusalsOnly();
    AuditListener both = AuditListener.all(a, b);
    assertFalse(both.records(AuditEvent.Outcome.ALLOWED));
    assertTrue(both.records(AuditEvent.Outcome.DENIED));
    try (ProbeHarness h = harness(both)) {
      assertEquals("Open", h.stub(new Metadata()).open(Req.getDefaultInstance()).getText());
      assertEquals(1, h.seen().size(), "the public handler ran");
      assertThrows(
          StatusRuntimeException.class,
          () -> h.stub(new Metadata()).worker(Req.getDefaultInstance()));
      assertEquals(1, h.seen().size(), "the internal handler did not run");
    }
    for (RefusalsOnly l : List.of(a, b)) {
      assertEquals(1, l.events.size(), l.events::toString);
      assertEquals(AuditEvent.Outcome.DENIED, l.events.get(0).outcome());
    }
  }

  @Test
  void all_oneListenerRecordingEverything_getsAllowedCallsTheOtherDoesNot() throws Exception {
    RefusalsOnly refusals = new RefusalsOnly();
    List<AuditEvent> everything = new CopyOnWriteArrayList<>();
    AuditListener both = AuditListener.all(refusals, everything::add);
    assertTrue(both.records(AuditEvent.Outcome.ALLOWED));
    try (ProbeHarness h = harness(both)) {
      h.stub(new Metadata()).open(Req.getDefaultInstance());
    }
    assertEquals(1, everything.size(), everything::toString);
    assertEquals(AuditEvent.Outcome.ALLOWED, everything.get(0).outcome());
    assertTrue(refusals.events.isEmpty(), refusals.events::toString);
  }

  @Test
  void all_listenerWhoseRecordsThrows_countsAsRecordingAndStillGetsTheEvent() throws Exception {
    List<AuditEvent> seen = new CopyOnWriteArrayList<>();
    AuditListener throwing =
        new AuditListener() {
          @Override
          public boolean records(AuditEvent.Outcome outcome) {
            throw new IllegalStateException("boom");
          }

          @Override
          public void onDecision(AuditEvent event) {
            seen.add(event);
          }
        };
    AuditListener both = AuditListener.all(new RefusalsOnly(), throwing);
    assertTrue(both.records(AuditEvent.Outcome.ALLOWED));
    try (ProbeHarness h = harness(both)) {
      assertEquals("Open", h.stub(new Metadata()).open(Req.getDefaultInstance()).getText());
    }
    assertEquals(1, seen.size());
  }
}
