package dev.gatehouse.trust.jwt;

import dev.gatehouse.config.ConfigNode;
import dev.gatehouse.config.GatehouseConfig;

/**
 * SPI: reads one {@code type} of {@code internal.signed_token.replay_store} in the configuration
 * file. Registered explicitly with {@link SignedTokenSection#provider(ReplayStoreProvider...)},
 * never discovered from the class path; the built-in type {@code memory} (the default) needs none.
 * A file naming a type no registered provider reads is refused at startup at {@code
 * internal.signed_token.replay_store.type}.
 *
 * <pre>{@code
 * .addSection(SignedTokenSection.provider(RedisReplayStore.provider()))   // gatehouse-replay-redis
 * }</pre>
 */
public interface ReplayStoreProvider {
  /** The {@code type} value this provider reads, e.g. {@code redis}: lower-case letters, digits. */
  String type();

  /**
   * Parses and validates the {@code replay_store} mapping ({@code type} already read). Every error
   * is a {@link dev.gatehouse.config.ConfigException} naming the field (via the node's getters) and
   * never quoting a secret; unknown fields are refused by the caller after this returns. Opens no
   * connection.
   *
   * @param node the {@code replay_store} mapping
   * @param topLevel the file's top-level settings (for example {@code service_name})
   */
  ReplayStoreSpec parse(ConfigNode node, GatehouseConfig topLevel);
}
