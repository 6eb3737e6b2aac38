package dev.gatehouse.replay.redis;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.trust.jwt.ReplayStoreProvider;
import dev.gatehouse.trust.jwt.ReplayStoreSpec;
import java.time.Duration;
import java.util.Locale;

/**
 * Reads {@code replay_store: { type: redis, uri, key_prefix, timeout_ms, connect_timeout_ms,
 * pool_size, on_unavailable }}.
 */
final class RedisReplayStoreProvider implements ReplayStoreProvider {
  static final RedisReplayStoreProvider INSTANCE = new RedisReplayStoreProvider();
  static final String TYPE = "redis";

  private RedisReplayStoreProvider() {}

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public ReplayStoreSpec parse(ConfigNode node, GatehouseConfig topLevel) {
    String uri = node.requiredString("uri");
    RedisEndpoint endpoint;
    try {
      endpoint = RedisEndpoint.parse(uri);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(node.path("uri"), e.getMessage());
    }
    String prefix = node.string("key_prefix", "gatehouse:replay:" + topLevel.serviceName() + ":");
    if (!RedisReplayStore.Builder.validPrefix(prefix)) {
      throw new ConfigException(
          node.path("key_prefix"), "must be 1 to 128 printable ASCII characters without spaces");
    }
    long timeout =
        node.integer(
            "timeout_ms",
            RedisReplayStore.DEFAULT_TIMEOUT.toMillis(),
            1,
            RedisReplayStore.MAX_TIMEOUT.toMillis());
    long connectTimeout =
        node.integer(
            "connect_timeout_ms",
            RedisReplayStore.DEFAULT_CONNECT_TIMEOUT.toMillis(),
            1,
            RedisReplayStore.MAX_TIMEOUT.toMillis());
    long poolSize = node.integer("pool_size", RedisReplayStore.DEFAULT_POOL_SIZE, 1, 1024);
    String on = node.string("on_unavailable", "refuse");
    OnUnavailable onUnavailable =
        switch (on) {
          case "refuse" -> OnUnavailable.REFUSE;
          case "local_cache" -> OnUnavailable.LOCAL_CACHE;
          default ->
              throw new ConfigException(
                  node.path("on_unavailable"), "must be refuse or local_cache");
        };
    return new Spec(
        uri,
        endpoint.toString(),
        prefix,
        Duration.ofMillis(timeout),
        Duration.ofMillis(connectTimeout),
        (int) poolSize,
        onUnavailable);
  }

  @Override
  public String toString() {
    return "RedisReplayStore.provider()";
  }

  /** The parsed settings; {@code toString()} shows the redacted endpoint only. */
  record Spec(
      String uri,
      String redacted,
      String keyPrefix,
      Duration timeout,
      Duration connectTimeout,
      int poolSize,
      OnUnavailable onUnavailable)
      implements ReplayStoreSpec {
    @Override
    public String type() {
      return TYPE;
    }

    @Override
    public RedisReplayStore open() {
      return RedisReplayStore.newBuilder()
          .uri(uri)
          .keyPrefix(keyPrefix)
          .timeout(timeout)
          .connectTimeout(connectTimeout)
          .poolSize(poolSize)
          .onUnavailable(onUnavailable)
          .build();
    }

    @Override
    public String toString() {
      return "redis{"
          + redacted
          + ", key_prefix="
          + keyPrefix
          + ", timeout_ms="
          + timeout.toMillis()
          + ", connect_timeout_ms="
          + connectTimeout.toMillis()
          + ", pool_size="
          + poolSize
          + ", on_unavailable="
          + onUnavailable.name().toLowerCase(Locale.ROOT)
          + "}";
    }
  }
}
