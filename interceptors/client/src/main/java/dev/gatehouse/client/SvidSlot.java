package dev.gatehouse.client;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The cached JWT-SVID of one audience. One fetch at a time; callers without a usable SVID wait for
 * it, callers with one never wait, except the one call that triggers the half-life refresh (it runs
 * the fetch on its own executor and then sends the newest usable SVID).
 */
final class SvidSlot {
  private static final Logger logger = Logger.getLogger(SvidSlot.class.getName());
  static final Duration INITIAL_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  static final Duration MAX_EXPIRY_MARGIN = Duration.ofSeconds(30);

  /** An SVID with its schedule. */
  record Svid(String jwt, Instant refreshAt, Instant usableUntil) {
    @Override
    public String toString() {
      return "Svid[refreshAt=" + refreshAt + ", usableUntil=" + usableUntil + "]";
    }
  }

  private final String audience;
  private final JwtSvidSource source;
  private final Clock clock;
  private final DoubleSupplier jitter;

  // guarded by this
  private Svid svid;
  private boolean fetching;
  private Instant retryAt;
  private Duration backoff = Duration.ZERO;
  private final List<TokenSlot.Sink> waiting = new ArrayList<>();

  SvidSlot(String audience, JwtSvidSource source, Clock clock, DoubleSupplier jitter) {
    this.audience = audience;
    this.source = source;
    this.clock = clock;
    this.jitter = jitter;
  }

  void apply(Executor executor, TokenSlot.Sink sink) {
    Instant now = clock.instant();
    String send = null;
    boolean fail = false;
    boolean trigger = false;
    synchronized (this) {
      boolean usable = svid != null && now.isBefore(svid.usableUntil());
      boolean backingOff = retryAt != null && now.isBefore(retryAt);
      if (usable) {
        if (!now.isBefore(svid.refreshAt()) && !fetching && !backingOff) {
          fetching = true;
          trigger = true;
          waiting.add(sink);
        } else {
          send = svid.jwt();
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
      sink.fail(ClientStatus.SVID_UNAVAILABLE);
    }
    if (trigger) {
      try {
        executor.execute(this::fetch);
      } catch (RejectedExecutionException e) {
        logger.log(Level.WARNING, "executor rejected the JWT-SVID fetch for audience " + audience);
        finish(null, clock.instant());
      }
    }
  }

  private void fetch() {
    Svid fresh = null;
    Instant now = clock.instant();
    Throwable error = null;
    try {
      String jwt = source.fetch(audience);
      now = clock.instant();
      fresh = schedule(jwt, now);
    } catch (Throwable t) { // complete every waiting call whatever happens
      error = t;
      logger.log(
          Level.WARNING,
          "fetching a JWT-SVID for audience "
              + audience
              + " failed ("
              + t.getClass().getSimpleName()
              + (t instanceof IOException && t.getMessage() != null ? ": " + t.getMessage() : "")
              + "); backing off");
    }
    finish(fresh, now);
    if (error instanceof Error e) {
      throw e;
    }
  }

  /**
   * Reads {@code aud}, {@code exp} and {@code iat} (unverified: it is our own SVID, read only to
   * check it is meant for this audience and to schedule its refresh) and computes when to refresh
   * it: at half of its lifetime plus up to a tenth of it.
   */
  private Svid schedule(String jwt, Instant now) throws IOException {
    JWTClaimsSet claims;
    try {
      claims = SignedJWT.parse(jwt).getJWTClaimsSet();
    } catch (ParseException e) {
      throw new IOException("the JWT-SVID is not a signed JWT with a JSON claims set");
    }
    List<String> aud = claims.getAudience();
    if (aud == null || !aud.contains(audience)) {
      // A helper mapping the wrong file to this audience would hand our SVID for one service to
      // another, which could replay it to the first.
      throw new IOException("the JWT-SVID's aud does not contain the audience " + audience);
    }
    Date exp = claims.getExpirationTime();
    if (exp == null) {
      throw new IOException("the JWT-SVID has no exp");
    }
    Instant expiry = exp.toInstant();
    Date iatDate = claims.getIssueTime();
    Instant issued =
        iatDate == null || iatDate.toInstant().isAfter(now) ? now : iatDate.toInstant();
    Duration lifetime = Duration.between(issued, expiry);
    Duration margin = lifetime.dividedBy(10);
    if (margin.compareTo(MAX_EXPIRY_MARGIN) > 0) {
      margin = MAX_EXPIRY_MARGIN;
    }
    Instant usableUntil = expiry.minus(margin);
    if (!now.isBefore(usableUntil)) {
      throw new IOException("the JWT-SVID is expired or about to expire");
    }
    double j = Math.min(Math.max(jitter.getAsDouble(), 0), 1);
    long refreshMillis = lifetime.toMillis() / 2 + (long) (lifetime.toMillis() * j / 10.0);
    return new Svid(jwt, issued.plusMillis(refreshMillis), usableUntil);
  }

  private void finish(Svid fresh, Instant now) {
    List<TokenSlot.Sink> sinks;
    Svid send;
    synchronized (this) {
      fetching = false;
      boolean unchanged = fresh != null && svid != null && fresh.jwt().equals(svid.jwt());
      if (fresh != null && !unchanged) {
        svid = fresh;
        retryAt = null;
        backoff = Duration.ZERO;
      } else {
        // A failure, or the same SVID again (its writer has not rotated it yet): try again later.
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
      send = svid != null && now.isBefore(svid.usableUntil()) ? svid : null;
      sinks = new ArrayList<>(waiting);
      waiting.clear();
    }
    for (TokenSlot.Sink sink : sinks) {
      try {
        if (send != null) {
          sink.token(send.jwt());
        } else {
          sink.fail(ClientStatus.SVID_UNAVAILABLE);
        }
      } catch (RuntimeException e) {
        logger.log(
            Level.WARNING,
            "completing a call's credentials failed (" + e.getClass().getName() + ")");
      }
    }
  }
}
