package dev.gatehouse.client;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Publishes a service's public signing keys as a JWKS document (RFC 7517 {@code {"keys": [...]}})
 * for the servers that verify its tokens: the current key, a key published ahead of use, and the
 * previous key during its retention after a rotation.
 *
 * <pre>{@code
 * HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 9001), 0);
 * http.createContext("/jwks.json", JwksPublisher.create(keySource).httpHandler());
 * http.start();
 * }</pre>
 *
 * <p>Every key is rebuilt from its public parameters with {@code kid}, {@code alg} and {@code use:
 * sig}; private members never appear. The handler answers {@code GET} only ({@code 405} with {@code
 * Allow: GET} otherwise), with {@code application/jwk-set+json} when the client accepts it and
 * {@code application/json} otherwise, and {@code Cache-Control: public, max-age=N} (default 60 s).
 * Serve it over TLS or on a trusted network: whoever can change this document can mint tokens that
 * the verifiers accept as this service.
 */
public final class JwksPublisher {
  static final String JWK_SET_TYPE = "application/jwk-set+json";
  static final String JSON_TYPE = "application/json";

  private final SigningKeySource keySource;
  private final long maxAgeSeconds;

  private JwksPublisher(SigningKeySource keySource, long maxAgeSeconds) {
    this.keySource = keySource;
    this.maxAgeSeconds = maxAgeSeconds;
  }

  /** Publishes {@code keySource}'s keys with the default {@code max-age} of 60 s. */
  public static JwksPublisher create(SigningKeySource keySource) {
    return newBuilder().keySource(keySource).build();
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * The JWKS document now (UTF-8 JSON). Checks the key file first when its interval has passed, so
   * a rotated key is published even when no call is made.
   */
  public byte[] jwksBytes() {
    keySource.refreshIfDue();
    List<JWK> keys = new ArrayList<>();
    for (JWK jwk : keySource.publicKeys(keySource.clock().instant())) {
      keys.add(jwk.toPublicJWK());
    }
    return new JWKSet(keys).toString(true).getBytes(StandardCharsets.UTF_8);
  }

  /** The {@code Cache-Control} max-age, in seconds. */
  public long maxAgeSeconds() {
    return maxAgeSeconds;
  }

  /** An HTTP handler serving {@link #jwksBytes()}; see the class documentation. */
  public HttpHandler httpHandler() {
    return this::handle;
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      if (!"GET".equals(exchange.getRequestMethod())) {
        exchange.getResponseHeaders().set("Allow", "GET");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      byte[] body = jwksBytes();
      String accept = exchange.getRequestHeaders().getFirst("Accept");
      boolean jwkSet = accept != null && accept.toLowerCase(Locale.ROOT).contains(JWK_SET_TYPE);
      exchange.getResponseHeaders().set("Content-Type", jwkSet ? JWK_SET_TYPE : JSON_TYPE);
      exchange.getResponseHeaders().set("Cache-Control", "public, max-age=" + maxAgeSeconds);
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Builds a {@link JwksPublisher}. */
  public static final class Builder {
    private SigningKeySource keySource;
    private Duration maxAge = Duration.ofSeconds(60);

    private Builder() {}

    /** The keys to publish. Required. */
    public Builder keySource(SigningKeySource keySource) {
      this.keySource = requireNonNull(keySource, "keySource");
      return this;
    }

    /**
     * The {@code Cache-Control} max-age; default 60 s, at most 1 hour. Keep it below the key
     * source's activation delay when relying on caches to pick up a new key.
     */
    public Builder maxAge(Duration maxAge) {
      this.maxAge = requireNonNull(maxAge, "maxAge");
      return this;
    }

    /**
     * Builds the publisher.
     *
     * @throws IllegalArgumentException without a key source or with max-age out of range
     */
    public JwksPublisher build() {
      if (keySource == null) {
        throw new IllegalArgumentException("keySource must be set");
      }
      if (maxAge.isNegative() || maxAge.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("maxAge must be between 0 and 1 hour");
      }
      return new JwksPublisher(keySource, maxAge.toSeconds());
    }
  }
}
