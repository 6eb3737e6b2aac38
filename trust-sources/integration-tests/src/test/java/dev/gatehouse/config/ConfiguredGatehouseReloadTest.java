package dev.gatehouse.config;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static dev.gatehouse.testing.ProbeHarness.headers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.policy.PolicyException;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.spi.TrustSource;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.trust.mesh.MeshIdentitySection;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reload semantics with test section providers: {@code internal.mesh_identity}, read by its real
 * provider, drives a fake source that trusts {@code x-test-identity: ID} for allowed IDs, and
 * {@code user_jwt: {}} builds a user authenticator that never finds a credential (the real sources
 * are tested elsewhere).
 */
class ConfiguredGatehouseReloadTest {
  @TempDir Path dir;

  /** Accepts the identity in {@code x-test-identity} if the config's mesh allow-list has it. */
  static final class AllowListSource implements TrustSource {
    final Map<String, MeshIdentitySection.AllowEntry> allow = new LinkedHashMap<>();
    final String header;
    volatile boolean closed;

    AllowListSource(MeshIdentitySection mesh) {
      mesh.allow().forEach(a -> allow.put(a.identity(), a));
      this.header =
          mesh.header().equals("x-forwarded-client-cert") ? "x-test-identity" : mesh.header();
    }

    @Override
    public String name() {
      return "mesh_identity";
    }

    @Override
    public Set<String> credentialHeaders() {
      return Set.of(header);
    }

    @Override
    public AuthResult authenticate(IncomingCall request) {
      Optional<String> id = request.header(header);
      if (id.isEmpty()) {
        return AuthResult.noCredential();
      }
      MeshIdentitySection.AllowEntry e = allow.get(id.get());
      if (e == null) {
        return AuthResult.rejected(Reason.IDENTITY_NOT_ALLOWED, "not allowed");
      }
      return AuthResult.authenticated(
          Principal.newBuilder().subject(e.identity()).roles(e.roles()).build());
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  /** A section with no fields. */
  record Empty() implements ConfigSection {}

  /** {@code user_jwt: {}}, built by {@code users}. */
  static ConfigSectionProvider<Empty> userProvider(Supplier<Authenticator> users) {
    return new ConfigSectionProvider<>() {
      @Override
      public String path() {
        return "user_jwt";
      }

      @Override
      public Class<Empty> sectionType() {
        return Empty.class;
      }

      @Override
      public Empty parse(ConfigNode node, GatehouseConfig topLevel) {
        node.finish();
        return new Empty();
      }

      @Override
      public Authenticator create(
          Empty section, GatehouseConfig config, Optional<Previous<Empty>> previous) {
        return users.get();
      }

      @Override
      public ReloadPolicy reloadPolicy() {
        return ReloadPolicy.REBUILD;
      }
    };
  }

  /** {@code internal.mesh_identity} read by its real provider, built into an AllowListSource. */
  static ConfigSectionProvider<MeshIdentitySection> meshProvider(Consumer<AllowListSource> built) {
    ConfigSectionProvider<MeshIdentitySection> real = MeshIdentitySection.provider();
    return new ConfigSectionProvider<>() {
      @Override
      public String path() {
        return real.path();
      }

      @Override
      public Class<MeshIdentitySection> sectionType() {
        return real.sectionType();
      }

      @Override
      public MeshIdentitySection parse(ConfigNode node, GatehouseConfig topLevel) {
        return real.parse(node, topLevel);
      }

      @Override
      public Authenticator create(
          MeshIdentitySection section,
          GatehouseConfig config,
          Optional<Previous<MeshIdentitySection>> previous) {
        AllowListSource s = new AllowListSource(section);
        built.accept(s);
        return s;
      }

      @Override
      public ReloadPolicy reloadPolicy() {
        return real.reloadPolicy();
      }
    };
  }

  private final AtomicReference<AllowListSource> lastBuilt = new AtomicReference<>();

  /** A user authenticator that never finds a credential (the Probe service has gated methods). */
  private static final Authenticator NO_USERS =
      new Authenticator() {
        @Override
        public String name() {
          return "user_jwt";
        }

        @Override
        public Set<String> credentialHeaders() {
          return Set.of("authorization");
        }

        @Override
        public AuthResult authenticate(IncomingCall request) {
          return AuthResult.noCredential();
        }
      };

  private static String config(String allowIdentity, String role) {
    return "service_name: trips\n"
        + "user_jwt: {}\n"
        + "internal:\n"
        + "  mesh_identity:\n"
        + "    trusted_proxies: [\"127.0.0.1/32\"]\n"
        + "    allow:\n"
        + "      - { identity: \""
        + allowIdentity
        + "\", roles: ["
        + role
        + "] }\n";
  }

  private ConfiguredGatehouse build(Path file, ProbeHarness h) {
    return ConfiguredGatehouse.newBuilder()
        .configFile(file)
        .addService(h.service())
        .pollInterval(Duration.ofMillis(100))
        .addSection(userProvider(() -> NO_USERS))
        .addSection(meshProvider(lastBuilt::set))
        .build();
  }

  private ProbeHarness harness(Path file, AtomicReference<ConfiguredGatehouse> out)
      throws Exception {
    return ProbeHarness.start(
        h -> {
          ConfiguredGatehouse g = build(file, h);
          out.set(g);
          return g.gatehouse();
        });
  }

  @Test
  void reload_allowListChange_takesEffect() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("spiffe://cluster.local/ns/a/sa/worker", "trip-finisher"));
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h = harness(file, g)) {
      h.stub(headers("x-test-identity", "spiffe://cluster.local/ns/a/sa/worker"))
          .workerFinisher(Req.getDefaultInstance());
      StatusRuntimeException e =
          expectFailure(
              () ->
                  h.stub(headers("x-test-identity", "spiffe://cluster.local/ns/a/sa/other"))
                      .worker(Req.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals(1, h.handlerRuns());

      AllowListSource first = lastBuilt.get();
      Files.writeString(file, config("spiffe://cluster.local/ns/a/sa/other", "reader"));
      assertTrue(g.get().reloadNow());
      assertEquals(
          "spiffe://cluster.local/ns/a/sa/other",
          g.get()
              .currentConfig()
              .section(MeshIdentitySection.provider())
              .orElseThrow()
              .allow()
              .get(0)
              .identity());

      h.stub(headers("x-test-identity", "spiffe://cluster.local/ns/a/sa/other"))
          .worker(Req.getDefaultInstance());
      assertEquals(2, h.handlerRuns());
      // The new grant applies: "reader" is not trip-finisher.
      StatusRuntimeException denied =
          expectFailure(
              () ->
                  h.stub(headers("x-test-identity", "spiffe://cluster.local/ns/a/sa/other"))
                      .workerFinisher(Req.getDefaultInstance()));
      assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
      assertEquals(AuthStatus.DENIED_TEXT, denied.getStatus().getDescription());
      StatusRuntimeException gone =
          expectFailure(
              () ->
                  h.stub(headers("x-test-identity", "spiffe://cluster.local/ns/a/sa/worker"))
                      .worker(Req.getDefaultInstance()));
      assertEquals(AuthStatus.INVALID_TEXT, gone.getStatus().getDescription());
      assertEquals(2, h.handlerRuns());
      assertFalse(first.closed, "old source is closed only after a grace period");
      g.get().close();
    }
  }

  @Test
  void reload_watcherSeesChangeWithinFiveSeconds() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("spiffe://cluster.local/ns/a/sa/worker", "x"));
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h = harness(file, g)) {
      // Kubernetes swaps a ConfigMap by replacing a symlink: write elsewhere, then move.
      Path next = dir.resolve("next.yaml");
      Files.writeString(next, config("spiffe://cluster.local/ns/a/sa/new", "x"));
      Files.move(
          next,
          file,
          java.nio.file.StandardCopyOption.REPLACE_EXISTING,
          java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (System.nanoTime() < deadline
          && !g.get()
              .currentConfig()
              .section(MeshIdentitySection.provider())
              .orElseThrow()
              .allow()
              .get(0)
              .identity()
              .endsWith("/new")) {
        Thread.sleep(50);
      }
      h.stub(headers("x-test-identity", "spiffe://cluster.local/ns/a/sa/new"))
          .worker(Req.getDefaultInstance());
      assertEquals(1, h.handlerRuns());
      g.get().close();
    }
  }

  @Test
  void reloadNow_answersWhetherTheFileAsItStandsServes_whoeverAppliedIt() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("spiffe://cluster.local/ns/a/sa/worker", "x"));
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h = harness(file, g)) {
      assertTrue(g.get().reloadNow(), "unchanged file: it is what serves");
      Files.writeString(file, config("spiffe://cluster.local/ns/a/sa/new", "x"));
      // Let the watcher (polling every 100 ms) apply the edit first; this test is not about how
      // fast, so a loaded machine gets time.
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < deadline && !firstAllowed(g.get()).endsWith("/new")) {
        Thread.sleep(20);
      }
      assertTrue(firstAllowed(g.get()).endsWith("/new"), "the watcher applied the edit");
      assertTrue(g.get().reloadNow(), "applied by the watcher: still what serves");

      Files.writeString(file, config("spiffe://cluster.local/ns/a/sa/other", "x") + "bogus: 1\n");
      assertFalse(g.get().reloadNow(), "refused content");
      assertFalse(g.get().reloadNow(), "refused content, asked again");
      h.stub(headers("x-test-identity", "spiffe://cluster.local/ns/a/sa/new"))
          .worker(Req.getDefaultInstance());
      assertEquals(1, h.handlerRuns());
      g.get().close();
    }
  }

  private static String firstAllowed(ConfiguredGatehouse g) {
    return g.currentConfig()
        .section(MeshIdentitySection.provider())
        .orElseThrow()
        .allow()
        .get(0)
        .identity();
  }

  @Test
  void reload_deeplyNestedFile_refusedAndLaterEditsStillApply() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("spiffe://cluster.local/ns/a/sa/worker", "x"));
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h = harness(file, g)) {
      Files.writeString(file, "service_name: [" + "[".repeat(50_000) + "]".repeat(50_000) + "]\n");
      assertFalse(g.get().reloadNow());
      // The watcher lives on: a valid edit (here, removing the worker) is applied.
      Files.writeString(file, config("spiffe://cluster.local/ns/a/sa/other", "x"));
      assertTrue(g.get().reloadNow());
      StatusRuntimeException e =
          expectFailure(
              () ->
                  h.stub(headers("x-test-identity", "spiffe://cluster.local/ns/a/sa/worker"))
                      .worker(Req.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
      assertEquals(0, h.handlerRuns());
      g.get().close();
    }
  }

  @Test
  void reload_invalidFile_lastGoodKeepsServing() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("spiffe://cluster.local/ns/a/sa/worker", "x"));
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h = harness(file, g)) {
      Files.writeString(file, config("spiffe://cluster.local/ns/a/sa/other", "x") + "bogus: 1\n");
      assertFalse(g.get().reloadNow());
      Files.writeString(file, "service_name: [");
      assertFalse(g.get().reloadNow());
      h.stub(headers("x-test-identity", "spiffe://cluster.local/ns/a/sa/worker"))
          .worker(Req.getDefaultInstance());
      assertEquals(1, h.handlerRuns());
      g.get().close();
    }
  }

  @Test
  void reload_restartOnlyField_refusedWhole() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("spiffe://cluster.local/ns/a/sa/worker", "x"));
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h = harness(file, g)) {
      Files.writeString(
          file, config("spiffe://cluster.local/ns/a/sa/other", "x").replace("trips", "billing"));
      assertFalse(g.get().reloadNow());
      Files.writeString(
          file, "dry_run: true\n" + config("spiffe://cluster.local/ns/a/sa/other", "x"));
      assertFalse(g.get().reloadNow());
      assertEquals("trips", g.get().currentConfig().serviceName());
      assertFalse(g.get().currentConfig().dryRun());
      StatusRuntimeException e =
          expectFailure(
              () ->
                  h.stub(headers("x-test-identity", "spiffe://cluster.local/ns/a/sa/other"))
                      .worker(Req.getDefaultInstance()));
      assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
      assertEquals(0, h.handlerRuns());
      g.get().close();
    }
  }

  @Test
  void reload_headerNameChanged_refusedOldHeaderKeepsWorking() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("spiffe://cluster.local/ns/a/sa/worker", "x"));
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h = harness(file, g)) {
      Files.writeString(
          file,
          config("spiffe://cluster.local/ns/a/sa/worker", "x")
              .replace("    trusted_proxies:", "    header: x-other\n    trusted_proxies:"));
      assertFalse(g.get().reloadNow());
      StatusRuntimeException e =
          expectFailure(
              () ->
                  h.stub(headers("x-other", "spiffe://cluster.local/ns/a/sa/worker"))
                      .worker(Req.getDefaultInstance()));
      assertEquals(AuthStatus.MISSING_TEXT, e.getStatus().getDescription());
      h.stub(headers("x-test-identity", "spiffe://cluster.local/ns/a/sa/worker"))
          .worker(Req.getDefaultInstance());
      assertEquals(1, h.handlerRuns());
      g.get().close();
    }
  }

  @Test
  void reload_removingTheOnlySource_refused() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, config("spiffe://cluster.local/ns/a/sa/worker", "x"));
    AtomicReference<ConfiguredGatehouse> g = new AtomicReference<>();
    try (ProbeHarness h = harness(file, g)) {
      Files.writeString(file, "service_name: trips\n");
      assertFalse(g.get().reloadNow());
      h.stub(headers("x-test-identity", "spiffe://cluster.local/ns/a/sa/worker"))
          .worker(Req.getDefaultInstance());
      assertEquals(1, h.handlerRuns());
      g.get().close();
    }
  }

  @Test
  void build_invalidFile_throwsBeforeAnything() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, "service_name: trips\nunknown: 1\n");
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                ConfiguredGatehouse.newBuilder()
                    .configFile(file)
                    .addSection(userProvider(() -> NO_USERS))
                    .addSection(meshProvider(lastBuilt::set))
                    .addService(new dev.gatehouse.test.v1.ProbeGrpc.ProbeImplBase() {})
                    .build());
    assertEquals("unknown", e.field());
  }

  @Test
  void build_internalMethodsWithoutSource_policyException() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, "service_name: trips\nuser_jwt: {}\n");
    PolicyException e =
        assertThrows(
            PolicyException.class,
            () ->
                ConfiguredGatehouse.newBuilder()
                    .configFile(file)
                    .addSection(userProvider(() -> NO_USERS))
                    .addSection(meshProvider(lastBuilt::set))
                    .addService(new dev.gatehouse.test.v1.ProbeGrpc.ProbeImplBase() {})
                    .build());
    assertTrue(e.getMessage().contains("gatehouse.test.v1.Probe/Worker"), e.getMessage());
  }
}
