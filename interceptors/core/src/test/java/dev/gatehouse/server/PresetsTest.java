package dev.gatehouse.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.policy.Mode;
import dev.gatehouse.policy.PolicyException;
import dev.gatehouse.policy.Preset;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The health and reflection presets: health is open to anyone, reflection only to a vouched-for
 * service unless an explicit override makes it public; overrides and presets for services the
 * server does not register are warnings, not startup failures.
 */
class PresetsTest {
  private static final String SERVICE_HEADER = "x-service";
  private static final String REFLECTION_V1 = "grpc.reflection.v1.ServerReflection";

  /** Methods whose handlers the chain let through, recorded behind the chain. */
  private final List<String> ran = new CopyOnWriteArrayList<>();

  private Server server;
  private ManagedChannel channel;

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
    }
    if (server != null) {
      server.shutdownNow();
    }
  }

  private ServerServiceDefinition recorded(ServerServiceDefinition def) {
    ServerInterceptor recorder =
        new ServerInterceptor() {
          @Override
          public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
              ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
            ran.add(call.getMethodDescriptor().getFullMethodName());
            return next.startCall(call, headers);
          }
        };
    return ServerInterceptors.intercept(def, recorder);
  }

  /** Health and reflection v1, one trust source reading {@code x-service}, and {@code more}. */
  private Gatehouse.Builder builder() {
    return Gatehouse.newBuilder()
        .addService(recorded(new HealthStatusManager().getHealthService().bindService()))
        .addService(recorded(ProtoReflectionServiceV1.newInstance().bindService()))
        .addTrustSource(FakeAuthenticator.source("fake_service", SERVICE_HEADER));
  }

  private Gatehouse start(UnaryOperator<Gatehouse.Builder> more) throws Exception {
    Gatehouse gatehouse = more.apply(builder()).build();
    String name = InProcessServerBuilder.generateName();
    server = gatehouse.addTo(InProcessServerBuilder.forName(name).directExecutor()).build().start();
    gatehouse.verify(server);
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    return gatehouse;
  }

  private HealthCheckResponse.ServingStatus health() {
    return HealthGrpc.newBlockingStub(channel)
        .check(HealthCheckRequest.getDefaultInstance())
        .getStatus();
  }

  /** Asks reflection for the service list; completes with the names or the refusal. */
  private List<String> listServices(String serviceCredential) throws Exception {
    ServerReflectionGrpc.ServerReflectionStub stub = ServerReflectionGrpc.newStub(channel);
    if (serviceCredential != null) {
      Metadata h = new Metadata();
      h.put(Metadata.Key.of(SERVICE_HEADER, Metadata.ASCII_STRING_MARSHALLER), serviceCredential);
      stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h));
    }
    CompletableFuture<List<String>> result = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        stub.serverReflectionInfo(
            new StreamObserver<ServerReflectionResponse>() {
              @Override
              public void onNext(ServerReflectionResponse r) {
                result.complete(
                    r.getListServicesResponse().getServiceList().stream()
                        .map(ServiceResponse::getName)
                        .toList());
              }

              @Override
              public void onError(Throwable t) {
                result.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                result.completeExceptionally(new AssertionError("completed without a response"));
              }
            });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
    try {
      return result.get(10, TimeUnit.SECONDS);
    } finally {
      requests.onCompleted();
    }
  }

  private static Status refusal(ExecutionException e) {
    return Status.fromThrowable(e.getCause());
  }

  @Test
  void healthPreset_anonymousCall_served() throws Exception {
    Gatehouse g = start(b -> b.addPreset(Preset.HEALTH).addPreset(Preset.REFLECTION));
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health());
    assertEquals(List.of("grpc.health.v1.Health/Check"), ran);
    assertEquals(Mode.PUBLIC, g.policies().get("grpc.health.v1.Health/Watch").mode());
  }

  @Test
  void reflectionPreset_anonymousCall_refusedWithFixedTextHandlerNotRun() throws Exception {
    start(b -> b.addPreset(Preset.HEALTH).addPreset(Preset.REFLECTION));
    ExecutionException e = assertThrows(ExecutionException.class, () -> listServices(null));
    assertEquals(Status.Code.UNAUTHENTICATED, refusal(e).getCode());
    assertEquals(AuthStatus.MISSING_TEXT, refusal(e).getDescription());
    assertTrue(ran.isEmpty(), ran::toString);
  }

  @Test
  void reflectionPreset_serviceIdentity_listsServices() throws Exception {
    Gatehouse g = start(b -> b.addPreset(Preset.REFLECTION));
    assertEquals(Mode.INTERNAL, g.policies().get(REFLECTION_V1 + "/ServerReflectionInfo").mode());
    List<String> services = listServices("ok:ops-console");
    assertTrue(services.contains("grpc.health.v1.Health"), services::toString);
    assertEquals(List.of(REFLECTION_V1 + "/ServerReflectionInfo"), ran);
  }

  @Test
  void reflectionPreset_explicitPublicOverride_anonymousServedAndWarned() throws Exception {
    try (LogCapture log = new LogCapture()) {
      Gatehouse g =
          start(
              b ->
                  b.addPreset(Preset.REFLECTION)
                      .addOverride(REFLECTION_V1 + "/*", Mode.PUBLIC)
                      .addPreset(Preset.HEALTH));
      assertEquals(Mode.PUBLIC, g.policies().get(REFLECTION_V1 + "/ServerReflectionInfo").mode());
      assertTrue(listServices(null).contains(REFLECTION_V1));
      assertTrue(
          log.records().stream()
              .anyMatch(
                  r ->
                      Level.WARNING.equals(r.getLevel())
                          && r.getMessage().contains("server reflection is PUBLIC")
                          && r.getMessage().contains(REFLECTION_V1 + "/ServerReflectionInfo")),
          () -> log.lines().toString());
    }
  }

  @Test
  void reflectionWithoutPresetOrOverride_deniedToEveryoneEvenAServiceIdentity() throws Exception {
    Gatehouse g = start(b -> b.addPreset(Preset.HEALTH));
    assertTrue(g.policies().get(REFLECTION_V1 + "/ServerReflectionInfo").deniesEveryone());
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> listServices("ok:ops-console"));
    assertEquals(Status.Code.UNAUTHENTICATED, refusal(e).getCode());
    assertFalse(ran.contains(REFLECTION_V1 + "/ServerReflectionInfo"));
  }

  @Test
  void reflectionPreset_noInternalTrustSource_refusedAtStartupNamingTheMethod() {
    PolicyException e =
        assertThrows(
            PolicyException.class,
            () ->
                Gatehouse.newBuilder()
                    .addService(ProtoReflectionServiceV1.newInstance())
                    .addPreset(Preset.REFLECTION)
                    .build());
    assertTrue(
        e.getMessage()
            .contains(REFLECTION_V1 + "/ServerReflectionInfo: internal method but no internal"),
        e::getMessage);
  }

  @Test
  void presetAndOverrideForMissingServices_serverStartsWithOneWarningNamingThem() throws Exception {
    try (LogCapture log = new LogCapture()) {
      Gatehouse g =
          Gatehouse.newBuilder()
              .addService(new HealthStatusManager().getHealthService())
              .addPreset(Preset.HEALTH)
              .addPreset(Preset.REFLECTION)
              .addOverride("acme.billing.v1.Ledger/*", Mode.INTERNAL)
              .build();
      String name = InProcessServerBuilder.generateName();
      server = g.addTo(InProcessServerBuilder.forName(name).directExecutor()).build().start();
      channel = InProcessChannelBuilder.forName(name).directExecutor().build();
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, health());
      List<String> warnings =
          log.records().stream()
              .filter(r -> Level.WARNING.equals(r.getLevel()))
              .map(r -> r.getMessage())
              .filter(m -> m.contains("does not register"))
              .toList();
      assertEquals(1, warnings.size(), warnings::toString);
      assertTrue(warnings.get(0).contains("override acme.billing.v1.Ledger/*"), warnings::toString);
      assertTrue(warnings.get(0).contains("preset reflection"), warnings::toString);
      assertFalse(warnings.get(0).contains("preset health"), warnings::toString);
    }
  }

  @Test
  void overrideNamingMissingMethodOfRegisteredService_stillRefusedAtStartup() {
    PolicyException e =
        assertThrows(
            PolicyException.class,
            () ->
                Gatehouse.newBuilder()
                    .addService(new HealthStatusManager().getHealthService())
                    .addOverride("grpc.health.v1.Health/Chek", Mode.PUBLIC)
                    .build());
    assertTrue(
        e.getMessage().contains("override matches no protected method: grpc.health.v1.Health/Chek"),
        e::getMessage);
  }

  @Test
  void healthPreset_explicitInternalOverrideOfOneMethod_winsForThatMethodOnly() throws Exception {
    Gatehouse g =
        start(
            b ->
                b.addPreset(Preset.HEALTH)
                    .addPreset(Preset.REFLECTION)
                    .addOverride("grpc.health.v1.Health/Watch", Mode.INTERNAL));
    assertEquals(Mode.INTERNAL, g.policies().get("grpc.health.v1.Health/Watch").mode());
    assertEquals(Mode.PUBLIC, g.policies().get("grpc.health.v1.Health/Check").mode());
  }
}
