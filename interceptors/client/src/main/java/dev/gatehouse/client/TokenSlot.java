package dev.gatehouse.client;

import dev.gatehouse.client.TokenMinter.Token;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The cached token of one audience. At most one refresh runs at a time; callers with no usable
 * token wait for it, callers with a usable token never wait (except the one call that also checks a
 * due key file, so a rotated key signs the next token).
 */
final class TokenSlot implements AudienceTokens {
  private static final Logger logger = Logger.getLogger(TokenSlot.class.getName());
  static final Duration INITIAL_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofMinutes(2);

  /** Receives the outcome for one call. */
  interface Sink {
    /** Attach this token. */
    void token(String jwt);

    /** Fail the call. */
    void fail(Status status);
  }

  private final String audience;
  private final TokenMinter minter;

  // guarded by this
  private Token token;
  private boolean refreshing;
  private Instant retryAt;
  private Duration backoff = Duration.ZERO;
  private final List<Sink> waiting = new ArrayList<>();

  TokenSlot(String audience, TokenMinter minter) {
    this.audience = audience;
    this.minter = minter;
  }

  @Override
  public void apply(Executor executor, Sink sink) {
    Instant now = minter.clock().instant();
    SigningKeySource keys = minter.keySource();
    boolean checkDue = keys.refreshDue(now);
    String signingKid = keys.signingKey(now).kid();
    String send = null;
    boolean fail = false;
    boolean trigger = false;
    synchronized (this) {
      boolean usable = token != null && now.isBefore(token.usableUntil());
      boolean backingOff = retryAt != null && now.isBefore(retryAt);
      if (usable) {
        boolean keyStale = checkDue || !token.kid().equals(signingKid);
        boolean refreshDue = !now.isBefore(token.refreshAt());
        if ((keyStale || refreshDue) && !refreshing && !backingOff) {
          refreshing = true;
          trigger = true;
          if (keyStale) {
            waiting.add(sink);
          } else {
            send = token.jwt();
          }
        } else {
          send = token.jwt();
        }
      } else if (refreshing) {
        waiting.add(sink);
      } else if (backingOff) {
        fail = true;
      } else {
        refreshing = true;
        trigger = true;
        waiting.add(sink);
      }
    }
    if (send != null) {
      sink.token(send);
    } else if (fail) {
      sink.fail(ClientStatus.TOKEN_UNAVAILABLE);
    }
    if (trigger) {
      try {
        executor.execute(this::refresh);
      } catch (RejectedExecutionException e) {
        logger.log(Level.WARNING, "executor rejected the service-token refresh for " + audience);
        finish(null, minter.clock().instant());
      }
    }
  }

  private void refresh() {
    Token fresh = null;
    Instant now = minter.clock().instant();
    Throwable error = null;
    try {
      SigningKeySource keys = minter.keySource();
      keys.refreshIfDue(now);
      now = minter.clock().instant();
      LoadedKey key = keys.signingKey(now);
      Token old;
      synchronized (this) {
        old = token;
      }
      if (old != null
          && now.isBefore(old.refreshAt())
          && now.isBefore(old.usableUntil())
          && old.kid().equals(key.kid())) {
        fresh = old;
      } else {
        fresh = minter.mint(audience, key, now);
      }
    } catch (Throwable t) { // complete every waiting call whatever happens
      error = t;
      logger.log(
          Level.WARNING,
          "signing a service token for audience "
              + audience
              + " failed ("
              + t.getClass().getSimpleName()
              + "); backing off");
    }
    finish(fresh, now);
    if (error instanceof Error e) {
      throw e;
    }
  }

  private void finish(Token fresh, Instant now) {
    List<Sink> sinks;
    Token send;
    synchronized (this) {
      refreshing = false;
      if (fresh != null) {
        token = fresh;
        retryAt = null;
        backoff = Duration.ZERO;
        send = fresh;
      } else {
        backoff =
            backoff.isZero()
                ? INITIAL_BACKOFF
                : (backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0
                    ? MAX_BACKOFF
                    : backoff.multipliedBy(2));
        long jittered =
            (long) (backoff.toMillis() * ThreadLocalRandom.current().nextDouble(0.8, 1.2));
        retryAt = now.plusMillis(jittered);
        send = token != null && now.isBefore(token.usableUntil()) ? token : null;
      }
      sinks = new ArrayList<>(waiting);
      waiting.clear();
    }
    for (Sink sink : sinks) {
      try {
        if (send != null) {
          sink.token(send.jwt());
        } else {
          sink.fail(ClientStatus.TOKEN_UNAVAILABLE);
        }
      } catch (RuntimeException e) {
        logger.log(
            Level.WARNING,
            "completing a call's credentials failed (" + e.getClass().getName() + ")");
      }
    }
  }
}
