package dev.gatehouse.trust.jwt.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;

/**
 * The started key sets of one {@link KeySelector}: one {@link IssuerKeys} per {@link TrustAnchor},
 * the threads that fetch and refresh them, and the {@link JwtSettings} they were started with.
 * Validates before it starts anything: at least one anchor, no name twice.
 *
 * <p>Built with the key sets it replaces (a configuration reload), it takes over the {@link
 * KeyCache} of every anchor whose name, key location, algorithms, fetch timeout and outage
 * tolerance are unchanged: those keys are neither dropped nor fetched again. Caches are shared by
 * reference count, so closing the replaced key sets leaves them running.
 */
final class KeySets implements AutoCloseable {
  private final JwtSettings settings;
  private final Map<String, IssuerKeys> byName;
  private final FetchThreads threads;
  private final AtomicBoolean closed = new AtomicBoolean();

  /**
   * Starts fetching every anchor's keys in the background.
   *
   * @param rules the key-set rules for an anchor's name and algorithms
   * @throws IllegalArgumentException on no anchor or a name given twice
   */
  KeySets(
      JwtSettings settings,
      Collection<TrustAnchor> anchors,
      BiFunction<String, List<String>, KeyFilter> rules) {
    this(settings, anchors, rules, null);
  }

  /**
   * Starts fetching the keys of every anchor that {@code previous} (may be null) does not already
   * cache; shares the caches it does.
   *
   * @param rules the key-set rules for an anchor's name and algorithms; must be the rules {@code
   *     previous} was built with
   * @throws IllegalArgumentException on no anchor or a name given twice
   */
  KeySets(
      JwtSettings settings,
      Collection<TrustAnchor> anchors,
      BiFunction<String, List<String>, KeyFilter> rules,
      KeySets previous) {
    if (anchors.isEmpty()) {
      throw new IllegalArgumentException("no trusted issuer configured");
    }
    Map<String, TrustAnchor> named = new LinkedHashMap<>();
    for (TrustAnchor a : anchors) {
      if (named.put(a.name(), a) != null) {
        throw new IllegalArgumentException("issuer configured twice: " + a.name());
      }
    }
    this.settings = settings;
    this.threads =
        previous != null && previous.threads.retain() ? previous.threads : new FetchThreads();
    long fetch = settings.fetchTimeout().toMillis();
    long outage = settings.outageTolerance().toMillis();
    Map<String, IssuerKeys> keys = new LinkedHashMap<>();
    List<KeyCache> started = new ArrayList<>();
    try {
      for (TrustAnchor a : named.values()) {
        IssuerKeys before = previous == null ? null : previous.byName.get(a.name());
        KeyCache cache;
        if (before != null && before.cache.serves(a, fetch, outage) && before.cache.retain()) {
          cache = before.cache;
        } else {
          cache = new KeyCache(a, rules.apply(a.name(), a.algorithms()), fetch, outage, threads);
          started.add(cache);
        }
        keys.put(a.name(), new IssuerKeys(a, cache));
      }
    } catch (RuntimeException e) {
      keys.values().forEach(k -> k.cache.release());
      threads.release();
      throw e;
    }
    this.byName = Collections.unmodifiableMap(keys);
    for (KeyCache k : started) {
      k.prefetch(settings.clock());
    }
  }

  JwtSettings settings() {
    return settings;
  }

  /** Where each fetched key set stands, in configured order (in-memory sets left out). */
  java.util.List<dev.gatehouse.spi.KeySetReachability.KeySetState> states() {
    java.util.List<dev.gatehouse.spi.KeySetReachability.KeySetState> out = new ArrayList<>();
    for (IssuerKeys k : byName.values()) {
      dev.gatehouse.spi.KeySetReachability.KeySetState s = k.cache.state();
      if (s != null) {
        out.add(s);
      }
    }
    return java.util.List.copyOf(out);
  }

  /** The names, in configured order. */
  Set<String> names() {
    return byName.keySet();
  }

  /** The keys of the named set, or null. */
  IssuerKeys get(String name) {
    return byName.get(name);
  }

  /**
   * Releases the key caches (a cache shared with other key sets keeps running until the last of
   * them is closed) and the background threads. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (IssuerKeys k : byName.values()) {
      k.cache.release();
    }
    threads.release();
  }
}
