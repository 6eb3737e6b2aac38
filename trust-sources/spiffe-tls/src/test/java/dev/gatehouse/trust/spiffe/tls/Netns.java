package dev.gatehouse.trust.spiffe.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Two network namespaces joined by a veth pair, for tests that need a real network hop: unique
 * names per run, addresses {@code 10.231.N.1/30} (server side) and {@code .2/30} (client side) that
 * exist only inside them, loopback up in both; nothing is routed anywhere else. {@link #close()}
 * kills the child JVMs started with {@link #java} and deletes both namespaces. Shared with
 * gatehouse-spiffe-workload's tests through this module's test-jar.
 */
public final class Netns implements AutoCloseable {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** The server side's namespace. */
  public final String serverNs;

  /** The client side's namespace. */
  public final String clientNs;

  /** The server side's address ({@code 10.231.N.1}). */
  public final String serverAddr;

  /** The client side's address ({@code 10.231.N.2}). */
  public final String clientAddr;

  private final List<Process> children = new ArrayList<>();

  private Netns(String serverNs, String clientNs, String serverAddr, String clientAddr) {
    this.serverNs = serverNs;
    this.clientNs = clientNs;
    this.serverAddr = serverAddr;
    this.clientAddr = clientAddr;
  }

  /**
   * Aborts the calling test (skipped, with the reason) when this process cannot create network
   * namespaces; with the environment variable {@code CI} set it also prints {@code [netns] SKIPPED:
   * <reason>} to stdout.
   */
  public static void assumeAvailable() {
    String skip = missingPrivilege();
    if (skip != null) {
      if (System.getenv("CI") != null) {
        System.out.println("[netns] SKIPPED: " + skip);
      }
      Assumptions.abort("network namespaces unavailable: " + skip);
    }
  }

  /** Creates the namespaces and the veth pair; close it to delete them. */
  public static Netns create() throws Exception {
    String run =
        Long.toHexString(ProcessHandle.current().pid())
            + Integer.toHexString(RANDOM.nextInt(0x1000));
    String vethServer = "ghs" + run.substring(Math.max(0, run.length() - 10));
    String vethClient = "ghc" + run.substring(Math.max(0, run.length() - 10));
    int subnet = RANDOM.nextInt(256);
    Netns n =
        new Netns(
            "gh-s-" + run, "gh-c-" + run, "10.231." + subnet + ".1", "10.231." + subnet + ".2");
    try {
      ip("netns", "add", n.serverNs);
      ip("netns", "add", n.clientNs);
      ip("link", "add", vethServer, "type", "veth", "peer", "name", vethClient);
      ip("link", "set", vethServer, "netns", n.serverNs);
      ip("link", "set", vethClient, "netns", n.clientNs);
      ip("-n", n.serverNs, "addr", "add", n.serverAddr + "/30", "dev", vethServer);
      ip("-n", n.clientNs, "addr", "add", n.clientAddr + "/30", "dev", vethClient);
      ip("-n", n.serverNs, "link", "set", vethServer, "up");
      ip("-n", n.clientNs, "link", "set", vethClient, "up");
      ip("-n", n.serverNs, "link", "set", "lo", "up");
      ip("-n", n.clientNs, "link", "set", "lo", "up");
    } catch (Exception | AssertionError e) {
      n.close();
      throw e;
    }
    return n;
  }

  /**
   * Starts {@code main} in namespace {@code ns} as a child JVM on this JVM's class path, with
   * arguments {@code dir} and {@code args}, stdout and stderr to {@code log}.
   */
  public Process java(String ns, Class<?> main, Path dir, Path log, String... args)
      throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.add(dir.toString());
    cmd.addAll(List.of(args));
    Process p =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    children.add(p);
    return p;
  }

  /** Waits until {@code ready} exists, failing with {@code log} if the process died first. */
  public static void awaitFile(Process process, Path ready, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(ready)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        throw new AssertionError(ready.getFileName() + " not written: " + read(log));
      }
      Thread.sleep(50);
    }
  }

  /** The file's text, or a note that it does not exist. */
  public static String read(Path file) throws IOException {
    return Files.exists(file)
        ? Files.readString(file, StandardCharsets.UTF_8)
        : "(no " + file.getFileName() + ")";
  }

  /** Whether both namespaces are gone. */
  public boolean deleted() throws Exception {
    Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    return !out.contains(serverNs) && !out.contains(clientNs);
  }

  /** Kills the children and deletes both namespaces (best effort). */
  @Override
  public void close() {
    for (Process p : children) {
      try {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    quietly("netns", "del", serverNs);
    quietly("netns", "del", clientNs);
  }

  /** Null when this process can create network namespaces, otherwise why not. */
  static String missingPrivilege() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
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
}
