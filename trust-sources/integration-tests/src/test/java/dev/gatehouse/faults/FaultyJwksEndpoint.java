package dev.gatehouse.faults;

import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A JWKS endpoint on 127.0.0.1 whose behaviour the test switches while it runs: serve the keys,
 * refuse connections (nothing listens on the port), answer HTTP 500, answer 200 with a body that is
 * not JSON, answer 200 with a 50 MB body, accept the request and answer nothing for 30 s, or serve
 * the keys slowly. The port stays the same across modes, so the URL in a configuration stays valid.
 */
final class FaultyJwksEndpoint implements AutoCloseable {
  /** What the endpoint does with the next request. */
  enum Mode {
    SERVE,
    DOWN,
    HTTP_500,
    GARBAGE,
    HUGE,
    HANG,
    SLOW
  }

  /** Size of the {@link Mode#HUGE} body. */
  static final long HUGE_BYTES = 50L * 1024 * 1024;

  static final long HANG_MILLIS = 30_000;

  private final int port;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicLong largestHugeBytesSent = new AtomicLong();
  private volatile String body;
  private volatile Mode mode = Mode.SERVE;
  private volatile long slowMillis = 2_000;
  private volatile CountDownLatch hangRelease = new CountDownLatch(1);
  private HttpServer server;

  private FaultyJwksEndpoint(JWKSet keys) throws IOException {
    this.body = keys.toPublicJWKSet().toString();
    this.server = bind(0);
    this.port = server.getAddress().getPort();
  }

  /** Starts serving {@code keys} (public parts only). */
  static FaultyJwksEndpoint start(JWKSet keys) throws IOException {
    return new FaultyJwksEndpoint(keys);
  }

  private HttpServer bind(int onPort) throws IOException {
    HttpServer s =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 50);
    s.createContext("/jwks.json", this::handle);
    s.setExecutor(executor);
    s.start();
    return s;
  }

  private void handle(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    try {
      switch (mode) {
        case SERVE -> send(exchange, 200, body.getBytes(StandardCharsets.UTF_8));
        case HTTP_500 ->
            send(exchange, 500, "{\"error\":\"internal\"}".getBytes(StandardCharsets.UTF_8));
        case GARBAGE ->
            send(exchange, 200, "<html>{{{ not a key set".getBytes(StandardCharsets.UTF_8));
        case HUGE -> sendHuge(exchange);
        case HANG -> {
          try {
            hangRelease.await(HANG_MILLIS, TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          send(exchange, 200, body.getBytes(StandardCharsets.UTF_8));
        }
        case SLOW -> {
          try {
            Thread.sleep(slowMillis);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          send(exchange, 200, body.getBytes(StandardCharsets.UTF_8));
        }
        case DOWN -> exchange.close(); // not reached: nothing listens while down
      }
    } catch (IOException e) {
      // the client gave up (size cap, timeout): expected
    } finally {
      exchange.close();
    }
  }

  private static void send(HttpExchange exchange, int status, byte[] bytes) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** 50 MB announced and streamed; records how much was written before the client hung up. */
  private void sendHuge(HttpExchange exchange) throws IOException {
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(200, HUGE_BYTES);
    byte[] chunk = new byte[64 * 1024];
    Arrays.fill(chunk, (byte) ' ');
    chunk[0] = '{';
    long sent = 0;
    try (OutputStream out = exchange.getResponseBody()) {
      while (sent < HUGE_BYTES) {
        out.write(chunk);
        sent += chunk.length;
        chunk[0] = ' ';
        largestHugeBytesSent.accumulateAndGet(sent, Math::max);
      }
    }
  }

  /** The JWKS URL, {@code http://127.0.0.1:PORT/jwks.json}. */
  String url() {
    return "http://127.0.0.1:" + port + "/jwks.json";
  }

  /** Publishes a new key set (served in {@link Mode#SERVE}). */
  void publish(JWKSet keys) {
    this.body = keys.toPublicJWKSet().toString();
  }

  /** Switches the behaviour; leaving {@link Mode#HANG} releases the hung requests. */
  synchronized void mode(Mode next) throws IOException {
    Mode previous = this.mode;
    if (previous == next) {
      return;
    }
    if (previous == Mode.HANG) {
      hangRelease.countDown();
      hangRelease = new CountDownLatch(1);
    }
    this.mode = next;
    if (next == Mode.DOWN) {
      server.stop(0);
      server = null;
    } else if (previous == Mode.DOWN) {
      server = rebind();
    }
  }

  private HttpServer rebind() throws IOException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        return bind(port);
      } catch (BindException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(50);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  /** How long {@link Mode#SLOW} takes to answer. */
  void slowness(Duration delay) {
    this.slowMillis = delay.toMillis();
  }

  /** How many requests reached the endpoint. */
  int requests() {
    return requests.get();
  }

  /** The most bytes of one {@link Mode#HUGE} body written before the client stopped reading. */
  long largestHugeBytesSent() {
    return largestHugeBytesSent.get();
  }

  @Override
  public synchronized void close() {
    hangRelease.countDown();
    if (server != null) {
      server.stop(0);
    }
    executor.shutdownNow();
  }
}
