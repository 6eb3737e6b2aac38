package dev.gatehouse.client;

import java.time.Clock;
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
 * The token of one audience fetched from an issuer. It is refreshed in the background once 40–50 %
 * (random) of its lifetime has passed, so an issuer outage shorter than the rest of the lifetime
 * stops no call: the token in hand keeps being sent while refreshes back off (1 s doubling to 30 s,
 * ± 20 %). At most one fetch runs at a time; calls with no usable token wait for it; with no usable
 * token and the issuer failing, calls fail with {@link ClientStatus#ISSUER_UNAVAILABLE}.
 */
final class FetchedTokenSlot implements AudienceTokens {
  private static final Logger logger = Logger.getLogger(FetchedTokenSlot.class.getName());
  static final Duration INITIAL_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  static final Duration MAX_MARGIN = Duration.ofSeconds(30);

  private final String audience;
  private final TokenFetcher fetcher;
  private final Clock clock;

  // guarded by this
  private IssuedToken token;
  private Instant refreshAt;
  private Instant usableUntil;
  private boolean fetching;
  private Instant retryAt;
  private Duration backoff = Duration.ZERO;
  private final List<TokenSlot.Sink> waiting = new ArrayList<>();

  FetchedTokenSlot(String audience, TokenFetcher fetcher, Clock clock) {
    this.audience = audience;
    this.fetcher = fetcher;
    this.clock = clock;
  }

  @Override
  public void apply(Executor executor, TokenSlot.Sink sink) {
    Instant now = clock.instant();
    String send = null;
    boolean fail = false;
    boolean trigger = false;
    synchronized (this) {
      boolean usable = token != null && now.isBefore(usableUntil);
      boolean backingOff = retryAt != null && now.isBefore(retryAt);
      if (usable) {
        send = token.token();
        if (!now.isBefore(refreshAt) && !fetching && !backingOff) {
          fetching = true;
          trigger = true;
        }
      } else if (fetching) {
        waiting.add(sink);
      } else if (backingOff) {
        fail = true;
      } else {
        fetching = true;
        trigger = true;
        waiting.add(sink);
      }
    }
    if (send != null) {
      sink.token(send);
    } else if (fail) {
      sink.fail(ClientStatus.ISSUER_UNAVAILABLE);
    }
    if (trigger) {
      try {
        executor.execute(this::fetch);
      } catch (RejectedExecutionException e) {
        logger.log(Level.WARNING, "executor rejected the service-token fetch for " + audience);
        finish(null, clock.instant());
      }
    }
  }

  private void fetch() {
    IssuedToken fresh = null;
    Throwable error = null;
    try {
      fresh = fetcher.fetch(audience);
      if (fresh == null) {
        throw new IllegalStateException("the fetcher returned no token");
      }
      if (!fresh.expiresAt().isAfter(clock.instant())) {
        throw new IllegalStateException("the issuer returned an expired token");
      }
    } catch (Throwable t) { // complete every waiting call whatever happens
      fresh = null;
      error = t;
      logger.log(
          Level.WARNING,
          "fetching a service token for audience "
              + audience
              + " failed ("
              + t.getClass().getSimpleName()
              + "); backing off");
    }
    finish(fresh, clock.instant());
    if (error instanceof Error e) {
      throw e;
    }
  }

  private void finish(IssuedToken fresh, Instant now) {
    List<TokenSlot.Sink> sinks;
    String send;
    synchronized (this) {
      fetching = false;
      if (fresh != null) {
        Duration lifetime = Duration.between(now, fresh.expiresAt());
        Duration margin = lifetime.dividedBy(10);
        if (margin.compareTo(MAX_MARGIN) > 0) {
          margin = MAX_MARGIN;
        }
        double share = ThreadLocalRandom.current().nextDouble(0.4, 0.5);
        token = fresh;
        refreshAt = now.plusMillis((long) (lifetime.toMillis() * share));
        usableUntil = fresh.expiresAt().minus(margin);
        retryAt = null;
        backoff = Duration.ZERO;
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
      }
      send = token != null && now.isBefore(usableUntil) ? token.token() : null;
      sinks = new ArrayList<>(waiting);
      waiting.clear();
    }
    for (TokenSlot.Sink sink : sinks) {
      try {
        if (send != null) {
          sink.token(send);
        } else {
          sink.fail(ClientStatus.ISSUER_UNAVAILABLE);
        }
      } catch (RuntimeException e) {
        logger.log(
            Level.WARNING,
            "completing a call's credentials failed (" + e.getClass().getName() + ")");
      }
    }
  }
}
