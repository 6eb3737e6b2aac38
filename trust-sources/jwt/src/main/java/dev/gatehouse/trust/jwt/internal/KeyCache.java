package dev.gatehouse.trust.jwt.internal;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetBasedJWKSource;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.jwk.source.JWKSetUnavailableException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.jwk.source.URLBasedJWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;
import dev.gatehouse.spi.KeyFetchEvents;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.trust.jwt.internal.IssuerKeys.Lookup;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The fetched and cached keys of one key location (a JWKS URL, file or in-memory set) under one
 * algorithm allow-list: a Nimbus {@link JWKSource} built with {@link JWKSourceBuilder} (cache,
 * scheduled refresh ahead of expiry, outage tolerance) over a {@link KeyFilter}, plus key selection
 * by {@code kid}.
 *
 * <p>Fetch pacing. After a failed fetch, further fetches fail fast for a short backoff on the
 * configured clock ({@link #BACKOFF_MIN_MILLIS} doubling to at most {@link #BACKOFF_MAX_MILLIS}),
 * so a cache that is empty or failing recovers within about two seconds of the provider's return
 * without hammering it meanwhile. With keys cached, an unknown {@code kid} triggers at most one
 * successful refresh per {@link IssuerKeys#REFRESH_INTERVAL_MILLIS} (a failed refresh does not
 * spend the window; the backoff paces it); concurrent callers wait for the refresh in flight
 * instead of starting another.
 *
 * <p>Blocked callers are bounded: at most {@link #MAX_BLOCKED} calls at a time may wait on a fetch
 * or refresh of this key set (one thread each); any other call that would have to wait is answered
 * {@link Lookup#unavailable unavailable} at once. A call whose key is cached never waits.
 *
 * <p>Reference-counted: a configuration reload that keeps an issuer's key location and algorithms
 * hands the same cache to the rebuilt {@link KeySets} ({@link #retain()}), so keys cached before
 * the reload (possibly riding out an outage) keep serving. The last {@link #release()} closes it.
 *
 * <p>Each fetch that reaches the key location (not one skipped during backoff) is reported to
 * {@link KeyFetchEvents} under the key set's name, for monitoring only.
 */
final class KeyCache {
  private static final Logger logger = Logger.getLogger(KeyCache.class.getName());

  private static final long REFRESH_INTERVAL_MILLIS = IssuerKeys.REFRESH_INTERVAL_MILLIS;
  private static final long CACHE_TTL_MILLIS = IssuerKeys.CACHE_TTL_MILLIS;
  private static final long REFRESH_AHEAD_MILLIS = IssuerKeys.REFRESH_AHEAD_MILLIS;
  private static final int JWKS_SIZE_LIMIT = IssuerKeys.JWKS_SIZE_LIMIT;

  static final int MAX_BLOCKED = 16;
  static final long BACKOFF_MIN_MILLIS = 250;
  static final long BACKOFF_MAX_MILLIS = 2_000;

  final String issuer;
  private final KeySource keys;
  private final List<String> algorithms;
  private final long outageToleranceMillis;
  private final FetchThreads threads;
  private final RefCount owners = new RefCount();
  private final JWKSetSource<SecurityContext> source;
  private final JWKSource<SecurityContext> jwkSource;
  private final long fetchTimeoutMillis;

  private final Object pacing = new Object();
  private int failures;
  private String lastFailure = "";
  private long nextAttempt = Long.MIN_VALUE;
  private long lastSuccess = Long.MIN_VALUE;
  // Until when the cache layer holds a set (so a read cannot block); tracked on the same times.
  // Written holding pacing; volatile so that the readiness checks read it without the lock.
  private volatile long cachedUntil = Long.MIN_VALUE;
  // The set object the last successful fetch handed to the cache layer (the filtered set); written
  // holding pacing BEFORE the set travels up to the cache layer, so once any read of the cache can
  // return a new set, this field already names it. Null until the first fetch; for an in-memory
  // set, that set. Not used for a live set (read from its supplier instead).
  private volatile JWKSet lastFetched;
  private final Semaphore permits = new Semaphore(MAX_BLOCKED);

  private CompletableFuture<Void> inflight;
  private long nextRefreshAllowed = Long.MIN_VALUE;
  private volatile boolean closed;
  private final AtomicInteger blocked = new AtomicInteger();
  private final AtomicInteger peakBlocked = new AtomicInteger();

  /**
   * The keys of one key set (an issuer's JWKS or a trust domain's JWT bundle). Holds one reference
   * to {@code threads} until the last {@link #release()}.
   *
   * @param filter the rules the key set must meet (see {@link KeyFilter})
   */
  @SuppressWarnings("unchecked")
  KeyCache(
      TrustAnchor anchor,
      KeyFilter filter,
      long fetchTimeoutMillis,
      long outageToleranceMillis,
      FetchThreads threads) {
    if (!threads.retain()) {
      throw new IllegalStateException("key fetch threads already stopped");
    }
    this.issuer = anchor.name();
    this.keys = anchor.keys();
    this.algorithms = anchor.algorithms();
    this.fetchTimeoutMillis = fetchTimeoutMillis;
    this.outageToleranceMillis = outageToleranceMillis;
    this.threads = threads;
    ExecutorService executor = threads.executor;
    ScheduledExecutorService scheduler = threads.scheduler;
    if (keys.kind() == KeySource.Kind.LIVE) {
      java.util.function.Supplier<JWKSet> live = keys.live();
      this.source = new LiveJwkSetSource(live, filter);
      this.jwkSource = new JWKSetBasedJWKSource<>(source);
      this.cachedUntil = Long.MAX_VALUE;
      return;
    }
    if (keys.kind() == KeySource.Kind.STATIC) {
      JWKSet fixed = filter.apply(keys.jwkSet());
      this.source =
          new JWKSetSource<>() {
            @Override
            public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator e, long now, SecurityContext c) {
              return fixed;
            }

            @Override
            public void close() {}
          };
      this.jwkSource = new JWKSetBasedJWKSource<>(source);
      this.lastFetched = fixed;
      this.cachedUntil = Long.MAX_VALUE;
      return;
    }
    JWKSetSource<SecurityContext> raw =
        keys.kind() == KeySource.Kind.URL
            ? new URLBasedJWKSetSource<>(
                keys.url(), new BoundedRetriever(fetchTimeoutMillis, JWKS_SIZE_LIMIT, executor))
            : new FileJwkSetSource(keys.path(), JWKS_SIZE_LIMIT);
    this.jwkSource =
        JWKSourceBuilder.create(new Paced(filter.over(raw)))
            .cache(CACHE_TTL_MILLIS, fetchTimeoutMillis)
            .refreshAheadCache(REFRESH_AHEAD_MILLIS, null, executor, false, scheduler, false)
            // Not Nimbus' rate limit: it counted failed fetches too, so an empty cache stayed
            // empty for up to 30 s after the provider came back. Paced and refresh() pace instead.
            .rateLimited(false)
            .outageTolerant(outageToleranceMillis)
            .retrying(false)
            .build();
    if (!(jwkSource instanceof JWKSetBasedJWKSource)) {
      throw new IllegalStateException("unexpected JWKSource type " + jwkSource.getClass());
    }
    this.source = ((JWKSetBasedJWKSource<SecurityContext>) jwkSource).getJWKSetSource();
  }

  /**
   * Whether this cache serves {@code anchor} as it is configured now: the same key location (URL or
   * file; an in-memory set is never shared), the same algorithms, the same fetch timeout and outage
   * tolerance. Audiences play no part: they are checked per generation by {@link IssuerKeys}.
   */
  boolean serves(TrustAnchor anchor, long fetchTimeoutMillis, long outageToleranceMillis) {
    return issuer.equals(anchor.name())
        && keys.sameLocation(anchor.keys())
        && algorithms.equals(anchor.algorithms())
        && this.fetchTimeoutMillis == fetchTimeoutMillis
        && this.outageToleranceMillis == outageToleranceMillis;
  }

  /** Where this key set stands (never fetches); null for an in-memory set. */
  dev.gatehouse.spi.KeySetReachability.KeySetState state() {
    if (keys.kind() == KeySource.Kind.STATIC || keys.kind() == KeySource.Kind.LIVE) {
      return null;
    }
    synchronized (pacing) {
      boolean fetched = lastSuccess != Long.MIN_VALUE;
      return new dev.gatehouse.spi.KeySetReachability.KeySetState(
          issuer,
          keys.toString(),
          fetched && failures == 0,
          fetched
              ? java.util.Optional.of(java.time.Instant.ofEpochMilli(lastSuccess))
              : java.util.Optional.empty());
    }
  }

  /** Takes one more reference; false once the cache is closed (then it must not be used). */
  boolean retain() {
    return owners.retain();
  }

  /** Loads the keys in the background so that the first call rarely waits. */
  void prefetch(java.time.Clock clock) {
    threads.executor.execute(
        () -> {
          try {
            source.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), clock.millis(), null);
          } catch (KeySourceException | RuntimeException e) {
            if (closed || Thread.currentThread().isInterrupted() || interrupted(e)) {
              // Closed while fetching (a startup refused for another reason, a reload, shutdown):
              // the identity provider did not fail, so this is no warning.
              logger.fine("issuer " + issuer + ": initial JWKS fetch stopped: key cache closed");
            } else {
              logger.warning(
                  "issuer " + issuer + ": initial JWKS fetch failed (" + describe(e) + ")");
            }
          }
        });
  }

  /**
   * Selects the key for a token of this issuer.
   *
   * @param kid the token's {@code kid}, or null
   * @param alg the token's (allowed) algorithm
   */
  Lookup select(String kid, String alg, long now) {
    JWKSet set;
    boolean mayBlock = mayBlock(now);
    if (mayBlock && !enterBlocked()) {
      return tooManyWaiting();
    }
    try {
      set = source.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), now, null);
    } catch (KeySourceException | RuntimeException e) {
      return Lookup.unavailable(
          "keys of issuer " + issuer + " cannot be fetched (" + describe(e) + ")");
    } finally {
      if (mayBlock) {
        leaveBlocked();
      }
    }
    Lookup first = pick(set, kid, alg);
    if (!first.retry) {
      return first;
    }
    if (!enterBlocked()) {
      // Retryable on purpose: a caller whose kid was just rotated in succeeds once the refresh
      // in flight has landed, while UNKNOWN_KEY would tell it its credential is bad.
      return tooManyWaiting();
    }
    JWKSet fresh;
    try {
      fresh = refresh(set, now);
    } catch (KeySourceException | RuntimeException e) {
      return Lookup.unavailable(
          "keys of issuer " + issuer + " cannot be refreshed (" + describe(e) + ")");
    } finally {
      leaveBlocked();
    }
    if (fresh == null) {
      return Lookup.rejected(first.reason, first.detail + " (refresh rate-limited)", false);
    }
    Lookup second = pick(fresh, kid, alg);
    return second.retry ? Lookup.rejected(second.reason, second.detail, false) : second;
  }

  /**
   * Whether {@link #select} for {@code kid} and {@code alg} at {@code now} might wait for a fetch
   * or refresh, judged without fetching and without blocking: no usable cached set, or a {@code
   * kid} (or a kid-less algorithm) the cached set lacks while a refresh is in flight or allowed. A
   * cached set that has the key, an in-memory set and a rate-limited refresh never wait. On any
   * doubt (the cached set cannot be read) true: the caller then decides off its own thread, which
   * is always safe.
   */
  boolean mayWait(String kid, String alg, long now) {
    if (keys.kind() == KeySource.Kind.STATIC) {
      return false;
    }
    if (mayBlock(now)) {
      return true;
    }
    Lookup first;
    try {
      first = pick(source.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), now, null), kid, alg);
    } catch (KeySourceException | RuntimeException e) {
      return true;
    }
    if (!first.retry) {
      return false;
    }
    synchronized (this) {
      return inflight != null || now >= nextRefreshAllowed;
    }
  }

  private Lookup tooManyWaiting() {
    return Lookup.unavailable(
        "keys of issuer "
            + issuer
            + " are being fetched and "
            + MAX_BLOCKED
            + " calls already wait for them");
  }

  /** Whether reading the cached set at {@code now} may have to fetch (and so block). */
  private boolean mayBlock(long now) {
    return now >= cachedUntil;
  }

  /**
   * Whether a read of this key set at {@code now} would return exactly the set object {@code from}
   * without fetching: the hit check of the verified-token cache, which keeps the set a token's key
   * was picked from. Sets are immutable, so the same set object still serves the same key object
   * for the token's {@code kid} (the full lookup's answer) and nothing else needs re-checking; any
   * fetch that brings a set (a refresh, a rotation, a removal) changes the object first (see {@code
   * lastFetched}). Only volatile reads, no lock, no allocation. False on any doubt (no set cached,
   * the cached window over, a live set that cannot be read): the caller then does the full lookup.
   */
  boolean stillServing(JWKSet from, long now) {
    if (from == null || now >= cachedUntil) {
      return false;
    }
    JWKSet current;
    if (keys.kind() == KeySource.Kind.LIVE) {
      try {
        current = source.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), now, null);
      } catch (KeySourceException | RuntimeException e) {
        return false;
      }
    } else {
      current = lastFetched;
    }
    @SuppressWarnings("ReferenceEquality") // identity on purpose: a new fetch is a new object
    boolean same = current == from;
    return same;
  }

  private Lookup pick(JWKSet set, String kid, String alg) {
    if (kid != null) {
      JWK key = set.getKeyByKeyId(kid);
      if (key == null) {
        return Lookup.rejected(
            Reason.UNKNOWN_KEY, "issuer " + issuer + " has no key kid " + LogSafe.quote(kid), true);
      }
      if (key.getAlgorithm() == null || !alg.equals(key.getAlgorithm().getName())) {
        return Lookup.rejected(
            Reason.ALGORITHM_NOT_ALLOWED,
            "issuer "
                + issuer
                + " key kid "
                + LogSafe.quote(kid)
                + " is pinned to "
                + key.getAlgorithm()
                + ", token uses "
                + alg,
            false);
      }
      return Lookup.found(key, set);
    }
    List<JWK> eligible = new ArrayList<>();
    for (JWK k : set.getKeys()) {
      if (k.getAlgorithm() != null && alg.equals(k.getAlgorithm().getName())) {
        eligible.add(k);
      }
    }
    if (eligible.size() == 1) {
      return Lookup.found(eligible.get(0), set);
    }
    if (eligible.isEmpty()) {
      return Lookup.rejected(
          Reason.UNKNOWN_KEY,
          "issuer " + issuer + " has no " + alg + " key (token has no kid)",
          true);
    }
    return Lookup.rejected(
        Reason.UNKNOWN_KEY,
        "token has no kid and issuer " + issuer + " has " + eligible.size() + " " + alg + " keys",
        false);
  }

  /**
   * Forces one refresh unless one ran within the interval; returns null when rate-limited and the
   * cached set is still {@code stale}. A caller arriving while a refresh is in flight waits for it
   * (bounded) and reads the result.
   */
  private JWKSet refresh(JWKSet stale, long now) throws KeySourceException {
    CompletableFuture<Void> wait;
    boolean mine = false;
    synchronized (this) {
      if (inflight != null) {
        wait = inflight;
      } else if (now >= nextRefreshAllowed) {
        nextRefreshAllowed = now + REFRESH_INTERVAL_MILLIS;
        inflight = new CompletableFuture<>();
        wait = inflight;
        mine = true;
      } else {
        wait = null;
      }
    }
    if (wait == null) {
      // Rate-limited. A refresh that finished since this caller read its set may have the key.
      JWKSet current = source.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), now, null);
      // Identity on purpose: the key source hands back the very set object until it refreshes.
      @SuppressWarnings("ReferenceEquality")
      boolean unchanged = current == stale;
      return unchanged ? null : current;
    }
    if (!mine) {
      try {
        wait.get(2 * fetchTimeoutMillis, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
      }
      return source.getJWKSet(JWKSetCacheRefreshEvaluator.noRefresh(), now, null);
    }
    try {
      logger.fine("issuer " + issuer + ": unknown kid, refreshing JWKS");
      return source.getJWKSet(JWKSetCacheRefreshEvaluator.referenceComparison(stale), now, null);
    } finally {
      boolean failed = failing();
      synchronized (this) {
        inflight = null;
        if (failed) {
          // A failed refresh does not spend the window: the backoff paces the next attempt.
          nextRefreshAllowed = now;
        }
      }
      wait.complete(null);
    }
  }

  /** Whether the last fetch failed. */
  private boolean failing() {
    synchronized (pacing) {
      return failures > 0;
    }
  }

  /**
   * Paces fetches (below the outage-tolerant layer, so cached keys still serve): after a failed
   * fetch, every fetch before the backoff has passed fails at once without reaching the provider.
   */
  private final class Paced implements JWKSetSource<SecurityContext> {
    private final JWKSetSource<SecurityContext> delegate;

    Paced(JWKSetSource<SecurityContext> delegate) {
      this.delegate = delegate;
    }

    @Override
    public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator eval, long now, SecurityContext ctx)
        throws KeySourceException {
      synchronized (pacing) {
        if (failures > 0 && now < nextAttempt) {
          servedFromOutageCache(now);
          throw new JWKSetUnavailableException(
              "backing off after a failed JWKS fetch (" + lastFailure + ")", null);
        }
      }
      try {
        JWKSet set = delegate.getJWKSet(eval, now, ctx);
        synchronized (pacing) {
          lastFetched = set;
          failures = 0;
          lastSuccess = now;
          cachedUntil = now + CACHE_TTL_MILLIS;
        }
        KeyFetchEvents.report(issuer, true);
        return set;
      } catch (KeySourceException | RuntimeException e) {
        synchronized (pacing) {
          if (e instanceof JWKSetUnavailableException) {
            // Only this kind is ridden out by the outage-tolerant layer above (any other failure
            // reaches the caller), so only this kind keeps the mirrored window open. (The backoff
            // that follows any failure answers with this kind, so the next call rides it out.)
            servedFromOutageCache(now);
          }
          lastFailure = cause(e);
          failures = Math.min(failures + 1, 16);
          long backoff =
              Math.min(BACKOFF_MAX_MILLIS, BACKOFF_MIN_MILLIS << Math.min(failures - 1, 8));
          nextAttempt = now + backoff;
        }
        KeyFetchEvents.report(issuer, false);
        throw e;
      }
    }

    /**
     * A failed fetch at {@code now}: the outage-tolerant layer serves (and the cache keeps) the
     * last good set while it is within the outage tolerance. Called holding {@code pacing}.
     */
    private void servedFromOutageCache(long now) {
      if (lastSuccess != Long.MIN_VALUE && now - lastSuccess < outageToleranceMillis) {
        cachedUntil = now + CACHE_TTL_MILLIS;
      }
    }

    @Override
    public void close() throws IOException {
      delegate.close();
    }
  }

  /** Takes one of the {@link #MAX_BLOCKED} places of callers that may wait; false if none. */
  private boolean enterBlocked() {
    if (!permits.tryAcquire()) {
      return false;
    }
    peakBlocked.accumulateAndGet(blocked.incrementAndGet(), Math::max);
    return true;
  }

  private void leaveBlocked() {
    blocked.decrementAndGet();
    permits.release();
  }

  /** The most callers that were ever blocked at once on a key fetch of this set (tests). */
  int peakBlocked() {
    return peakBlocked.get();
  }

  /**
   * Where the keys come from and why the fetch failed, for one log line: the URL (without query) or
   * file, and the message of the I/O failure ({@code JWKS fetch timed out after 2000 ms}, {@code
   * Connection refused}, {@code HTTP 503: ...}) with its type. Only messages of I/O exceptions and
   * of this package's own failures are quoted (they name the network condition, never the
   * document); anything else, such as a parse error that could quote the document, is named by its
   * type only.
   */
  private String describe(Exception e) {
    return where() + ": " + cause(e);
  }

  private String where() {
    return switch (keys.kind()) {
      case URL -> keys.displayUrl();
      case FILE -> keys.path().toString();
      default -> "in-memory key set";
    };
  }

  private String cause(Throwable e) {
    int depth = 0;
    for (Throwable t = e; t != null && depth < 8; t = t.getCause(), depth++) {
      if (t instanceof IOException) {
        return t.getClass().getSimpleName() + ": " + printable(withoutQuery(t.getMessage()));
      }
    }
    if (e instanceof JWKSetUnavailableException && e.getCause() == null) {
      return printable(
          withoutQuery(e.getMessage())); // one of ours (file too large, not a JWKS, backing off)
    }
    Throwable cause = e.getCause();
    return e.getClass().getSimpleName()
        + (cause == null ? "" : " caused by " + cause.getClass().getSimpleName());
  }

  /**
   * {@code message} without the key URL's query: the JDK's HTTP client quotes the whole URL in its
   * errors ({@code Server returned HTTP response code: 503 for URL: ...}), and the query may carry
   * an access token.
   */
  private String withoutQuery(String message) {
    if (message == null || keys.kind() != KeySource.Kind.URL || keys.url().getQuery() == null) {
      return message;
    }
    return message
        .replace(keys.url().toExternalForm(), keys.displayUrl())
        .replace("?" + keys.url().getQuery(), "");
  }

  /** Printable ASCII only, at most 200 characters. */
  private static String printable(String s) {
    if (s == null) {
      return "(no message)";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && i < 200; i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return s.length() > 200 ? sb.append("...").toString() : sb.toString();
  }

  private static boolean interrupted(Throwable e) {
    int depth = 0;
    for (Throwable t = e; t != null && depth < 8; t = t.getCause(), depth++) {
      // A read or connect timeout (SocketTimeoutException) is an InterruptedIOException too, but
      // it is the key location failing to answer, which the operator must see as a failure.
      if ((t instanceof InterruptedIOException && !(t instanceof SocketTimeoutException))
          || t instanceof InterruptedException
          || t instanceof java.nio.channels.ClosedByInterruptException) {
        return true;
      }
    }
    return false;
  }

  /** Drops one reference; the last one closes the key source and releases the threads. */
  void release() {
    if (!owners.release()) {
      return;
    }
    closed = true;
    try {
      if (jwkSource instanceof JWKSetBasedJWKSource) {
        ((JWKSetBasedJWKSource<SecurityContext>) jwkSource).close();
      }
    } catch (IOException | RuntimeException e) {
      logger.log(Level.FINE, "closing JWKS source of " + issuer + " failed", e);
    }
    threads.release();
  }
}
