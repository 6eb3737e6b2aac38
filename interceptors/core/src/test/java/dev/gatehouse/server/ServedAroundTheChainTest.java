package dev.gatehouse.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.policy.PolicyException;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * No method is served around the chain: a service registered again after {@code addTo} is caught by
 * {@link Gatehouse#verify}, and the global form refuses every method it did not resolve, however
 * the service was registered.
 */
class ServedAroundTheChainTest {
  private final List<String> ran = new CopyOnWriteArrayList<>();
  private final List<AuditEvent> events = new CopyOnWriteArrayList<>();
  private Server server;
  private ManagedChannel channel;

  /** The plain implementation, as a framework would register it. */
  private final class RawProbe extends ProbeGrpc.ProbeImplBase {
    @Override
    public void anyUser(Req r, StreamObserver<Resp> o) {
      ran.add("AnyUser");
      o.onNext(Resp.newBuilder().setText("data").build());
      o.onCompleted();
    }

    @Override
    public void denied(Req r, StreamObserver<Resp> o) {
      ran.add("Denied");
      o.onNext(Resp.newBuilder().setText("data").build());
      o.onCompleted();
    }
  }

  private Gatehouse gatehouse() {
    return Gatehouse.newBuilder()
        .addService(new RawProbe())
        .userAuthenticator(FakeAuthenticator.user("authorization"))
        .addTrustSource(FakeAuthenticator.source("src1", "x-svc"))
        .auditListener(events::add)
        .build();
  }

  private void start(Consumer<InProcessServerBuilder> registration) throws Exception {
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder sb = InProcessServerBuilder.forName(name).directExecutor();
    registration.accept(sb);
    server = sb.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  private ProbeGrpc.ProbeBlockingStub stub(String header, String value) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of(header, Metadata.ASCII_STRING_MARSHALLER), value);
    return ProbeGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.shutdownNow();
    }
  }

  @Test
  void verify_serviceRegisteredAgainAfterAddTo_refusedNamingEveryMethod() throws Exception {
    Gatehouse g = gatehouse();
    start(sb -> g.addTo(sb).addService(new RawProbe()));
    PolicyException e = assertThrows(PolicyException.class, () -> g.verify(server));
    assertTrue(
        e.problems()
            .contains(
                "gatehouse.test.v1.Probe/Denied: served around the chain (service"
                    + " gatehouse.test.v1.Probe was registered again after gatehouse.addTo; register"
                    + " it only through Gatehouse, or use gatehouse.serverInterceptor())"),
        e.problems()::toString);
    assertEquals(
        ProbeGrpc.getServiceDescriptor().getMethods().size(), e.problems().size(), e::toString);
    assertTrue(ran.isEmpty());
  }

  @Test
  void verify_onlyProtectedRegistration_passes() throws Exception {
    Gatehouse g = gatehouse();
    start(g::addTo);
    g.verify(server);
    StatusRuntimeException denied =
        assertThrows(
            StatusRuntimeException.class,
            () -> stub("authorization", "ok:alice").denied(Req.getDefaultInstance()));
    assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
    assertEquals(AuthStatus.DENIED_TEXT, denied.getStatus().getDescription());
    assertTrue(ran.isEmpty());
  }

  @Test
  void verify_serviceGatehouseNeverResolved_refusedNamingIt() throws Exception {
    Gatehouse g = gatehouse();
    start(sb -> g.addTo(sb).addService(new HealthStatusManager().getHealthService()));
    PolicyException e = assertThrows(PolicyException.class, () -> g.verify(server));
    assertTrue(
        e.problems()
            .contains(
                "grpc.health.v1.Health/Check: served but not resolved by Gatehouse (add its service"
                    + " to the Gatehouse builder)"),
        e.problems()::toString);
  }

  @Test
  void globalForm_plainRegistration_deniedMethodRefusedAndHandlerNotRun() throws Exception {
    Gatehouse g = gatehouse();
    start(sb -> sb.intercept(g.serverInterceptor()).addService(new RawProbe()));
    g.verify(server);
    StatusRuntimeException anonymous =
        assertThrows(
            StatusRuntimeException.class,
            () -> ProbeGrpc.newBlockingStub(channel).denied(Req.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, anonymous.getStatus().getCode());
    assertEquals(AuthStatus.MISSING_TEXT, anonymous.getStatus().getDescription());
    StatusRuntimeException signedIn =
        assertThrows(
            StatusRuntimeException.class,
            () -> stub("authorization", "ok:alice").denied(Req.getDefaultInstance()));
    assertEquals(Status.Code.PERMISSION_DENIED, signedIn.getStatus().getCode());
    assertEquals(AuthStatus.DENIED_TEXT, signedIn.getStatus().getDescription());
    assertTrue(ran.isEmpty());
    assertEquals(
        "data", stub("authorization", "ok:alice").anyUser(Req.getDefaultInstance()).getText());
    assertEquals(List.of("AnyUser"), ran);
  }

  @Test
  void globalForm_serviceNeverResolved_refusedAndHandlerNotRun() throws Exception {
    Gatehouse g = gatehouse();
    HealthStatusManager health = new HealthStatusManager();
    start(sb -> sb.intercept(g.serverInterceptor()).addService(health.getHealthService()));
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () ->
                HealthGrpc.newBlockingStub(channel)
                    .withInterceptors(
                        MetadataUtils.newAttachHeadersInterceptor(authorization("ok:alice")))
                    .check(HealthCheckRequest.getDefaultInstance()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals(AuthStatus.DENIED_TEXT, e.getStatus().getDescription());
    assertEquals(
        dev.gatehouse.spi.Reason.UNRESOLVED_METHOD, events.get(events.size() - 1).reason());
    PolicyException refused = assertThrows(PolicyException.class, () -> g.verify(server));
    assertTrue(refused.problems().get(0).startsWith("grpc.health.v1.Health/"), refused::toString);
  }

  @Test
  void globalFormAndProtectedRegistration_chainRunsOnce() throws Exception {
    Gatehouse g = gatehouse();
    start(sb -> g.addTo(sb.intercept(g.serverInterceptor())));
    g.verify(server);
    assertEquals(
        "data", stub("authorization", "ok:alice").anyUser(Req.getDefaultInstance()).getText());
    assertEquals(1, events.size(), events::toString);
    assertEquals(AuditEvent.Outcome.ALLOWED, events.get(0).outcome());
  }

  private static Metadata authorization(String value) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), value);
    return md;
  }
}
