package dev.gatehouse.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The loopback HTTP server of a {@link TestIdentityProvider}: serves the current JWKS document at
 * {@code /jwks.json} on 127.0.0.1, and on demand answers 500, refuses connections (stops listening,
 * then listens again on the same port) or answers slowly.
 */
final class JwksEndpoint {
  private final Supplier<String> document;
  private final AtomicInteger requests = new AtomicInteger();
  private final Object lock = new Object();
  private ExecutorService executor;
  private HttpServer server;
  private int port;
  private volatile boolean failing;
  private volatile long delayMillis;

  JwksEndpoint(Supplier<String> document) {
    this.document = document;
  }

  /**
   * Listens if not listening: on an ephemeral loopback port the first time, on the same port
   * afterwards (after {@link #stopListening()} or {@link #close()}).
   */
  void start() {
    synchronized (lock) {
      if (server == null) {
        listen(port);
      }
    }
  }

  private void listen(int onPort) {
    try {
      server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), onPort), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on 127.0.0.1:" + onPort, e);
    }
    executor = Executors.newCachedThreadPool(JwksEndpoint::daemon);
    server.createContext("/jwks.json", this::answer);
    server.setExecutor(executor);
    server.start();
    port = server.getAddress().getPort();
  }

  private static Thread daemon(Runnable r) {
    Thread t = new Thread(r, "gatehouse-testkit-jwks");
    t.setDaemon(true);
    return t;
  }

  private void answer(HttpExchange exchange) throws IOException {
    requests.incrementAndGet();
    try (exchange) {
      long delay = delayMillis;
      if (delay > 0) {
        Thread.sleep(delay);
      }
      if (failing) {
        exchange.sendResponseHeaders(500, -1);
        return;
      }
      byte[] bytes = document.get().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** {@code http://127.0.0.1:PORT/jwks.json}; starts the server if needed. */
  String url() {
    synchronized (lock) {
      if (port == 0) {
        listen(0);
      }
      return "http://127.0.0.1:" + port + "/jwks.json";
    }
  }

  void failing(boolean failing) {
    this.failing = failing;
  }

  void delay(Duration delay) {
    this.delayMillis = delay.toMillis();
  }

  /** Stops listening: connections to the port are refused until {@link #start()}. */
  void stopListening() {
    synchronized (lock) {
      if (server != null) {
        shutdown();
      }
    }
  }

  boolean listening() {
    synchronized (lock) {
      return server != null;
    }
  }

  int requests() {
    return requests.get();
  }

  void close() {
    synchronized (lock) {
      if (server != null) {
        shutdown();
      }
    }
  }

  private void shutdown() {
    server.stop(0);
    executor.shutdownNow();
    try {
      executor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server = null;
    executor = null;
  }
}
