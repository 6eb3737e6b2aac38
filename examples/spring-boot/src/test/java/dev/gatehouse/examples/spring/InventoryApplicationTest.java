package dev.gatehouse.examples.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.examples.spring.inventory.v1.InventoryGrpc;
import dev.gatehouse.examples.spring.inventory.v1.ItemReply;
import dev.gatehouse.examples.spring.inventory.v1.ItemRequest;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.spring.GatehouseEndpoint;
import dev.gatehouse.spring.GatehouseKeySetsHealthIndicator;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.TestTokens;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.health.contributor.Health;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.server.ServerBuilderCustomizer;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;

/**
 * Boots the example on Netty (127.0.0.1, a random port) with keys the test generates: a loopback
 * JWKS server for end-user tokens and a key-set file for the restocking service's tokens.
 */
class InventoryApplicationTest {
  private static final String USER_ISSUER = "https://idp.test";
  private static final String SERVICE_ISSUER = "spiffe://warehouse.test/restocker";
  private static final ECKey USER_KEY = TestTokens.ecKey("user-1");
  private static final ECKey SERVICE_KEY = TestTokens.ecKey("restocker-1");

  @TempDir static Path dir;
  private static JwksServer jwks;
  private static Path configFile;
  private static ConfigurableApplicationContext app;
  private static ManagedChannel channel;

  @BeforeAll
  static void boot() throws Exception {
    jwks = JwksServer.start(new JWKSet(USER_KEY));
    Path serviceKeys = dir.resolve("restocker-jwks.json");
    Files.writeString(serviceKeys, new JWKSet(SERVICE_KEY.toPublicJWK()).toString());
    configFile = dir.resolve("gatehouse.yaml");
    Files.writeString(
        configFile,
        """
        service_name: inventory
        user_jwt:
          issuers:
            - issuer: "%s"
              jwks_uri: "%s"
              audiences: [inventory-api]
        internal:
          signed_token:
            issuers:
              - issuer: "%s"
                jwks_file: restocker-jwks.json
        """
            .formatted(USER_ISSUER, jwks.url(), SERVICE_ISSUER));
    app = start(InventoryApplication.class);
    int port = app.getBean(GrpcServerLifecycle.class).getPort();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  private static ConfigurableApplicationContext start(Class<?>... sources) {
    return new SpringApplicationBuilder(sources)
        .run(
            "--spring.grpc.server.address=127.0.0.1",
            "--spring.grpc.server.port=0",
            "--spring.grpc.server.shutdown.grace-period=0s",
            "--gatehouse.config-file=" + configFile);
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (app != null) {
      app.close();
    }
    if (jwks != null) {
      jwks.close();
    }
  }

  private static InventoryService service() {
    return app.getBean(InventoryService.class);
  }

  private static InventoryGrpc.InventoryBlockingStub stub(String bearer) {
    InventoryGrpc.InventoryBlockingStub stub = InventoryGrpc.newBlockingStub(channel);
    if (bearer == null) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + bearer);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private static String userToken(String subject, List<String> roles, String scope) {
    Map<String, Object> claims =
        TestTokens.claims(USER_ISSUER, subject, "inventory-api", Instant.now(), 300);
    claims.put("roles", roles);
    claims.put("scope", scope);
    return TestTokens.sign(USER_KEY, TestTokens.header("ES256", USER_KEY.getKeyID()), claims);
  }

  private static String serviceToken() {
    Map<String, Object> claims =
        TestTokens.claims(SERVICE_ISSUER, SERVICE_ISSUER, "inventory", Instant.now(), 300);
    return TestTokens.sign(SERVICE_KEY, TestTokens.header("ES256", SERVICE_KEY.getKeyID()), claims);
  }

  private static ItemRequest item() {
    return ItemRequest.newBuilder().setSku("sku-1").build();
  }

  private static void assertRefused(
      Status expected, String method, java.util.function.Supplier<?> call) {
    int before = service().handled(method);
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::get);
    assertEquals(expected.getCode(), e.getStatus().getCode());
    assertEquals(expected.getDescription(), e.getStatus().getDescription());
    assertEquals(before, service().handled(method), method + " handler must not run");
  }

  @Test
  void publicMethodServesAnonymousCallers() {
    int before = service().handled("CheckStock");
    ItemReply reply = stub(null).checkStock(item());
    assertEquals("anonymous", reply.getCaller());
    assertEquals(before + 1, service().handled("CheckStock"));
  }

  @Test
  void gatedMethodServesAUserWithTheRoleAndScopeAndTheHandlerSeesTheCaller() {
    int before = service().handled("Reserve");
    ItemReply reply = stub(userToken("alice", List.of("clerk"), "inventory:write")).reserve(item());
    assertEquals("alice", reply.getCaller(), "AuthContext in the handler names the user");
    assertEquals(before + 1, service().handled("Reserve"));
  }

  @Test
  void gatedMethodRefusesAnonymousAndUnderprivilegedCallers() {
    assertRefused(AuthStatus.MISSING_CREDENTIALS, "Reserve", () -> stub(null).reserve(item()));
    assertRefused(
        AuthStatus.ACCESS_DENIED,
        "Reserve",
        () -> stub(userToken("bob", List.of("viewer"), "inventory:write")).reserve(item()));
  }

  @Test
  void internalMethodServesASignedServiceTokenAndRefusesAUserToken() {
    int before = service().handled("Restock");
    ItemReply reply = stub(serviceToken()).restock(item());
    assertEquals(SERVICE_ISSUER, reply.getCaller());
    assertEquals(before + 1, service().handled("Restock"));
    StatusRuntimeException e =
        assertThrows(
            StatusRuntimeException.class,
            () -> stub(userToken("alice", List.of("admin"), "inventory:write")).restock(item()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(before + 1, service().handled("Restock"), "Restock handler must not run");
  }

  @Test
  void unannotatedMethodOfABoundServiceBeanIsDeniedToEveryone() {
    assertRefused(
        AuthStatus.ACCESS_DENIED,
        "Purge",
        () -> stub(userToken("root", List.of("admin"), "inventory:write")).purge(item()));
  }

  @Test
  void springRegisteredHealthIsPublicAndReflectionIsInternal() throws Exception {
    HealthCheckResponse health =
        HealthGrpc.newBlockingStub(channel).check(HealthCheckRequest.getDefaultInstance());
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, health.getStatus());

    CompletableFuture<Throwable> done = new CompletableFuture<>();
    StreamObserver<ServerReflectionRequest> requests =
        ServerReflectionGrpc.newStub(channel)
            .serverReflectionInfo(
                new StreamObserver<ServerReflectionResponse>() {
                  @Override
                  public void onNext(ServerReflectionResponse value) {
                    done.complete(null);
                  }

                  @Override
                  public void onError(Throwable t) {
                    done.complete(t);
                  }

                  @Override
                  public void onCompleted() {
                    done.complete(null);
                  }
                });
    requests.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
    requests.onCompleted();
    Throwable t = done.get(30, TimeUnit.SECONDS);
    Status status = Status.fromThrowable(t);
    assertEquals(Status.Code.UNAUTHENTICATED, status.getCode());
    assertEquals(AuthStatus.MISSING_TEXT, status.getDescription());
  }

  @Test
  void actuatorEndpointShowsThePostureAndTheHashOfTheServingFile() throws Exception {
    GatehouseEndpoint.Posture posture = app.getBean(GatehouseEndpoint.class).posture();
    assertEquals("inventory", posture.serviceName());
    assertEquals(
        java.util.HexFormat.of()
            .formatHex(
                java.security.MessageDigest.getInstance("SHA-256")
                    .digest(Files.readAllBytes(configFile))),
        posture.configHash());
    assertEquals(List.of("user_jwt", "internal.signed_token"), posture.trustSources());
    GatehouseEndpoint.MethodPosture reserve =
        posture.methods().get("inventory.v1.Inventory/Reserve");
    assertEquals("gated", reserve.mode());
    assertEquals(List.of("admin", "clerk"), reserve.anyOfRoles());
    assertEquals(List.of("inventory:write"), reserve.allOfScopes());
    assertEquals("public", posture.methods().get("inventory.v1.Inventory/CheckStock").mode());
    assertEquals("internal", posture.methods().get("inventory.v1.Inventory/Restock").mode());
    assertEquals("deny", posture.methods().get("inventory.v1.Inventory/Purge").access());
    assertEquals("public", posture.methods().get("grpc.health.v1.Health/Check").mode());
    assertTrue(app.getBean(ConfiguredGatehouse.class).configHash().equals(posture.configHash()));
  }

  @Test
  @SuppressWarnings("unchecked")
  void healthIndicatorReportsEachFetchedKeySetReachable() throws Exception {
    GatehouseKeySetsHealthIndicator indicator = app.getBean(GatehouseKeySetsHealthIndicator.class);
    // The key caches fetch in the background from startup: wait for both, generously.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    Health health = indicator.health();
    while (!health.getStatus().equals(org.springframework.boot.health.contributor.Status.UP)
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
      health = indicator.health();
    }
    assertEquals(org.springframework.boot.health.contributor.Status.UP, health.getStatus());
    Map<String, Object> keySets = (Map<String, Object>) health.getDetails().get("keySets");
    assertEquals(List.of(USER_ISSUER, SERVICE_ISSUER), List.copyOf(keySets.keySet()));
    Map<String, Object> user = (Map<String, Object>) keySets.get(USER_ISSUER);
    assertEquals("jwks_uri " + jwks.url(), user.get("location"));
    assertEquals(true, user.get("reachable"));
  }

  /** Serves reflection by hand, around Spring's service discovery. */
  @Configuration(proxyBeanMethods = false)
  static class ServiceAddedByACustomizer {
    @Bean
    ServerBuilderCustomizer<io.grpc.netty.NettyServerBuilder> plainReflection() {
      return builder -> builder.addService(ProtoReflectionServiceV1.newInstance());
    }
  }

  @Test
  void startupFailsNamingAServiceServedAroundGatehouse() {
    RuntimeException e =
        assertThrows(
            RuntimeException.class,
            () ->
                new SpringApplicationBuilder(
                        InventoryApplication.class, ServiceAddedByACustomizer.class)
                    .run(
                        "--spring.grpc.server.address=127.0.0.1",
                        "--spring.grpc.server.port=0",
                        "--spring.grpc.server.shutdown.grace-period=0s",
                        "--spring.grpc.server.reflection.enabled=false",
                        "--gatehouse.config-file=" + configFile)
                    .close());
    String messages = messages(e);
    assertTrue(
        messages.contains(
            "grpc.reflection.v1.ServerReflection/ServerReflectionInfo: served but not resolved"),
        messages);
  }

  private static String messages(Throwable t) {
    StringBuilder sb = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      sb.append(c.getMessage()).append('\n');
    }
    return sb.toString();
  }
}
