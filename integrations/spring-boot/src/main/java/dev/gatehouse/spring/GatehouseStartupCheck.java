package dev.gatehouse.spring;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.policy.PolicyException;
import io.grpc.Server;
import java.util.logging.Logger;
import org.springframework.context.ApplicationListener;
import org.springframework.grpc.server.lifecycle.GrpcServerStartedEvent;

/**
 * Runs {@link ConfiguredGatehouse#verify(Server)} on every gRPC server Spring starts. A server that
 * serves a method Gatehouse did not resolve (a service added by a server customizer, say) is shut
 * down at once and startup fails with the {@link PolicyException} naming the methods.
 */
public final class GatehouseStartupCheck implements ApplicationListener<GrpcServerStartedEvent> {
  private static final Logger logger = Logger.getLogger(GatehouseStartupCheck.class.getName());

  private final ConfiguredGatehouse gatehouse;

  /** Checks servers against {@code gatehouse}. */
  public GatehouseStartupCheck(ConfiguredGatehouse gatehouse) {
    this.gatehouse = requireNonNull(gatehouse, "gatehouse");
  }

  @Override
  public void onApplicationEvent(GrpcServerStartedEvent event) {
    Server server = event.getServer();
    try {
      gatehouse.verify(server);
    } catch (RuntimeException e) {
      server.shutdownNow();
      throw e;
    }
    logger.info(
        "gatehouse: every method on the gRPC server on port "
            + event.getPort()
            + " is resolved and behind the chain");
  }
}
