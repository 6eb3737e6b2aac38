package dev.gatehouse.server;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static dev.gatehouse.testing.ProbeHarness.headers;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

class GatehouseSmokeTest {
  private static ProbeHarness harness() throws Exception {
    return ProbeHarness.start(
        h ->
            Gatehouse.newBuilder()
                .addService(h.service())
                .userAuthenticator(FakeAuthenticator.user("authorization"))
                .addTrustSource(FakeAuthenticator.source("fake_service", "x-svc"))
                .build());
  }

  @Test
  void publicMethod_noCredential_handlerRuns() throws Exception {
    try (ProbeHarness h = harness()) {
      assertEquals("Open", h.stub().open(Req.getDefaultInstance()).getText());
      assertEquals(1, h.handlerRuns());
    }
  }

  @Test
  void gatedMethod_noCredential_unauthenticatedMissing() throws Exception {
    try (ProbeHarness h = harness()) {
      StatusRuntimeException e = expectFailure(() -> h.stub().anyUser(Req.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals("missing credentials", e.getStatus().getDescription());
      assertEquals(0, h.handlerRuns());
    }
  }

  @Test
  void internalMethod_serviceCredential_handlerSeesServicePrincipal() throws Exception {
    try (ProbeHarness h = harness()) {
      h.stub(headers("x-svc", "ok:worker")).worker(Req.getDefaultInstance());
      assertEquals(1, h.handlerRuns());
      assertEquals("worker", h.seen().get(0).context().orElseThrow().subject());
      assertEquals(PrincipalKind.SERVICE, h.seen().get(0).context().orElseThrow().kind());
    }
  }

  @Test
  void build_twoTrustSourcesOnOneHeader_refusedNamingBoth() {
    dev.gatehouse.policy.PolicyException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            dev.gatehouse.policy.PolicyException.class,
            () ->
                Gatehouse.newBuilder()
                    .addService(new dev.gatehouse.test.v1.ProbeGrpc.ProbeImplBase() {})
                    .userAuthenticator(FakeAuthenticator.user("authorization"))
                    .addTrustSource(FakeAuthenticator.source("first", "x-svc"))
                    .addTrustSource(FakeAuthenticator.source("second", "x-svc"))
                    .build());
    org.junit.jupiter.api.Assertions.assertTrue(
        e.getMessage().contains("trust sources first and second both read header x-svc"),
        e.getMessage());
  }
}
