package dev.gatehouse.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.gatehouse.server.AuditListener;
import dev.gatehouse.testing.AuditProbeChain;
import io.grpc.Status;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of decision, made by the real chain on an in-process server, lands in exactly one
 * {@code gatehouse.decisions} series with the expected tags, and in the decision timer.
 */
class DecisionMetricsTest {
  private static final String PROBE = "gatehouse.test.v1.Probe/";

  /** One call and the series it must produce. */
  record Case(
      String name,
      boolean dryRun,
      String method,
      String user,
      String service,
      Status.Code status,
      boolean handlerRuns,
      String methodTag,
      String mode,
      String outcome,
      String source,
      String reason) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case(
            "public allowed",
            false,
            "Open",
            null,
            null,
            Status.Code.OK,
            true,
            PROBE + "Open",
            "public",
            "allowed",
            "none",
            "ok"),
        new Case(
            "gated allowed",
            false,
            "AnyUser",
            "ok:alice",
            null,
            Status.Code.OK,
            true,
            PROBE + "AnyUser",
            "gated",
            "allowed",
            "test_user",
            "ok"),
        new Case(
            "internal allowed",
            false,
            "Worker",
            null,
            "ok:worker",
            Status.Code.OK,
            true,
            PROBE + "Worker",
            "internal",
            "allowed",
            "test_service",
            "ok"),
        new Case(
            "missing credentials",
            false,
            "AnyUser",
            null,
            null,
            Status.Code.UNAUTHENTICATED,
            false,
            PROBE + "AnyUser",
            "gated",
            "denied",
            "test_user",
            "missing_credentials"),
        new Case(
            "internal missing credentials",
            false,
            "Worker",
            null,
            null,
            Status.Code.UNAUTHENTICATED,
            false,
            PROBE + "Worker",
            "internal",
            "denied",
            "none",
            "missing_credentials"),
        new Case(
            "refused credential",
            false,
            "AnyUser",
            "bad",
            null,
            Status.Code.UNAUTHENTICATED,
            false,
            PROBE + "AnyUser",
            "gated",
            "denied",
            "test_user",
            "bad_signature"),
        new Case(
            "refused service credential",
            false,
            "Worker",
            null,
            "bad",
            Status.Code.UNAUTHENTICATED,
            false,
            PROBE + "Worker",
            "internal",
            "denied",
            "test_service",
            "bad_signature"),
        new Case(
            "wrong credential kind",
            false,
            "Worker",
            "ok:alice",
            null,
            Status.Code.UNAUTHENTICATED,
            false,
            PROBE + "Worker",
            "internal",
            "denied",
            "test_user",
            "wrong_credential_kind"),
        new Case(
            "insufficient grants",
            false,
            "Driver",
            "ok:bob",
            null,
            Status.Code.PERMISSION_DENIED,
            false,
            PROBE + "Driver",
            "gated",
            "denied",
            "test_user",
            "insufficient_grants"),
        new Case(
            "policy deny",
            false,
            "Denied",
            "ok:alice",
            null,
            Status.Code.PERMISSION_DENIED,
            false,
            PROBE + "Denied",
            "gated",
            "denied",
            "test_user",
            "policy_deny"),
        new Case(
            "unresolved method",
            false,
            AuditProbeChain.UNLISTED,
            "ok:alice",
            null,
            Status.Code.PERMISSION_DENIED,
            false,
            "unresolved",
            "unresolved",
            "denied",
            "none",
            "unresolved_method"),
        new Case(
            "keys unavailable",
            false,
            "AnyUser",
            "down",
            null,
            Status.Code.UNAVAILABLE,
            false,
            PROBE + "AnyUser",
            "gated",
            "denied",
            "test_user",
            "keys_unavailable"),
        new Case(
            "internal error",
            false,
            "AnyUser",
            "boom",
            null,
            Status.Code.INTERNAL,
            false,
            PROBE + "AnyUser",
            "gated",
            "denied",
            "none",
            "internal_error"),
        new Case(
            "dry-run would deny",
            true,
            "AnyUser",
            null,
            null,
            Status.Code.OK,
            true,
            PROBE + "AnyUser",
            "gated",
            "would_deny",
            "test_user",
            "missing_credentials"),
        new Case(
            "dry-run would deny grants",
            true,
            "Driver",
            "ok:bob",
            null,
            Status.Code.OK,
            true,
            PROBE + "Driver",
            "gated",
            "would_deny",
            "test_user",
            "insufficient_grants"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachDecision_countedOnceWithItsTags(Case c) throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (GatehouseMetrics metrics =
            GatehouseMetrics.newBuilder(registry).keyFetches(false).build();
        AuditProbeChain chain = new AuditProbeChain(c.dryRun, metrics, null)) {
      assertEquals(c.status, chain.call(c.method, c.user, c.service));
      assertEquals(c.handlerRuns ? 1 : 0, chain.handlerRuns());

      Counter counter =
          registry
              .find(GatehouseMetrics.DECISIONS)
              .tag("method", c.methodTag)
              .tag("mode", c.mode)
              .tag("outcome", c.outcome)
              .tag("trust.source", c.source)
              .tag("reason", c.reason)
              .counter();
      assertNotNull(counter, () -> "no series for " + c + " in " + describe(registry));
      assertEquals(1.0, counter.count());
      assertEquals(1, registry.find(GatehouseMetrics.DECISIONS).counters().size());

      Timer timer =
          registry
              .find(GatehouseMetrics.DECISION_DURATION)
              .tag("method", c.methodTag)
              .tag("mode", c.mode)
              .tag("outcome", c.outcome)
              .timer();
      assertNotNull(timer, () -> describe(registry));
      assertEquals(1, timer.count());
    }
  }

  @Test
  void unresolvedMethods_shareOneSeries() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (GatehouseMetrics metrics =
            GatehouseMetrics.newBuilder(registry).keyFetches(false).build();
        AuditProbeChain chain = new AuditProbeChain(false, metrics, null)) {
      for (int i = 0; i < 3; i++) {
        assertEquals(
            Status.Code.PERMISSION_DENIED, chain.call(AuditProbeChain.UNLISTED, null, null));
      }
      List<Counter> all = List.copyOf(registry.find(GatehouseMetrics.DECISIONS).counters());
      assertEquals(1, all.size(), () -> describe(registry));
      assertEquals(GatehouseMetrics.UNRESOLVED, all.get(0).getId().getTag("method"));
      assertEquals(3.0, all.get(0).count());
    }
  }

  @Test
  void repeatedDecisions_addUpInOneSeries() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (GatehouseMetrics metrics =
            GatehouseMetrics.newBuilder(registry).keyFetches(false).build();
        AuditProbeChain chain = new AuditProbeChain(false, metrics, null)) {
      chain.call("AnyUser", "ok:alice", null);
      chain.call("AnyUser", "ok:bob", null);
      chain.call("AnyUser", "bad", null);
      assertEquals(
          2.0,
          registry
              .get(GatehouseMetrics.DECISIONS)
              .tag("method", PROBE + "AnyUser")
              .tag("outcome", "allowed")
              .counter()
              .count());
      assertEquals(
          1.0,
          registry
              .get(GatehouseMetrics.DECISIONS)
              .tag("method", PROBE + "AnyUser")
              .tag("reason", "bad_signature")
              .counter()
              .count());
    }
  }

  @Test
  void throwingListenerNextToMetrics_changesNothing() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    AuditListener throwing =
        e -> {
          throw new IllegalStateException("listener failure");
        };
    try (GatehouseMetrics metrics =
            GatehouseMetrics.newBuilder(registry).keyFetches(false).build();
        AuditProbeChain chain =
            new AuditProbeChain(false, AuditListener.all(throwing, metrics), null)) {
      assertEquals(Status.Code.OK, chain.call("AnyUser", "ok:alice", null));
      assertEquals(Status.Code.UNAUTHENTICATED, chain.call("AnyUser", "bad", null));
      assertEquals(1, chain.handlerRuns());
      assertEquals(
          2.0,
          registry.find(GatehouseMetrics.DECISIONS).counters().stream()
              .mapToDouble(Counter::count)
              .sum());
    }
  }

  @Test
  void close_removesTheMeters() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    GatehouseMetrics metrics = GatehouseMetrics.newBuilder(registry).keyFetches(false).build();
    try (AuditProbeChain chain = new AuditProbeChain(false, metrics, null)) {
      chain.call("Open", null, null);
    }
    assertEquals(2, registry.getMeters().size());
    metrics.close();
    assertEquals(List.of(), registry.getMeters());
  }

  static String describe(SimpleMeterRegistry registry) {
    StringBuilder sb = new StringBuilder();
    for (Meter m : registry.getMeters()) {
      sb.append(m.getId()).append('\n');
    }
    return sb.toString();
  }
}
