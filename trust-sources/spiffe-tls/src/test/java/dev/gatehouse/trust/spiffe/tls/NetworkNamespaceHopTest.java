package dev.gatehouse.trust.spiffe.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.spiffe.tls.Pki.Issued;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client and server across a real network hop: two network namespaces this test creates (unique
 * names per run), joined by a veth pair with addresses that exist only inside them ({@code
 * 10.231.N.1/30} and {@code .2/30}); nothing is routed anywhere else. The server and client are
 * child JVMs started with {@code ip netns exec} ({@link NetnsServerMain}, {@link NetnsClientMain})
 * on this test's classpath, exchanging certificates, keys and a JWT-SVID through a temp dir. The
 * namespaces are always deleted.
 *
 * <p>Needs root and {@code ip netns}: otherwise the test is skipped with the reason, and when the
 * environment variable {@code CI} is set a {@code [netns] SKIPPED: <reason>} line goes to stdout.
 */
class NetworkNamespaceHopTest {
  private static final SecureRandom RANDOM = new SecureRandom();

  @TempDir Path dir;

  @Test
  void mtlsJwtSvidAndMeshIdentity_acrossAVethHopBetweenNamespaces() throws Exception {
    String skip = missingPrivilege();
    if (skip != null) {
      if (System.getenv("CI") != null) {
        System.out.println("[netns] SKIPPED: " + skip);
      }
      Assumptions.abort("network namespaces unavailable: " + skip);
    }
    String run =
        Long.toHexString(ProcessHandle.current().pid())
            + Integer.toHexString(RANDOM.nextInt(0x1000));
    String nsServer = "gh-s-" + run;
    String nsClient = "gh-c-" + run;
    String vethServer = "ghs" + run.substring(Math.max(0, run.length() - 10));
    String vethClient = "ghc" + run.substring(Math.max(0, run.length() - 10));
    int subnet = RANDOM.nextInt(256);
    String serverAddr = "10.231." + subnet + ".1";
    String clientAddr = "10.231." + subnet + ".2";

    writeMaterial();
    List<Process> children = new ArrayList<>();
    try {
      ip("netns", "add", nsServer);
      ip("netns", "add", nsClient);
      ip("link", "add", vethServer, "type", "veth", "peer", "name", vethClient);
      ip("link", "set", vethServer, "netns", nsServer);
      ip("link", "set", vethClient, "netns", nsClient);
      ip("-n", nsServer, "addr", "add", serverAddr + "/30", "dev", vethServer);
      ip("-n", nsClient, "addr", "add", clientAddr + "/30", "dev", vethClient);
      ip("-n", nsServer, "link", "set", vethServer, "up");
      ip("-n", nsClient, "link", "set", vethClient, "up");
      ip("-n", nsServer, "link", "set", "lo", "up");
      ip("-n", nsClient, "link", "set", "lo", "up");

      Process server =
          java(nsServer, NetnsServerMain.class, dir.resolve("server.log"), serverAddr, clientAddr);
      children.add(server);
      awaitReady(server);

      Process client =
          java(nsClient, NetnsClientMain.class, dir.resolve("client.log"), serverAddr, clientAddr);
      children.add(client);
      assertTrue(
          client.waitFor(60, TimeUnit.SECONDS), "client did not finish: " + log("client.log"));
      String out = log("client.log");
      assertEquals(0, client.exitValue(), out + "\nserver:\n" + log("server.log"));
      assertTrue(out.contains("[netns-client] OK"), out);
      assertTrue(
          out.contains("peer_certificate: " + NetnsServerMain.WORKER + " from /" + clientAddr),
          out);
      assertTrue(out.contains("spiffe_jwt: " + NetnsServerMain.JWT_CALLER), out);
      assertTrue(out.contains("mesh_identity: " + NetnsServerMain.MESH_CALLER), out);
    } finally {
      for (Process p : children) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      quietly("netns", "del", nsServer);
      quietly("netns", "del", nsClient);
    }
    assertTrue(!namespaces().contains(nsServer) && !namespaces().contains(nsClient), "cleaned up");
  }

  /** Null when this process can create network namespaces, otherwise why not. */
  private static String missingPrivilege() {
    if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      return "not Linux";
    }
    try {
      Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
      String uid = new String(id.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      id.waitFor(10, TimeUnit.SECONDS);
      if (!uid.equals("0")) {
        return "not root (uid " + uid + ")";
      }
    } catch (IOException | InterruptedException e) {
      return "cannot run id -u: " + e.getMessage();
    }
    String probe = "gh-probe-" + Long.toHexString(RANDOM.nextLong() & 0xffffffffL);
    try {
      Process add =
          new ProcessBuilder("ip", "netns", "add", probe).redirectErrorStream(true).start();
      String out = new String(add.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!add.waitFor(10, TimeUnit.SECONDS) || add.exitValue() != 0) {
        return "ip netns add failed: " + out;
      }
    } catch (IOException e) {
      return "no ip command: " + e.getMessage();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
    quietly("netns", "del", probe);
    return null;
  }

  private void writeMaterial() throws IOException {
    Issued ca = Pki.ca(NetnsServerMain.TD);
    Path server = Files.createDirectory(dir.resolve("server"));
    Path client = Files.createDirectory(dir.resolve("client"));
    Pki.writeHelperLayout(server, Pki.svid(ca, NetnsServerMain.SERVER_ID), List.of(ca.cert()));
    Pki.writeHelperLayout(client, Pki.svid(ca, NetnsServerMain.WORKER), List.of(ca.cert()));
    ECKey jwtKey = TestTokens.ecKey("netns-1");
    Files.writeString(
        dir.resolve("jwt-bundle.json"),
        new JWKSet(jwtKey.toPublicJWK()).toString(),
        StandardCharsets.UTF_8);
    Map<String, Object> claims = new LinkedHashMap<>();
    long now = Instant.now().getEpochSecond();
    claims.put("sub", NetnsServerMain.JWT_CALLER);
    claims.put("aud", NetnsServerMain.SERVER_ID);
    claims.put("iat", now);
    claims.put("exp", now + 600);
    Files.writeString(
        dir.resolve("jwt-svid.token"),
        TestTokens.sign(jwtKey, TestTokens.header("ES256", "netns-1"), claims),
        StandardCharsets.US_ASCII);
  }

  private Process java(String ns, Class<?> main, Path log, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.addAll(List.of("ip", "netns", "exec", ns));
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.add(dir.toString());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private void awaitReady(Process server) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(dir.resolve("server.ready"))) {
      if (!server.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError("server did not start: " + log("server.log"));
      }
      Thread.sleep(50);
    }
  }

  private String log(String name) throws IOException {
    Path p = dir.resolve(name);
    return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "(no " + name + ")";
  }

  private static void ip(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("ip"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "timed out: " + cmd);
    assertEquals(0, p.exitValue(), cmd + ": " + out);
  }

  private static void quietly(String... args) {
    try {
      ip(args);
    } catch (Exception | AssertionError e) {
      // best effort: the namespace may not have been created
    }
  }

  private static String namespaces() throws Exception {
    Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    return out;
  }
}
