package dev.gatehouse.testing;

import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A JWKS document served from a loopback HTTP server the test controls: publish keys, count
 * requests, answer 503 (down), answer slowly, or stop listening altogether.
 */
public final class JwksServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final AtomicInteger requests = new AtomicInteger();
  private volatile String body;
  private volatile boolean down;
  private volatile long delayMillis;

  private JwksServer(JWKSet keys) throws IOException {
    this.body = keys.toPublicJWKSet().toString();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/jwks.json",
        exchange -> {
          requests.incrementAndGet();
          try {
            if (delayMillis > 0) {
              Thread.sleep(delayMillis);
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            if (down) {
              exchange.sendResponseHeaders(503, -1);
            } else {
              exchange.getResponseHeaders().add("Content-Type", "application/json");
              exchange.sendResponseHeaders(200, bytes.length);
              try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
              }
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (IOException e) {
            // client gave up
          } finally {
            exchange.close();
          }
        });
    server.setExecutor(executor);
    server.start();
  }

  /** Starts serving {@code keys} (public parts only). */
  public static JwksServer start(JWKSet keys) throws IOException {
    return new JwksServer(keys);
  }

  /** The JWKS URL, {@code http://127.0.0.1:PORT/jwks.json}. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json";
  }

  /** Publishes a new key set. */
  public void publish(JWKSet keys) {
    this.body = keys.toPublicJWKSet().toString();
  }

  /** Publishes a raw document (for hygiene tests). */
  public void publishRaw(String json) {
    this.body = json;
  }

  /** While down, every request gets 503. */
  public void down(boolean down) {
    this.down = down;
  }

  /** Every answer is delayed by {@code delay}. */
  public void delay(Duration delay) {
    this.delayMillis = delay.toMillis();
  }

  /** How many requests reached the server. */
  public int requests() {
    return requests.get();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
