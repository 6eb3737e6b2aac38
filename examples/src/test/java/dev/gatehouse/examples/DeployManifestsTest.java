package dev.gatehouse.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Parses every manifest under deploy/ and checks it agrees with trips.proto and the configuration
 * format.
 */
class DeployManifestsTest {
  static final Path DEPLOY = Path.of("deploy");
  private static final List<Map<?, ?>> DOCS = new ArrayList<>();

  @BeforeAll
  static void load() throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(DEPLOY)) {
      files = s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
    assertEquals(5, files.size(), files.toString());
    for (Path file : files) {
      for (Object doc : strict().loadAllFromString(Files.readString(file))) {
        if (doc != null) {
          DOCS.add(assertInstanceOf(Map.class, doc, file.toString()));
        }
      }
    }
  }

  private static Load strict() {
    return new Load(LoadSettings.builder().setAllowDuplicateKeys(false).build());
  }

  private static Map<?, ?> only(String kind, String name) {
    List<Map<?, ?>> found =
        DOCS.stream()
            .filter(d -> kind.equals(d.get("kind")))
            .filter(d -> name.equals(((Map<?, ?>) d.get("metadata")).get("name")))
            .toList();
    assertEquals(1, found.size(), kind + "/" + name);
    return found.get(0);
  }

  private static Object at(Object root, String... path) {
    Object o = root;
    for (String key : path) {
      o = key.matches("\\d+") ? ((List<?>) o).get(Integer.parseInt(key)) : ((Map<?, ?>) o).get(key);
    }
    return o;
  }

  private static String stringAt(Object root, String... path) {
    return (String) at(root, path);
  }

  private static Map<?, ?> mapAt(Object root, String... path) {
    return (Map<?, ?>) at(root, path);
  }

  private static List<?> listAt(Object root, String... path) {
    return (List<?>) at(root, path);
  }

  @Test
  void everyDocument_hasApiVersionKindNameAndTheTripsNamespace() {
    Set<String> kinds = new TreeSet<>();
    for (Map<?, ?> d : DOCS) {
      assertTrue(d.get("apiVersion") instanceof String, d.toString());
      String kind = (String) d.get("kind");
      kinds.add(kind);
      Map<?, ?> metadata = (Map<?, ?>) d.get("metadata");
      assertTrue(metadata.get("name") instanceof String, d.toString());
      if (!kind.equals("Namespace")) {
        assertEquals("trips", metadata.get("namespace"), kind);
      }
    }
    assertEquals(
        Set.of(
            "Namespace",
            "ConfigMap",
            "ServiceAccount",
            "Service",
            "Deployment",
            "PeerAuthentication",
            "AuthorizationPolicy",
            "EnvoyFilter"),
        kinds);
    only("Deployment", "trip-server");
    only("Deployment", "worker");
    only("Service", "trip-server");
    only("Service", "worker");
  }

  @Test
  void peerAuthentication_strictMutualTls() {
    assertEquals("STRICT", at(only("PeerAuthentication", "default"), "spec", "mtls", "mode"));
  }

  @Test
  void authorizationPolicy_onlyWorkerReachesExactlyTheInternalMethods() {
    Map<?, ?> policy = only("AuthorizationPolicy", "trip-server-internal-methods");
    assertEquals("DENY", at(policy, "spec", "action"));
    assertEquals(1, ((List<?>) at(policy, "spec", "rules")).size());
    assertEquals(
        List.of("cluster.local/ns/trips/sa/worker"),
        at(policy, "spec", "rules", "0", "from", "0", "source", "notPrincipals"));
    List<?> paths = listAt(policy, "spec", "rules", "0", "to", "0", "operation", "paths");

    Set<String> internal =
        TripServiceAuditTest.modesByMethod().entrySet().stream()
            .filter(e -> e.getValue().equals("internal"))
            .map(e -> "/" + e.getKey())
            .collect(Collectors.toSet());
    assertEquals(
        Set.of("/carsharing.v1.TripService/RecordTrip", "/carsharing.v1.TripService/EndTrip"),
        internal);
    assertEquals(internal, Set.copyOf(paths));
  }

  @Test
  void gatehouseConfig_meshIdentityTrustsOnlyTheSidecarAndAllowsTheWorker() {
    String text = stringAt(only("ConfigMap", "trip-server-gatehouse"), "data", "gatehouse.yaml");
    Map<?, ?> config = (Map<?, ?>) strict().loadFromString(text);

    assertTrue(
        Set.of(
                "service_name",
                "dev_mode",
                "clock_skew_seconds",
                "overrides",
                "user_jwt",
                "internal")
            .containsAll(config.keySet()),
        config.keySet().toString());
    assertEquals("trips", config.get("service_name"));
    assertEquals(false, config.get("dev_mode"));
    Map<?, ?> mesh = mapAt(config, "internal", "mesh_identity");
    assertEquals(List.of("127.0.0.6/32", "::6/128"), mesh.get("trusted_proxies"));
    assertEquals("XFCC", mesh.get("format"));
    assertEquals("x-forwarded-client-cert", mesh.get("header"));
    assertEquals(true, mesh.get("require_single_element"));
    assertEquals("spiffe://cluster.local/ns/trips/sa/trip-server", mesh.get("expected_by"));
    assertEquals(
        List.of(
            Map.of(
                "identity",
                "spiffe://cluster.local/ns/trips/sa/worker",
                "roles",
                List.of("trip-finisher"))),
        mesh.get("allow"));
    assertFalse(((Map<?, ?>) config.get("internal")).containsKey("shared_secret"));
    String jwks = stringAt(config, "user_jwt", "issuers", "0", "jwks_uri");
    assertTrue(jwks.startsWith("https://"), jwks);
  }

  @Test
  void tripServer_mountsTheConfigAndAsksTheSidecarToSanitizeXfcc() {
    Map<?, ?> deployment = only("Deployment", "trip-server");
    Map<?, ?> pod = mapAt(deployment, "spec", "template");
    String proxyConfig = stringAt(pod, "metadata", "annotations", "proxy.istio.io/config");
    assertTrue(proxyConfig.contains("forwardClientCertDetails: SANITIZE_SET"), proxyConfig);
    assertEquals("trip-server", at(pod, "spec", "serviceAccountName"));
    assertEquals("trip-server-gatehouse", at(pod, "spec", "volumes", "0", "configMap", "name"));
    List<?> args = listAt(pod, "spec", "containers", "0", "args");
    assertEquals("/etc/gatehouse/gatehouse.yaml", args.get(args.indexOf("--config") + 1));
    assertEquals(
        "worker",
        at(only("Deployment", "worker"), "spec", "template", "spec", "serviceAccountName"));

    Map<?, ?> filter = only("EnvoyFilter", "trip-server-xfcc");
    assertEquals("SIDECAR_INBOUND", at(filter, "spec", "configPatches", "0", "match", "context"));
    assertEquals(
        "SANITIZE_SET",
        at(
            filter,
            "spec",
            "configPatches",
            "0",
            "patch",
            "value",
            "typed_config",
            "forward_client_cert_details"));
  }
}
