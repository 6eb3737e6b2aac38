package dev.gatehouse.server;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A call whose authenticator answers {@code mayWaitForKeys} is decided on a Gatehouse thread, with
 * exactly the status, fixed text, audit event and handler outcome of the inline path.
 */
class DeferredDecisionTest {

  /** Reads {@code authorization} like {@link FakeAuthenticator}; may wait when told to. */
  static final class Waiting extends FakeAuthenticator {
    final boolean mayWait;
    final List<String> threads = new CopyOnWriteArrayList<>();

    Waiting(boolean mayWait) {
      super("fake_user", "authorization");
      this.mayWait = mayWait;
    }

    @Override
    public boolean mayWaitForKeys(IncomingCall request) {
      if (request.header("x-throw").isPresent()) {
        throw new IllegalStateException("readiness check failed");
      }
      return mayWait;
    }

    @Override
    public AuthResult authenticate(IncomingCall request) {
      threads.add(Thread.currentThread().getName());
      return super.authenticate(request);
    }
  }

  /** What one call gave: status, its text, audit outcome and reason, handler runs, thread. */
  record Seen(
      Status.Code code,
      String text,
      AuditEvent.Outcome outcome,
      Reason reason,
      int handlerRuns,
      String subject,
      boolean decidedOffThread) {}

  private static Seen run(boolean mayWait, boolean dryRun, String credential, String throwHeader)
      throws Exception {
    Waiting user = new Waiting(mayWait);
    List<AuditEvent> audit = new CopyOnWriteArrayList<>();
    try (ProbeHarness h =
        ProbeHarness.start(
            x ->
                Gatehouse.newBuilder()
                    .addService(x.service())
                    .userAuthenticator(user)
                    .addTrustSource(FakeAuthenticator.source("src1", "x-svc"))
                    .auditListener(AuditListener.all(audit::add))
                    .dryRun(dryRun)
                    .build())) {
      io.grpc.Metadata md = ChainDecisionTest.md("authorization", credential);
      if (throwHeader != null) {
        md.put(io.grpc.Metadata.Key.of("x-throw", io.grpc.Metadata.ASCII_STRING_MARSHALLER), "1");
      }
      Status status;
      try {
        h.stub(md).driver(Req.getDefaultInstance());
        status = Status.OK;
      } catch (StatusRuntimeException e) {
        status = e.getStatus();
      }
      AuditEvent last = audit.get(audit.size() - 1);
      String subject =
          h.seen().isEmpty()
              ? null
              : h.seen().get(0).context().map(AuthContext::subject).orElse("none");
      boolean off =
          !user.threads.isEmpty() && user.threads.get(0).startsWith("gatehouse-deferred-");
      return new Seen(
          status.getCode(),
          status.getDescription(),
          last.outcome(),
          last.reason(),
          h.handlerRuns(),
          subject,
          off);
    }
  }

  private static Seen inlineTwin(Seen s) {
    return new Seen(
        s.code(), s.text(), s.outcome(), s.reason(), s.handlerRuns(), s.subject(), false);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ok:alice:driver:trips:write",
        "ok:bob:rider:trips:read",
        "bad",
        "down",
        "boom",
        "garbage"
      })
  void deferredDecision_sameAsInline(String credential) throws Exception {
    Seen inline = run(false, false, credential, null);
    Seen deferred = run(true, false, credential, null);
    assertTrue(deferred.decidedOffThread(), "the waiting authenticator ran on the calling thread");
    assertEquals(inline, inlineTwin(deferred));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ok:alice:driver:trips:write", "ok:bob:rider:trips:read", "bad"})
  void deferredDecisionInDryRun_sameAsInline(String credential) throws Exception {
    Seen inline = run(false, true, credential, null);
    Seen deferred = run(true, true, credential, null);
    assertTrue(deferred.decidedOffThread());
    assertEquals(inline, inlineTwin(deferred));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ok:alice:driver:trips:write", "bad"})
  void readinessCheckThatThrows_defersAndDecidesAsInline(String credential) throws Exception {
    Seen inline = run(false, false, credential, null);
    Seen deferred = run(false, false, credential, "throw");
    assertTrue(deferred.decidedOffThread(), "a throwing readiness check must defer");
    assertEquals(inline, inlineTwin(deferred));
  }

  @org.junit.jupiter.api.Test
  void deferredBadCredential_unauthenticatedFixedText_handlerNotRun() throws Exception {
    Seen s = run(true, false, "bad", null);
    assertEquals(Status.Code.UNAUTHENTICATED, s.code());
    assertEquals(AuthStatus.INVALID_TEXT, s.text());
    assertEquals(0, s.handlerRuns());
    assertEquals(Reason.BAD_SIGNATURE, s.reason());
  }

  @org.junit.jupiter.api.Test
  void deferredServerStream_allMessagesWithPrincipal() throws Exception {
    Waiting user = new Waiting(true);
    try (ProbeHarness h =
        ProbeHarness.start(
            x ->
                Gatehouse.newBuilder()
                    .addService(x.service())
                    .userAuthenticator(user)
                    .addTrustSource(FakeAuthenticator.source("src1", "x-svc"))
                    .build())) {
      List<String> got =
          ProbeHarness.drain(
              h.stub(ChainDecisionTest.md("authorization", "ok:carol"))
                  .streamAnyUser(Req.getDefaultInstance()));
      assertEquals(List.of("carol", "carol", "carol"), got);
      assertTrue(user.threads.get(0).startsWith("gatehouse-deferred-"));
      StatusRuntimeException e =
          expectFailure(
              () ->
                  ProbeHarness.drain(
                      h.stub(ChainDecisionTest.md("authorization", "bad"))
                          .streamAnyUser(Req.getDefaultInstance())));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals(1, h.handlerRuns());
    }
  }
}
