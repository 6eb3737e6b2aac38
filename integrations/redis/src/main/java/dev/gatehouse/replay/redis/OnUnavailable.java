package dev.gatehouse.replay.redis;

/**
 * What a {@link RedisReplayStore} answers while Redis cannot be reached or does not answer within
 * its timeouts. A token is never accepted without some replay check.
 */
public enum OnUnavailable {
  /**
   * The default: the call is refused with {@code UNAVAILABLE} ("credentials cannot be verified,
   * retry later"), so no replica accepts a token it cannot check across replicas. Calls resume as
   * soon as Redis answers again, without a restart.
   */
  REFUSE,
  /**
   * Opt-in: check the token against a cache in this process instead (the protection Gatehouse gives
   * without a shared store: a token is accepted at most once per replica), logging a WARNING when
   * Redis becomes unreachable. Trades cross-replica protection for availability during an outage;
   * entries made during the outage are not copied to Redis afterwards.
   */
  LOCAL_CACHE
}
