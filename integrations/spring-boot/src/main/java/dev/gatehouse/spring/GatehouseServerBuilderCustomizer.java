package dev.gatehouse.spring;

import static java.util.Objects.requireNonNull;

import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import org.springframework.grpc.server.ServerBuilderCustomizer;

/**
 * Installs the Gatehouse chain's global form on the server builder ({@link
 * ServerBuilder#intercept}): it then runs for every call to every service on the server, before any
 * per-service interceptor (Spring's global interceptors are per service), and an interceptor filter
 * cannot take it off a service. Ordered last among customizers, so it is the outermost server-level
 * interceptor too.
 *
 * @param <T> the server builder type
 */
public final class GatehouseServerBuilderCustomizer<T extends ServerBuilder<T>>
    implements ServerBuilderCustomizer<T> {
  private final ServerInterceptor chain;

  /** Wraps the chain's global form. */
  public GatehouseServerBuilderCustomizer(ServerInterceptor chain) {
    this.chain = requireNonNull(chain, "chain");
  }

  @Override
  public void customize(T serverBuilder) {
    serverBuilder.intercept(chain);
  }
}
