/**
 * A replay store on Redis or Valkey for {@code signed_token} replay protection shared by replicas:
 * {@link dev.gatehouse.replay.redis.RedisReplayStore}. In the configuration file, register {@link
 * dev.gatehouse.replay.redis.RedisReplayStore#provider()} with {@code
 * SignedTokenSection.provider(...)} and write {@code replay_store: { type: redis, uri: ... }}.
 */
package dev.gatehouse.replay.redis;
