package dev.gatehouse.examples.spring;

import io.grpc.netty.NettyServerBuilder;
import java.util.concurrent.TimeUnit;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.server.ServerBuilderCustomizer;

/**
 * The HTTP/2 limits every deployment should set (as the plain grpc-java example's ServerLimits):
 * grpc-java's defaults leave a rapid-reset flood, silent connections and unbounded connection
 * lifetimes unchecked. Set through Spring's server builder customizer. Inbound metadata stays at
 * grpc-java's 8 KiB default.
 */
@Configuration(proxyBeanMethods = false)
public class ServerLimitsConfiguration {
  static final int MAX_RST_PER_WINDOW = 200;
  static final int RST_WINDOW_SECONDS = 10;
  static final int HANDSHAKE_TIMEOUT_SECONDS = 20;
  static final int MAX_IDLE_MINUTES = 5;
  static final int MAX_AGE_MINUTES = 30;
  static final int MAX_AGE_GRACE_SECONDS = 60;
  static final int MAX_CALLS_PER_CONNECTION = 100;

  /** For Spring. */
  public ServerLimitsConfiguration() {}

  /** The limits, applied to the Netty server Spring builds. */
  @Bean
  public ServerBuilderCustomizer<NettyServerBuilder> serverLimits() {
    return builder ->
        builder
            .maxRstFramesPerWindow(MAX_RST_PER_WINDOW, RST_WINDOW_SECONDS)
            .handshakeTimeout(HANDSHAKE_TIMEOUT_SECONDS, TimeUnit.SECONDS)
            .maxConnectionIdle(MAX_IDLE_MINUTES, TimeUnit.MINUTES)
            .maxConnectionAge(MAX_AGE_MINUTES, TimeUnit.MINUTES)
            .maxConnectionAgeGrace(MAX_AGE_GRACE_SECONDS, TimeUnit.SECONDS)
            .maxConcurrentCallsPerConnection(MAX_CALLS_PER_CONNECTION);
  }
}
