package dev.gatehouse.trust.jwt.internal;

import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * The started key sets of one {@link KeySelector}: one {@link IssuerKeys} per {@link TrustAnchor},
 * the threads that fetch and refresh them, and the {@link JwtSettings} they were started with.
 * Validates before it starts anything: at least one anchor, no name twice.
 */
final class KeySets implements AutoCloseable {
  private final JwtSettings settings;
  private final Map<String, IssuerKeys> byName;
  private final ExecutorService executor;
  private final ScheduledExecutorService scheduler;

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
    this.executor = Executors.newCachedThreadPool(daemon("gatehouse-jwks"));
    this.scheduler = Executors.newSingleThreadScheduledExecutor(daemon("gatehouse-jwks-refresh"));
    long fetch = settings.fetchTimeout().toMillis();
    long outage = settings.outageTolerance().toMillis();
    Map<String, IssuerKeys> keys = new LinkedHashMap<>();
    for (TrustAnchor a : named.values()) {
      keys.put(
          a.name(),
          new IssuerKeys(
              a, rules.apply(a.name(), a.algorithms()), fetch, outage, executor, scheduler));
    }
    this.byName = Collections.unmodifiableMap(keys);
    for (IssuerKeys k : keys.values()) {
      k.prefetch(executor, settings.clock());
    }
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  JwtSettings settings() {
    return settings;
  }

  /** The names, in configured order. */
  Set<String> names() {
    return byName.keySet();
  }

  /** The keys of the named set, or null. */
  IssuerKeys get(String name) {
    return byName.get(name);
  }

  /** Stops the background refresh threads and releases the key sources. */
  @Override
  public void close() {
    for (IssuerKeys k : byName.values()) {
      k.close();
    }
    scheduler.shutdownNow();
    executor.shutdownNow();
  }
}
