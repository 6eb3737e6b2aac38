package dev.gatehouse.examples.server;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/2 limits the example servers set, and every deployment should: grpc-java's defaults
 * leave a rapid-reset flood, silent connections and unbounded connection lifetimes unchecked.
 *
 * <ul>
 *   <li>rapid reset: at most {@value #MAX_RST_PER_WINDOW} RST_STREAM frames per {@value
 *       #RST_WINDOW_SECONDS} s on one connection, then GOAWAY;
 *   <li>a connection that completes no handshake (sends no HTTP/2 preface) is closed after {@value
 *       #HANDSHAKE_TIMEOUT_SECONDS} s;
 *   <li>an idle connection (no call) is closed after {@value #MAX_IDLE_MINUTES} min, any connection
 *       after {@value #MAX_AGE_MINUTES} min (with {@value #MAX_AGE_GRACE_SECONDS} s for running
 *       calls), so clients rebalance and reconnect under fresh credentials;
 *   <li>at most {@value #MAX_CALLS_PER_CONNECTION} concurrent calls per connection;
 *   <li>inbound metadata stays at grpc-java's 8 KiB default: raise it only as far as a sidecar
 *       forwarding certificates in {@code x-forwarded-client-cert} needs.
 * </ul>
 *
 * <p>grpc-java has no limit on empty DATA frames on one stream; a proxy in front (Envoy's overload
 * manager, a mesh sidecar) must bound those.
 */
public final class ServerLimits {
  static final int MAX_RST_PER_WINDOW = 200;
  static final int RST_WINDOW_SECONDS = 10;
  static final int HANDSHAKE_TIMEOUT_SECONDS = 20;
  static final int MAX_IDLE_MINUTES = 5;
  static final int MAX_AGE_MINUTES = 30;
  static final int MAX_AGE_GRACE_SECONDS = 60;
  static final int MAX_CALLS_PER_CONNECTION = 100;

  private ServerLimits() {}

  /** Applies the limits to {@code builder} and returns it. */
  public static NettyServerBuilder apply(NettyServerBuilder builder) {
    builder
        .maxRstFramesPerWindow(MAX_RST_PER_WINDOW, RST_WINDOW_SECONDS)
        .handshakeTimeout(HANDSHAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    return builder
        .maxConnectionIdle(MAX_IDLE_MINUTES, TimeUnit.MINUTES)
        .maxConnectionAge(MAX_AGE_MINUTES, TimeUnit.MINUTES)
        .maxConnectionAgeGrace(MAX_AGE_GRACE_SECONDS, TimeUnit.SECONDS)
        .maxConcurrentCallsPerConnection(MAX_CALLS_PER_CONNECTION);
  }
}
