package dev.gatehouse.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.BundleExpiry;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.KeyFetchEvents;
import dev.gatehouse.spi.ReplayCacheSize;
import dev.gatehouse.testing.MutableClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Key-fetch, replay-cache and expiry gauges. */
class TrustHealthMetricsTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  @Test
  void keyFetches_reportAgeOfLastSuccessAndFailuresPerIssuer() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MutableClock clock = new MutableClock(T0);
    GatehouseMetrics metrics = GatehouseMetrics.newBuilder(registry).clock(clock).build();
    try {
      KeyFetchEvents.report("https://idp.test", false);
      assertTrue(Double.isNaN(age(registry, "https://idp.test")), "no success yet");
      assertEquals(1.0, failures(registry, "https://idp.test"));

      KeyFetchEvents.report("https://idp.test", true);
      clock.advance(Duration.ofSeconds(90));
      assertEquals(90.0, age(registry, "https://idp.test"));

      KeyFetchEvents.report("https://idp.test", false);
      KeyFetchEvents.report("worker", true);
      clock.advance(Duration.ofSeconds(10));
      assertEquals(100.0, age(registry, "https://idp.test"));
      assertEquals(2.0, failures(registry, "https://idp.test"));
      assertEquals(10.0, age(registry, "worker"));
      assertEquals(0.0, failures(registry, "worker"));
    } finally {
      metrics.close();
    }
  }

  @Test
  void closed_stopsCountingKeyFetches() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    GatehouseMetrics metrics = GatehouseMetrics.newBuilder(registry).build();
    metrics.close();
    KeyFetchEvents.report("https://idp.test", false);
    assertNull(registry.find(GatehouseMetrics.KEY_FETCH_FAILURES).counter());
  }

  @Test
  void keyFetchesOff_registersNoKeyMeters() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    GatehouseMetrics metrics = GatehouseMetrics.newBuilder(registry).keyFetches(false).build();
    try {
      KeyFetchEvents.report("https://idp.test", false);
      assertNull(registry.find(GatehouseMetrics.KEY_FETCH_FAILURES).counter());
    } finally {
      metrics.close();
    }
  }

  @Test
  void replayCacheAndExpiry_readTheirSuppliers() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MutableClock clock = new MutableClock(T0);
    AtomicInteger size = new AtomicInteger(3);
    GatehouseMetrics metrics =
        GatehouseMetrics.newBuilder(registry)
            .clock(clock)
            .keyFetches(false)
            .replayCache("signed_token", size::get)
            .certificateExpiry("peer_certificate", () -> T0.plus(Duration.ofDays(30)))
            .certificateExpiry("nothing_expires", () -> Instant.MAX)
            .build();
    try {
      // The suppliers are referenced by nothing but the gauges: they must survive a collection.
      System.gc();
      assertEquals(3.0, gauge(registry, GatehouseMetrics.REPLAY_CACHE_SIZE, "signed_token"));
      size.set(7);
      assertEquals(7.0, gauge(registry, GatehouseMetrics.REPLAY_CACHE_SIZE, "signed_token"));

      assertEquals(
          30.0, gauge(registry, GatehouseMetrics.CERTIFICATE_EXPIRY_DAYS, "peer_certificate"));
      clock.advance(Duration.ofDays(31));
      assertEquals(
          -1.0, gauge(registry, GatehouseMetrics.CERTIFICATE_EXPIRY_DAYS, "peer_certificate"));
      assertTrue(
          Double.isNaN(
              gauge(registry, GatehouseMetrics.CERTIFICATE_EXPIRY_DAYS, "nothing_expires")));
    } finally {
      metrics.close();
    }
  }

  @Test
  void trustSources_registersGaugesOfAuthenticatorsThatHaveThem() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    MutableClock clock = new MutableClock(T0);
    AtomicInteger size = new AtomicInteger(4);
    GatehouseMetrics metrics =
        GatehouseMetrics.newBuilder(registry)
            .clock(clock)
            .keyFetches(false)
            .trustSources(
                List.of(
                    new Replaying("signed_token", size),
                    new Certificates("peer_certificate", T0.plus(Duration.ofDays(12))),
                    new Plain("mesh_identity")))
            .build();
    try {
      assertEquals(4.0, gauge(registry, GatehouseMetrics.REPLAY_CACHE_SIZE, "signed_token"));
      size.set(5);
      assertEquals(5.0, gauge(registry, GatehouseMetrics.REPLAY_CACHE_SIZE, "signed_token"));
      assertEquals(
          12.0, gauge(registry, GatehouseMetrics.CERTIFICATE_EXPIRY_DAYS, "peer_certificate"));
      assertNull(
          registry
              .find(GatehouseMetrics.REPLAY_CACHE_SIZE)
              .tag("trust.source", "mesh_identity")
              .gauge());
      assertNull(
          registry
              .find(GatehouseMetrics.CERTIFICATE_EXPIRY_DAYS)
              .tag("trust.source", "signed_token")
              .gauge());
    } finally {
      metrics.close();
    }
    assertNull(registry.find(GatehouseMetrics.REPLAY_CACHE_SIZE).gauge(), "close removes them");
  }

  @Test
  void builder_refusesBlankOrRepeatedSourceNames() {
    GatehouseMetrics.Builder b = GatehouseMetrics.newBuilder(new SimpleMeterRegistry());
    IllegalArgumentException blank =
        assertThrows(IllegalArgumentException.class, () -> b.replayCache(" ", () -> 0));
    assertTrue(blank.getMessage().contains("replayCache"), blank.getMessage());
    b.certificateExpiry("peer_certificate", () -> T0);
    IllegalArgumentException twice =
        assertThrows(
            IllegalArgumentException.class,
            () -> b.certificateExpiry("peer_certificate", () -> T0));
    assertTrue(twice.getMessage().contains("peer_certificate"), twice.getMessage());
  }

  /** An authenticator without monitoring capabilities. */
  private static class Plain implements Authenticator {
    private final String name;

    Plain(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Set<String> credentialHeaders() {
      return Set.of();
    }

    @Override
    public AuthResult authenticate(IncomingCall request) {
      return AuthResult.noCredential();
    }
  }

  /** One that keeps a replay cache. */
  private static final class Replaying extends Plain implements ReplayCacheSize {
    private final AtomicInteger size;

    Replaying(String name, AtomicInteger size) {
      super(name);
      this.size = size;
    }

    @Override
    public int replayCacheSize() {
      return size.get();
    }
  }

  /** One that trusts CA certificates. */
  private static final class Certificates extends Plain implements BundleExpiry {
    private final Instant expiry;

    Certificates(String name, Instant expiry) {
      super(name);
      this.expiry = expiry;
    }

    @Override
    public Instant earliestBundleExpiry() {
      return expiry;
    }
  }

  private static double age(SimpleMeterRegistry r, String issuer) {
    return r.get(GatehouseMetrics.KEY_REFRESH_AGE).tag("issuer", issuer).gauge().value();
  }

  private static double failures(SimpleMeterRegistry r, String issuer) {
    return r.get(GatehouseMetrics.KEY_FETCH_FAILURES).tag("issuer", issuer).counter().count();
  }

  private static double gauge(SimpleMeterRegistry r, String name, String source) {
    return r.get(name).tag("trust.source", source).gauge().value();
  }
}
