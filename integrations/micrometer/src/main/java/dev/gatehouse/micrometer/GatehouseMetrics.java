package dev.gatehouse.micrometer;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuditListener;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.BundleExpiry;
import dev.gatehouse.spi.KeyFetchEvents;
import dev.gatehouse.spi.ReplayCacheSize;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Gatehouse decisions and trust-source health as Micrometer meters. An {@link AuditListener}: pass
 * it to the chain (next to the default logging with {@link AuditListener#all}).
 *
 * <pre>{@code
 * GatehouseMetrics metrics = GatehouseMetrics.newBuilder(registry)
 *     .replayCache("signed_token", serviceTokens::replayCacheSize)         // optional
 *     .certificateExpiry("peer_certificate", certs::earliestBundleExpiry)  // optional
 *     .build();
 * Gatehouse gatehouse = Gatehouse.newBuilder()
 *     .addService(new TripService())
 *     ...
 *     .auditListener(AuditListener.all(AuditListener.logging(), metrics))
 *     .build();
 * }</pre>
 *
 * <p>For a chain built from the configuration file, register the trust-source gauges once it is
 * built: {@code metrics.trustSourcesOf(configuredGatehouse)}; for one built in code, {@code
 * .trustSources(List.of(serviceTokens, certs))} on the builder.
 *
 * <p>Meters (tag values are lower case):
 *
 * <ul>
 *   <li>{@value #DECISIONS} — counter per decision, tagged {@code method}, {@code mode} ({@code
 *       public}, {@code internal}, {@code gated}), {@code outcome} ({@code allowed}, {@code
 *       denied}, {@code would_deny}), {@code trust.source} (the authenticator's name, or {@code
 *       none}) and {@code reason} (the {@code Reason}, e.g. {@code bad_signature});
 *   <li>{@value #DECISION_DURATION} — timer of the chain's own time per decision, tagged {@code
 *       method}, {@code mode}, {@code outcome};
 *   <li>{@value #KEY_REFRESH_AGE} — per {@code issuer} (or SPIFFE trust domain) whose keys are
 *       fetched, seconds since the last successful fetch ({@code NaN} before the first);
 *   <li>{@value #KEY_FETCH_FAILURES} — per {@code issuer}, fetches that failed;
 *   <li>{@value #REPLAY_CACHE_SIZE} — per registered {@code trust.source}, token ids held by its
 *       replay cache;
 *   <li>{@value #CERTIFICATE_EXPIRY_DAYS} — per registered {@code trust.source}, days until its
 *       earliest certificate or bundle expiry (negative once expired).
 * </ul>
 *
 * <p>Tag values are bounded: a method the chain resolved at startup is tagged with its full name,
 * and every other method name (which the caller chooses) with the one value {@value #UNRESOLVED};
 * modes, outcomes and reasons are enums; trust sources and issuers are configured. Key-fetch meters
 * are fed by {@link KeyFetchEvents} (process-wide; {@link #close()} stops that).
 *
 * <p>Never changes a decision: it only reads the event, and the chain ignores anything a listener
 * throws.
 */
public final class GatehouseMetrics implements AuditListener, AutoCloseable {
  /** Decision counter name. */
  public static final String DECISIONS = "gatehouse.decisions";

  /** Decision timer name. */
  public static final String DECISION_DURATION = "gatehouse.decision.duration";

  /** Key age gauge name. */
  public static final String KEY_REFRESH_AGE = "gatehouse.keys.refresh.age";

  /** Key fetch failure counter name. */
  public static final String KEY_FETCH_FAILURES = "gatehouse.keys.fetch.failures";

  /** Replay cache size gauge name. */
  public static final String REPLAY_CACHE_SIZE = "gatehouse.replay.cache.size";

  /** Certificate expiry gauge name. */
  public static final String CERTIFICATE_EXPIRY_DAYS = "gatehouse.certificates.expiry.days";

  /** The {@code method} and {@code mode} tag value of every method the chain did not resolve. */
  public static final String UNRESOLVED = "unresolved";

  /** The {@code trust.source} tag value of a decision no authenticator took part in. */
  public static final String NO_SOURCE = "none";

  private static final double SECONDS_PER_DAY = 86_400.0;

  private final MeterRegistry registry;
  private final Clock clock;
  private final ConcurrentHashMap<DecisionKey, Meters> decisions = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, KeyMeters> keySets = new ConcurrentHashMap<>();
  private final List<Meter> registered = new CopyOnWriteArrayList<>();
  private final KeyFetchEvents.Registration keyEvents;
  private final Set<String> replayCacheNames;
  private final Set<String> expiryNames;

  private GatehouseMetrics(Builder b) {
    this.registry = b.registry;
    this.clock = b.clock;
    this.replayCacheNames = new HashSet<>(b.replayCaches.keySet());
    this.expiryNames = new HashSet<>(b.expiries.keySet());
    b.replayCaches.forEach(this::replayCacheGauge);
    b.expiries.forEach(this::expiryGauge);
    this.keyEvents = b.keyFetches ? KeyFetchEvents.register(this::onKeyFetch) : null;
  }

  private void replayCacheGauge(String source, IntSupplier size) {
    registered.add(
        Gauge.builder(REPLAY_CACHE_SIZE, size, s -> s.getAsInt())
            .description("Token ids held by the replay cache of a trust source")
            .tag("trust.source", source)
            // Only the gauge holds the supplier: a weak reference would let it be collected.
            .strongReference(true)
            .register(registry));
  }

  private void expiryGauge(String source, Supplier<Instant> expiry) {
    registered.add(
        Gauge.builder(CERTIFICATE_EXPIRY_DAYS, expiry, this::daysUntil)
            .description("Days until the earliest certificate or bundle expiry")
            .tag("trust.source", source)
            .baseUnit("days")
            .strongReference(true)
            .register(registry));
  }

  /**
   * Registers the replay-cache and certificate-expiry gauges of every authenticator of the
   * configured chain {@code gatehouse} that has one, tagged with its name. The gauges read through
   * the chain's reloadable slots, so after a reload they follow the rebuilt trust source. Call it
   * once the chain is built (this listener is passed to the chain's builder before); {@link
   * #close()} removes these gauges too.
   *
   * @throws IllegalArgumentException if a gauge for one of these names was already given to the
   *     builder
   */
  public synchronized void trustSourcesOf(ConfiguredGatehouse gatehouse) {
    requireNonNull(gatehouse, "gatehouse");
    Map<String, ReplayCacheSize> caches = gatehouse.replayCaches();
    Map<String, BundleExpiry> expiries = gatehouse.bundleExpiries();
    for (String name : caches.keySet()) {
      if (!replayCacheNames.add(name)) {
        throw new IllegalArgumentException("trustSourcesOf: trust source " + name + " given twice");
      }
    }
    for (String name : expiries.keySet()) {
      if (!expiryNames.add(name)) {
        throw new IllegalArgumentException("trustSourcesOf: trust source " + name + " given twice");
      }
    }
    caches.forEach((name, cache) -> replayCacheGauge(name, cache::replayCacheSize));
    expiries.forEach((name, expiry) -> expiryGauge(name, expiry::earliestBundleExpiry));
  }

  /** A builder registering on {@code registry}. */
  public static Builder newBuilder(MeterRegistry registry) {
    return new Builder(registry);
  }

  @Override
  public void onDecision(AuditEvent event) {
    boolean resolved = event.mode().isPresent();
    DecisionKey key =
        new DecisionKey(
            resolved ? event.fullMethodName() : UNRESOLVED,
            resolved ? lower(event.mode().get().name()) : UNRESOLVED,
            event.outcome(),
            event.trustSource().orElse(NO_SOURCE),
            event.reason());
    Meters m = decisions.get(key);
    if (m == null) {
      m = decisions.computeIfAbsent(key, this::meters);
    }
    m.count.increment();
    m.time.record(event.nanos(), TimeUnit.NANOSECONDS);
  }

  private Meters meters(DecisionKey k) {
    Tags common = Tags.of("method", k.method, "mode", k.mode, "outcome", lower(k.outcome.name()));
    Counter count =
        Counter.builder(DECISIONS)
            .description("Gatehouse decisions")
            .tags(common)
            .tag("trust.source", k.source)
            .tag("reason", lower(k.reason.name()))
            .register(registry);
    Timer time =
        Timer.builder(DECISION_DURATION)
            .description("Time the Gatehouse chain spent deciding")
            .tags(common)
            .register(registry);
    registered.add(count);
    registered.add(time);
    return new Meters(count, time);
  }

  private void onKeyFetch(String keySet, boolean succeeded) {
    KeyMeters k = keySets.computeIfAbsent(keySet, this::keyMeters);
    if (succeeded) {
      k.lastSuccessMillis.set(clock.millis());
    } else {
      k.failures.increment();
    }
  }

  private KeyMeters keyMeters(String keySet) {
    AtomicLong last = new AtomicLong(Long.MIN_VALUE);
    Gauge age =
        Gauge.builder(KEY_REFRESH_AGE, last, this::ageSeconds)
            .description("Seconds since the last successful key fetch of an issuer")
            .strongReference(true)
            .tag("issuer", keySet)
            .baseUnit("seconds")
            .register(registry);
    Counter failures =
        Counter.builder(KEY_FETCH_FAILURES)
            .description("Key fetches of an issuer that failed")
            .tag("issuer", keySet)
            .register(registry);
    registered.add(age);
    registered.add(failures);
    return new KeyMeters(last, failures);
  }

  private double ageSeconds(AtomicLong lastSuccessMillis) {
    long last = lastSuccessMillis.get();
    return last == Long.MIN_VALUE ? Double.NaN : (clock.millis() - last) / 1000.0;
  }

  private double daysUntil(Supplier<Instant> expiry) {
    Instant at = expiry.get();
    if (at == null || at.equals(Instant.MAX)) {
      return Double.NaN;
    }
    Duration left = Duration.between(clock.instant(), at);
    return left.toSeconds() / SECONDS_PER_DAY;
  }

  private static String lower(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  /**
   * Stops listening to key fetches and removes every meter this instance registered. Decisions that
   * still arrive register their meters again; close it with the chain.
   */
  @Override
  public void close() {
    if (keyEvents != null) {
      keyEvents.close();
    }
    List<Meter> all = new ArrayList<>(registered);
    registered.clear();
    decisions.clear();
    keySets.clear();
    all.forEach(registry::remove);
  }

  private record DecisionKey(
      String method,
      String mode,
      AuditEvent.Outcome outcome,
      String source,
      dev.gatehouse.spi.Reason reason) {}

  private record Meters(Counter count, Timer time) {}

  private record KeyMeters(AtomicLong lastSuccessMillis, Counter failures) {}

  /** Builds {@link GatehouseMetrics}; every setting is optional. */
  public static final class Builder {
    private final MeterRegistry registry;
    private Clock clock = Clock.systemUTC();
    private boolean keyFetches = true;
    private final Map<String, IntSupplier> replayCaches = new LinkedHashMap<>();
    private final Map<String, Supplier<Instant>> expiries = new LinkedHashMap<>();

    private Builder(MeterRegistry registry) {
      this.registry = requireNonNull(registry, "registry");
    }

    /** The clock for key ages and days until expiry; default the system clock. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /** Whether to count key fetches reported to {@link KeyFetchEvents}; default true. */
    public Builder keyFetches(boolean on) {
      this.keyFetches = on;
      return this;
    }

    /**
     * Reports the replay cache size of the trust source named {@code trustSource}, e.g. {@code
     * replayCache("signed_token", serviceTokens::replayCacheSize)}.
     *
     * @throws IllegalArgumentException on a blank name or one given twice
     */
    public Builder replayCache(String trustSource, IntSupplier size) {
      put(replayCaches, "replayCache", trustSource, requireNonNull(size, "size"));
      return this;
    }

    /**
     * Reports the days until {@code earliestExpiry} of the trust source named {@code trustSource},
     * e.g. {@code certificateExpiry("peer_certificate", certs::earliestBundleExpiry)}. A null or
     * {@link Instant#MAX} answer reads as {@code NaN} (nothing expires).
     *
     * @throws IllegalArgumentException on a blank name or one given twice
     */
    public Builder certificateExpiry(String trustSource, Supplier<Instant> earliestExpiry) {
      put(expiries, "certificateExpiry", trustSource, requireNonNull(earliestExpiry, "expiry"));
      return this;
    }

    /**
     * Reports the replay cache size of every authenticator in {@code authenticators} that keeps one
     * ({@link ReplayCacheSize}, e.g. {@code SignedTokenTrustSource}) and the days until the
     * earliest CA expiry of every one that trusts CA certificates ({@link BundleExpiry}, e.g.
     * {@code PeerCertificateTrustSource}), tagged with its name. For chains built in code; for a
     * {@link ConfiguredGatehouse} use {@link GatehouseMetrics#trustSourcesOf}.
     *
     * @throws IllegalArgumentException if a name is given twice
     */
    public Builder trustSources(Collection<? extends Authenticator> authenticators) {
      for (Authenticator a : requireNonNull(authenticators, "authenticators")) {
        requireNonNull(a, "authenticators: null element");
        if (a instanceof ReplayCacheSize r) {
          replayCache(a.name(), r::replayCacheSize);
        }
        if (a instanceof BundleExpiry e) {
          certificateExpiry(a.name(), e::earliestBundleExpiry);
        }
      }
      return this;
    }

    private static <V> void put(Map<String, V> map, String what, String name, V value) {
      requireNonNull(name, "trustSource");
      if (name.isBlank()) {
        throw new IllegalArgumentException(what + ": trust source name must not be blank");
      }
      if (map.putIfAbsent(name, value) != null) {
        throw new IllegalArgumentException(what + ": trust source " + name + " given twice");
      }
    }

    /** Registers the gauges and, unless turned off, starts counting key fetches. */
    public GatehouseMetrics build() {
      return new GatehouseMetrics(this);
    }
  }
}
