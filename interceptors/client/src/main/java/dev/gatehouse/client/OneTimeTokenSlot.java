package dev.gatehouse.client;

import dev.gatehouse.client.TokenMinter.Token;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Mints a fresh token, with a fresh {@code jti}, for every call to one audience; nothing is cached
 * or reused, so a server with replay protection accepts every call. Each call signs on the call's
 * executor. A failed signing backs off exponentially like {@link TokenSlot} ({@link
 * TokenSlot#INITIAL_BACKOFF} to {@link TokenSlot#MAX_BACKOFF}); while backing off, calls fail with
 * {@link ClientStatus#TOKEN_UNAVAILABLE} without trying to sign (there is no older token to fall
 * back on). Several signings failing at once extend the backoff only once.
 */
final class OneTimeTokenSlot implements AudienceTokens {
  private static final Logger logger = Logger.getLogger(OneTimeTokenSlot.class.getName());

  private final String audience;
  private final TokenMinter minter;

  // guarded by this
  private Instant retryAt;
  private Duration backoff = Duration.ZERO;

  OneTimeTokenSlot(String audience, TokenMinter minter) {
    this.audience = audience;
    this.minter = minter;
  }

  @Override
  public void apply(Executor executor, TokenSlot.Sink sink) {
    Instant now = minter.clock().instant();
    boolean backingOff;
    synchronized (this) {
      backingOff = retryAt != null && now.isBefore(retryAt);
    }
    if (backingOff) {
      sink.fail(ClientStatus.TOKEN_UNAVAILABLE);
      return;
    }
    try {
      executor.execute(() -> mint(sink));
    } catch (RejectedExecutionException e) {
      logger.log(Level.WARNING, "executor rejected the service-token signing for " + audience);
      failed(minter.clock().instant());
      sink.fail(ClientStatus.TOKEN_UNAVAILABLE);
    }
  }

  private void mint(TokenSlot.Sink sink) {
    Token fresh = null;
    Throwable error = null;
    Instant now = minter.clock().instant();
    try {
      SigningKeySource keys = minter.keySource();
      keys.refreshIfDue(now);
      now = minter.clock().instant();
      fresh = minter.mint(audience, keys.signingKey(now), now);
    } catch (Throwable t) { // complete the call whatever happens
      error = t;
      logger.log(
          Level.WARNING,
          "signing a one-time service token for audience "
              + audience
              + " failed ("
              + t.getClass().getSimpleName()
              + "); backing off");
    }
    if (fresh != null) {
      synchronized (this) {
        retryAt = null;
        backoff = Duration.ZERO;
      }
    } else {
      failed(now);
    }
    try {
      if (fresh != null) {
        sink.token(fresh.jwt());
      } else {
        sink.fail(ClientStatus.TOKEN_UNAVAILABLE);
      }
    } catch (RuntimeException e) {
      logger.log(
          Level.WARNING, "completing a call's credentials failed (" + e.getClass().getName() + ")");
    }
    if (error instanceof Error e) {
      throw e;
    }
  }

  /** Starts or extends the backoff, unless one that is still running was already set. */
  private synchronized void failed(Instant now) {
    if (retryAt != null && now.isBefore(retryAt)) {
      return; // a concurrent signing already failed and set the backoff
    }
    backoff =
        backoff.isZero()
            ? TokenSlot.INITIAL_BACKOFF
            : (backoff.multipliedBy(2).compareTo(TokenSlot.MAX_BACKOFF) > 0
                ? TokenSlot.MAX_BACKOFF
                : backoff.multipliedBy(2));
    long jittered = (long) (backoff.toMillis() * ThreadLocalRandom.current().nextDouble(0.8, 1.2));
    retryAt = now.plusMillis(jittered);
  }
}
