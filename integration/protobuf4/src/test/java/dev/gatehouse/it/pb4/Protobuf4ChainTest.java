package dev.gatehouse.it.pb4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.RuntimeVersion;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.audit.AuditCli;
import dev.gatehouse.it.pb4.v1.VaultGrpc;
import dev.gatehouse.it.pb4.v1.VaultRequest;
import dev.gatehouse.it.pb4.v1.VaultResponse;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.ServiceTokenIssuer;
import dev.gatehouse.trust.jwt.SignedTokenTrustSource;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A service whose proto was compiled by protoc 4.x, on protobuf-java 4.x, behind the Gatehouse
 * chain (gatehouse-core + gatehouse-trust-jwt, keys from JWKS files), and its descriptor set
 * through the audit CLI. Run once per release by early/ and late/.
 */
class Protobuf4ChainTest {
  private static final String USER_ISS = "https://idp.test";
  private static final String AUDIENCE = "vault-api";
  private static final String SERVICE = "vault";
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir static Path keys;

  private static ECKey userKey;
  private static ECKey workerKey;
  private static Gatehouse gatehouse;
  private static Server server;
  private static ManagedChannel channel;
  private static final List<String> ran = new CopyOnWriteArrayList<>();

  /** The consumer's handlers: record that they ran and who called. */
  static final class VaultService extends VaultGrpc.VaultImplBase {
    @Override
    public void ping(VaultRequest request, StreamObserver<VaultResponse> out) {
      ran.add("Ping");
      out.onNext(VaultResponse.newBuilder().setValue("pong").build());
      out.onCompleted();
    }

    @Override
    public void read(VaultRequest request, StreamObserver<VaultResponse> out) {
      ran.add("Read");
      out.onNext(VaultResponse.newBuilder().setValue(AuthContext.require().subject()).build());
      out.onCompleted();
    }

    @Override
    public void sync(VaultRequest request, StreamObserver<VaultResponse> out) {
      ran.add("Sync");
      out.onNext(VaultResponse.newBuilder().setValue(AuthContext.require().subject()).build());
      out.onCompleted();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    userKey = new ECKeyGenerator(Curve.P_256).keyID("u1").generate();
    workerKey = new ECKeyGenerator(Curve.P_256).keyID("w1").generate();
    Path userJwks = keys.resolve("user-jwks.json");
    Path workerJwks = keys.resolve("worker-jwks.json");
    Files.writeString(userJwks, new JWKSet(userKey.toPublicJWK()).toString());
    Files.writeString(workerJwks, new JWKSet(workerKey.toPublicJWK()).toString());

    gatehouse =
        Gatehouse.newBuilder()
            .addService(new VaultService())
            .userAuthenticator(
                UserJwtAuthenticator.newBuilder()
                    .addIssuer(USER_ISS, JwksSource.file(userJwks), List.of(AUDIENCE))
                    .build())
            .addTrustSource(
                SignedTokenTrustSource.newBuilder()
                    .serviceName(SERVICE)
                    .addIssuer(
                        ServiceTokenIssuer.newBuilder("worker")
                            .keys(JwksSource.file(workerJwks))
                            .build())
                    .build())
            .build();
    String name = "pb4-" + UUID.randomUUID();
    server = gatehouse.addTo(InProcessServerBuilder.forName(name).directExecutor()).build().start();
    gatehouse.verify(server);
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.shutdownNow();
    gatehouse.close();
  }

  @BeforeEach
  void clear() {
    ran.clear();
  }

  @Test
  void runsOnTheProtobufReleaseUnderTest() {
    String expected = System.getProperty("gatehouse.it.protobuf");
    assertEquals(
        expected,
        RuntimeVersion.MAJOR + "." + RuntimeVersion.MINOR + "." + RuntimeVersion.PATCH,
        "protobuf-java on the test classpath");
    assertEquals(4, RuntimeVersion.MAJOR);
  }

  @Test
  void publicMethodRunsWithoutCredential() {
    assertEquals("pong", stub(null).ping(request()).getValue());
    assertEquals(List.of("Ping"), ran);
  }

  @Test
  void gatedMethodWithoutCredentialIsRefused() {
    assertRefused(
        () -> stub(null).read(request()), Status.Code.UNAUTHENTICATED, "missing credentials");
  }

  @Test
  void gatedMethodAdmitsUserWithRequiredRole() throws Exception {
    assertEquals("alice", stub(userToken("alice", "reader")).read(request()).getValue());
    assertEquals(List.of("Read"), ran);
  }

  @Test
  void gatedMethodRefusesUserWithoutRequiredRole() throws Exception {
    String token = userToken("bob", "writer");
    assertRefused(
        () -> stub(token).read(request()), Status.Code.PERMISSION_DENIED, "access denied");
  }

  @Test
  void internalMethodAdmitsTrustedService() throws Exception {
    assertEquals("worker", stub(serviceToken()).sync(request()).getValue());
    assertEquals(List.of("Sync"), ran);
  }

  @Test
  void internalMethodRefusesUserJwtAndAnonymous() throws Exception {
    String token = userToken("alice", "reader");
    assertRefused(
        () -> stub(token).sync(request()), Status.Code.UNAUTHENTICATED, "invalid credentials");
    assertRefused(
        () -> stub(null).sync(request()), Status.Code.UNAUTHENTICATED, "missing credentials");
  }

  @Test
  void auditCliReadsTheProtoc4DescriptorSet() throws Exception {
    String descriptors = System.getProperty("gatehouse.it.descriptors");
    assertTrue(Files.isRegularFile(Path.of(descriptors)), descriptors);

    Run table = audit(descriptors);
    assertEquals(AuditCli.OK, table.code, table.err);
    assertEquals(List.of("public", "method"), modeOf(table, "Ping"));
    assertEquals(List.of("gated", "default"), modeOf(table, "Read"));
    assertEquals(List.of("internal", "method"), modeOf(table, "Sync"));
    assertTrue(table.row("Read").contains("roles any of [reader]"), table.out);

    Path allow = keys.resolve("allow-public.txt");
    Files.writeString(allow, "gatehouse.it.pb4.v1.Vault/Ping\n");
    Run check = audit("--check", "--allow-public", allow.toString(), descriptors);
    assertEquals(AuditCli.OK, check.code, check.err);

    Path none = keys.resolve("allow-none.txt");
    Files.writeString(none, "# no public method approved\n");
    Run unapproved = audit("--check", "--allow-public", none.toString(), descriptors);
    assertEquals(AuditCli.CHECK_FAILED, unapproved.code, unapproved.out);
    assertTrue(unapproved.err.contains("gatehouse.it.pb4.v1.Vault/Ping"), unapproved.err);
  }

  private static VaultRequest request() {
    return VaultRequest.newBuilder().setKey("k").build();
  }

  private static VaultGrpc.VaultBlockingStub stub(String token) {
    VaultGrpc.VaultBlockingStub stub = VaultGrpc.newBlockingStub(channel);
    if (token == null) {
      return stub;
    }
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private static void assertRefused(
      org.junit.jupiter.api.function.Executable call, Status.Code code, String description) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode());
    assertEquals(description, e.getStatus().getDescription());
    assertEquals(List.of(), ran, "the handler must not run");
  }

  private static String userToken(String subject, String role) throws JOSEException {
    Instant now = Instant.now();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(USER_ISS)
            .subject(subject)
            .audience(AUDIENCE)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plusSeconds(300)))
            .claim("roles", List.of(role))
            .build();
    return sign(userKey, claims);
  }

  private static String serviceToken() throws JOSEException {
    Instant now = Instant.now();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer("worker")
            .subject("worker")
            .audience(SERVICE)
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plusSeconds(300)))
            .jwtID(UUID.randomUUID().toString())
            .build();
    return sign(workerKey, claims);
  }

  private static String sign(ECKey key, JWTClaimsSet claims) throws JOSEException {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256)
                .keyID(key.getKeyID())
                .type(JOSEObjectType.JWT)
                .build(),
            claims);
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }

  /** One audit CLI run. */
  private record Run(int code, String out, String err) {
    /** The table line of a Vault method, split on runs of two or more spaces. */
    List<String> row(String method) {
      String name = "gatehouse.it.pb4.v1.Vault/" + method;
      return out.lines()
          .filter(l -> l.startsWith(name + " "))
          .map(l -> List.of(l.split(" {2,}")))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no row for " + name + " in\n" + out));
    }
  }

  private static List<String> modeOf(Run run, String method) {
    List<String> row = run.row(method);
    return new ArrayList<>(row.subList(1, 3));
  }

  private static Run audit(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        AuditCli.run(
            List.of(args),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
