package dev.gatehouse.examples.issuer;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * Publishes {@link IssuerKeys#publicKeys()} as a JWKS at {@code http://127.0.0.1:<port>/jwks.json}
 * (plain HTTP only on loopback, the one place Gatehouse accepts it), {@code Cache-Control: public,
 * max-age=60}. Every request reads the key ring, so rotations and expiries show at once.
 */
public final class JwksEndpoint implements AutoCloseable {
  private final HttpServer http;

  private JwksEndpoint(HttpServer http) {
    this.http = http;
  }

  /** Starts serving on 127.0.0.1, {@code port} 0 for an ephemeral one. */
  public static JwksEndpoint start(IssuerKeys keys, int port) throws IOException {
    requireNonNull(keys, "keys");
    HttpServer http =
        HttpServer.create(
            new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), port), 0);
    http.createContext(
        "/jwks.json",
        ex -> {
          try (ex) {
            if (!"GET".equals(ex.getRequestMethod())) {
              ex.sendResponseHeaders(405, -1);
              return;
            }
            byte[] body = keys.publicKeys().toString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.getResponseHeaders().add("Cache-Control", "public, max-age=60");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
              out.write(body);
            }
          }
        });
    http.start();
    return new JwksEndpoint(http);
  }

  /** The JWKS URL, {@code http://127.0.0.1:<port>/jwks.json}. */
  public String url() {
    return "http://127.0.0.1:" + http.getAddress().getPort() + "/jwks.json";
  }

  @Override
  public void close() {
    http.stop(0);
  }
}
