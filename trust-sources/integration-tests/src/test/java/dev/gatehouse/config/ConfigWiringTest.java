package dev.gatehouse.config;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real authenticators wired from a config file, end to end over the Probe service. */
class ConfigWiringTest {
  @TempDir Path dir;

  private static final String IDP = "https://idp.test";
  private static final String XFCC = "x-forwarded-client-cert";
  private static final String SECRET = "dev-q7Rk2mZp9xLw4vN8tB3yC6hJ1sD5fG0a";
  private static final InetSocketAddress SIDECAR =
      new InetSocketAddress(InetAddress.getLoopbackAddress(), 15006);
  private static final InetSocketAddress STRANGER = new InetSocketAddress("192.0.2.7", 4000);

  private ECKey idpKey;

  @BeforeEach
  void keys() throws Exception {
    idpKey = TestTokens.ecKey("idp-1");
    Files.writeString(dir.resolve("idp.jwks.json"), new JWKSet(idpKey.toPublicJWK()).toString());
    Files.writeString(dir.resolve("secret.txt"), SECRET + "\n");
  }

  private String config(String meshIdentity, String meshRoles, boolean withSecret) {
    return "service_name: trips\n"
        + (withSecret ? "dev_mode: true\n" : "")
        + "user_jwt:\n"
        + "  issuers:\n"
        + "    - { issuer: \""
        + IDP
        + "\", jwks_file: idp.jwks.json, audiences: [trips-api] }\n"
        + "  roles_claim: realm_access.roles\n"
        + "internal:\n"
        + "  mesh_identity:\n"
        + "    trusted_proxies: [\"127.0.0.1/32\", \"::1/128\"]\n"
        + "    allow:\n"
        + "      - { identity: \""
        + meshIdentity
        + "\", roles: ["
        + meshRoles
        + "] }\n"
        + (withSecret
            ? "  shared_secret:\n    secret_file: secret.txt\n    roles: [trip-finisher]\n"
            : "");
  }

  private ProbeHarness start(
      Path file, InetSocketAddress peer, AtomicReference<ConfiguredGatehouse> out)
      throws Exception {
    return ProbeHarness.start(
        h -> {
          ConfiguredGatehouse g =
              ConfiguredGatehouse.newBuilder()
                  .addSections(TestSections.ALL)
                  .configFile(file)
                  .addService(h.service())
                  .build();
          out.set(g);
          return g.gatehouse();
        },
        peer);
  }

  private String userToken(List<String> roles, String scope) {
    Map<String, Object> claims = TestTokens.claims(IDP, "alice", "trips-api", Instant.now(), 300);
    claims.put("realm_access", Map.of("roles", roles));
    claims.put("scope", scope);
    return TestTokens.sign(idpKey, TestTokens.header("ES256", "idp-1"), claims);
  }

  private static Metadata md(String... kv) {
    Metadata md = new Metadata();
    for (int i = 0; i < kv.length; i += 2) {
      md.put(Metadata.Key.of(kv[i], Metadata.ASCII_STRING_MARSHALLER), kv[i + 1]);
    }
    return md;
  }

  private static void assertRefused(StatusRuntimeException e, Status.Code code, String text) {
    assertEquals(code, e.getStatus().getCode());
    assertEquals(text, e.getStatus().getDescription());
  }

  @Test
  void config_userJwtAndMesh_decideEndToEnd() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("cluster.local/ns/trips/sa/worker", "trip-finisher", false));
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h = start(file, SIDECAR, g)) {
      // An end user with roles from realm_access.roles.
      h.stub(md("authorization", "Bearer " + userToken(List.of("driver"), "trips:write")))
          .driver(Req.getDefaultInstance());
      assertEquals(PrincipalKind.USER, h.seen().get(0).context().orElseThrow().kind());
      // The worker through the sidecar, Istio short form in config == spiffe:// on the wire.
      h.stub(md(XFCC, "URI=spiffe://cluster.local/ns/trips/sa/worker"))
          .workerFinisher(Req.getDefaultInstance());
      assertEquals(
          "spiffe://cluster.local/ns/trips/sa/worker",
          h.seen().get(1).context().orElseThrow().subject());
      assertFalse(
          h.seen()
              .get(1)
              .headers()
              .containsKey(Metadata.Key.of(XFCC, Metadata.ASCII_STRING_MARSHALLER)));
      // A user JWT on an internal method is the wrong kind.
      assertRefused(
          expectFailure(
              () ->
                  h.stub(md("authorization", "Bearer " + userToken(List.of("admin"), "")))
                      .worker(Req.getDefaultInstance())),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
      assertEquals(2, h.handlerRuns());
      g.get().close();
    }
  }

  @Test
  void config_meshHeaderFromUntrustedPeer_refused() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("cluster.local/ns/trips/sa/worker", "trip-finisher", false));
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h = start(file, STRANGER, g)) {
      assertRefused(
          expectFailure(
              () ->
                  h.stub(md(XFCC, "URI=spiffe://cluster.local/ns/trips/sa/worker"))
                      .worker(Req.getDefaultInstance())),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
      assertEquals(0, h.handlerRuns());
      g.get().close();
    }
  }

  @Test
  void config_reloadedAllowList_appliesToRealMeshSource() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("cluster.local/ns/trips/sa/worker", "trip-finisher", false));
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h = start(file, SIDECAR, g)) {
      Files.writeString(file, config("cluster.local/ns/trips/sa/worker", "reader", false));
      assertTrue(g.get().reloadNow());
      assertRefused(
          expectFailure(
              () ->
                  h.stub(md(XFCC, "URI=spiffe://cluster.local/ns/trips/sa/worker"))
                      .workerFinisher(Req.getDefaultInstance())),
          Status.Code.PERMISSION_DENIED,
          AuthStatus.DENIED_TEXT);
      h.stub(md(XFCC, "URI=spiffe://cluster.local/ns/trips/sa/worker"))
          .worker(Req.getDefaultInstance());
      assertEquals(1, h.handlerRuns());
      g.get().close();
    }
  }

  @Test
  void config_devSharedSecret_grantsOnlyConfiguredRoles() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("cluster.local/ns/trips/sa/worker", "", true));
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h = start(file, STRANGER, g)) {
      h.stub(md("x-internal-secret", SECRET)).workerFinisher(Req.getDefaultInstance());
      assertEquals(
          List.of("trip-finisher"), List.copyOf(h.seen().get(0).context().orElseThrow().roles()));
      assertRefused(
          expectFailure(
              () -> h.stub(md("x-internal-secret", SECRET + "x")).worker(Req.getDefaultInstance())),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
      assertEquals(1, h.handlerRuns());
      g.get().close();
    }
  }

  @Test
  void config_jwksFileMissing_refusedAtStartupNamingField() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(
        file,
        config("cluster.local/ns/trips/sa/worker", "", false)
            .replace("idp.jwks.json", "missing.jwks.json"));
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                ConfiguredGatehouse.newBuilder()
                    .addSections(TestSections.ALL)
                    .configFile(file)
                    .addService(new ProbeGrpc.ProbeImplBase() {})
                    .build());
    assertEquals("user_jwt.issuers[0].jwks_file", e.field());
  }

  @Test
  void config_badTrustedProxy_refusedAtStartup() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(
        file, config("cluster.local/ns/trips/sa/worker", "", false).replace("::1/128", "::1/200"));
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                ConfiguredGatehouse.newBuilder()
                    .addSections(TestSections.ALL)
                    .configFile(file)
                    .addService(new ProbeGrpc.ProbeImplBase() {})
                    .build());
    assertEquals("internal.mesh_identity.trusted_proxies[1]", e.field());
  }

  @Test
  void config_badAllowIdentity_refusedAtStartupNamingSection() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("spiffe://Cluster.Local/ns/trips/sa/worker", "", false));
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                ConfiguredGatehouse.newBuilder()
                    .addSections(TestSections.ALL)
                    .configFile(file)
                    .addService(new ProbeGrpc.ProbeImplBase() {})
                    .build());
    assertEquals("internal.mesh_identity", e.field());
  }

  @Test
  void config_spiffeJwtOnItsOwnHeader_acceptsSvidRefusesOtherDomain() throws Exception {
    ECKey bundleKey = TestTokens.ecKey("b1");
    Files.writeString(
        dir.resolve("cluster.jwks.json"), new JWKSet(bundleKey.toPublicJWK()).toString());
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(
        file,
        "service_name: trips\n"
            + "user_jwt:\n"
            + "  issuers:\n"
            + "    - { issuer: \""
            + IDP
            + "\", jwks_file: idp.jwks.json, audiences: [trips-api] }\n"
            + "internal:\n"
            + "  spiffe_jwt:\n"
            + "    header: x-jwt-svid\n"
            + "    bundles: [{ trust_domain: cluster.local, jwks_file: cluster.jwks.json }]\n"
            + "    allow: [{ trust_domain: cluster.local, roles: [trip-finisher] }]\n");
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h = start(file, SIDECAR, g)) {
      Map<String, Object> claims =
          TestTokens.claims(
              "ignored", "spiffe://cluster.local/ns/trips/sa/worker", "trips", Instant.now(), 300);
      String svid = TestTokens.sign(bundleKey, TestTokens.header("ES256", "b1"), claims);
      h.stub(md("x-jwt-svid", "Bearer " + svid)).workerFinisher(Req.getDefaultInstance());
      assertEquals(
          "spiffe://cluster.local/ns/trips/sa/worker",
          h.seen().get(0).context().orElseThrow().subject());
      Map<String, Object> other =
          TestTokens.claims(
              "ignored", "spiffe://other.domain/ns/trips/sa/worker", "trips", Instant.now(), 300);
      String foreign = TestTokens.sign(bundleKey, TestTokens.header("ES256", "b1"), other);
      assertRefused(
          expectFailure(
              () -> h.stub(md("x-jwt-svid", "Bearer " + foreign)).worker(Req.getDefaultInstance())),
          Status.Code.UNAUTHENTICATED,
          AuthStatus.INVALID_TEXT);
      assertEquals(1, h.handlerRuns());
      g.get().close();
    }
  }
}
