package dev.gatehouse.trust.jwt;

import java.time.Instant;

/**
 * Where {@link SignedTokenTrustSource} remembers the token identifiers ({@code jti}) it has
 * accepted, so that each is accepted once. The default, {@link #inMemory(int)}, is a bounded map in
 * this process: N replicas each with their own accept one token up to N times. A store shared by
 * every replica (for example {@code RedisReplayStore} of {@code gatehouse-replay-redis}) closes
 * that gap.
 *
 * <p>The one operation is an atomic insert-if-absent of the key ({@code issuer}, {@code jti}) with
 * an expiry: of all concurrent and later calls with the same key before {@code expiresAt}, exactly
 * one gets {@link Result#FIRST_USE}. The source passes the token's {@code exp} plus the largest
 * clock skew there can be (120 s) as {@code expiresAt}, so no configuration could still accept the
 * token once its entry is gone.
 *
 * <p>Implementations are thread-safe, never throw from {@link #insertIfAbsent} for an unreachable
 * backend (they answer {@link Result#UNAVAILABLE}; the source also treats an exception that escapes
 * as {@code UNAVAILABLE}), bound the time one call may block (the chain runs on the calling
 * thread), and never log the key material in clear: a store that keeps keys outside the process
 * stores a hash of them.
 */
public interface ReplayStore extends AutoCloseable {
  /** What {@link #insertIfAbsent} found. */
  enum Result {
    /** The key was not present and is now recorded until its expiry: accept the token. */
    FIRST_USE,
    /** The key is present and not expired: refuse the token ({@code REPLAYED}). */
    REPLAYED,
    /**
     * The store is full of unexpired keys and recorded nothing: refuse the token ({@code
     * REPLAYED}). Never answered by evicting an unexpired key, which would re-open its replay
     * window.
     */
    FULL,
    /**
     * The store cannot answer right now (unreachable, timed out, refused the write): the call is
     * answered {@code UNAVAILABLE}, never accepted.
     */
    UNAVAILABLE
  }

  /**
   * Records ({@code issuer}, {@code jti}) until {@code expiresAt} unless it is already recorded,
   * atomically.
   *
   * @param issuer the token's {@code iss} (keys are scoped by issuer)
   * @param jti the token's {@code jti}, non-empty, at most 256 characters
   * @param expiresAt when the entry may be forgotten
   * @param now the source's clock (stores that expire entries themselves may ignore it, except to
   *     compute the entry's time to live)
   */
  Result insertIfAbsent(String issuer, String jti, Instant expiresAt, Instant now);

  /**
   * How many entries this process holds (for the {@code replayCacheSize} gauge); 0 for a store that
   * keeps none locally. Read-only: never affects a decision.
   */
  default int localSize() {
    return 0;
  }

  /** Releases connections or threads; default nothing. Never throws. */
  @Override
  default void close() {}

  /**
   * The default store: a map in this process, bounded to {@code capacity} unexpired entries, which
   * answers {@link Result#FULL} rather than evict when full. Never {@link Result#UNAVAILABLE}.
   *
   * @throws IllegalArgumentException if {@code capacity} is not positive
   */
  static ReplayStore inMemory(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("replay store capacity must be positive: " + capacity);
    }
    return new ReplayCache(capacity);
  }
}
