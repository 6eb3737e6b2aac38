package dev.gatehouse.replay.redis;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} on 127.0.0.1 on a free port, in a temporary directory, without
 * persistence; stopped (and startable again on the same port) by the test. Where {@code
 * redis-server} is not installed the test is skipped, naming {@code scripts/install-test-tools.sh},
 * except under CI (environment variable {@code CI} set), where it fails.
 */
final class RedisServer implements AutoCloseable {
  private static final Duration DEADLINE = Duration.ofSeconds(20);

  private final Path binary;
  private final Path dir;
  private final int port;
  private Process process;

  private RedisServer(Path binary, Path dir, int port) {
    this.binary = binary;
    this.dir = dir;
    this.port = port;
  }

  /** Starts one, or skips (fails under CI) when {@code redis-server} is absent. */
  static RedisServer start(Path dir) throws Exception {
    Path binary = find();
    RedisServer s = new RedisServer(binary, dir, freePort());
    s.startProcess();
    return s;
  }

  private static Path find() {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":", -1)) {
      Path p = Path.of(d.isEmpty() ? "." : d, "redis-server");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    Path p = Path.of("/usr/bin/redis-server");
    if (Files.isExecutable(p)) {
      return p;
    }
    String message =
        "redis-server is not installed; run scripts/install-test-tools.sh (as root) to install it";
    if (System.getenv("CI") != null) {
      fail(message + " (CI is set: the Redis tests must run)");
    }
    assumeTrue(false, message);
    throw new AssertionError("unreachable");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s =
        new ServerSocket(0, 1, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}))) {
      return s.getLocalPort();
    }
  }

  int port() {
    return port;
  }

  String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts the server (again) and waits until it answers PING. */
  void startProcess() throws Exception {
    Files.createDirectories(dir);
    process =
        new ProcessBuilder(
                List.of(
                    binary.toString(),
                    "--port",
                    Integer.toString(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    dir.toString(),
                    "--protected-mode",
                    "yes",
                    "--maxmemory-policy",
                    "noeviction"))
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("redis-" + port + ".log").toFile())
            .start();
    Instant until = Instant.now().plus(DEADLINE);
    while (Instant.now().isBefore(until)) {
      if (!process.isAlive()) {
        fail("redis-server exited: " + Files.readString(dir.resolve("redis-" + port + ".log")));
      }
      try {
        if (command("PING").startsWith("+PONG")) {
          return;
        }
      } catch (IOException notYet) {
        // Not listening yet.
      }
      Thread.sleep(20);
    }
    fail("redis-server did not answer PING within " + DEADLINE);
  }

  /** Stops the server and waits until the port refuses connections. */
  void stopProcess() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
        boolean gone = process.destroyForcibly().waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS);
        if (!gone) {
          throw new IllegalStateException("redis-server on port " + port + " did not stop");
        }
      }
    }
  }

  /** Sends one inline command and returns the first reply line (RESP), e.g. {@code :42}. */
  String command(String... args) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(
          new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port), 2_000);
      s.setSoTimeout(2_000);
      StringBuilder req = new StringBuilder("*").append(args.length).append("\r\n");
      for (String a : args) {
        req.append('$')
            .append(a.getBytes(StandardCharsets.UTF_8).length)
            .append("\r\n")
            .append(a)
            .append("\r\n");
      }
      s.getOutputStream().write(req.toString().getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = s.getInputStream().read()) >= 0 && c != '\n') {
        if (c != '\r') {
          line.append((char) c);
        }
      }
      return line.toString();
    }
  }

  /** The remaining time to live of {@code key} in milliseconds (PTTL; -2 when absent). */
  long pttl(String key) throws IOException {
    String r = command("PTTL", key);
    return Long.parseLong(r.substring(1));
  }

  @Override
  public void close() {
    try {
      stopProcess();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
