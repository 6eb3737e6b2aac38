package dev.gatehouse.opentelemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.server.AuditListener;
import dev.gatehouse.testing.AuditProbeChain;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every kind of decision, made by the real chain on an in-process server, puts the expected
 * attributes on the server span a tracing interceptor opened around the call, and nothing else.
 */
class SpanAttributesTest {
  private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
  private final SdkTracerProvider provider =
      SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
  private final Tracer tracer = provider.get("gatehouse-test");

  @AfterEach
  void shutdown() {
    provider.close();
  }

  /** One call and the attributes its span must carry (null: absent). */
  record Case(
      String name,
      boolean dryRun,
      String method,
      String user,
      String service,
      Status.Code status,
      boolean handlerRuns,
      String decision,
      String reason,
      String mode,
      String source,
      String kind) {
    @Override
    public String toString() {
      return name;
    }

    Map<String, String> attributes() {
      Map<String, String> m = new HashMap<>();
      m.put(GatehouseSpanAttributes.DECISION_KEY, decision);
      m.put(GatehouseSpanAttributes.REASON_KEY, reason);
      if (mode != null) {
        m.put(GatehouseSpanAttributes.MODE_KEY, mode);
      }
      if (source != null) {
        m.put(GatehouseSpanAttributes.TRUST_SOURCE_KEY, source);
      }
      if (kind != null) {
        m.put(GatehouseSpanAttributes.PRINCIPAL_KIND_KEY, kind);
      }
      return m;
    }
  }

  static Stream<Case> cases() {
    Status.Code ok = Status.Code.OK;
    Status.Code unauthenticated = Status.Code.UNAUTHENTICATED;
    Status.Code denied = Status.Code.PERMISSION_DENIED;
    return Stream.of(
        new Case(
            "public allowed",
            false,
            "Open",
            null,
            null,
            ok,
            true,
            "allowed",
            "ok",
            "public",
            null,
            null),
        new Case(
            "gated allowed",
            false,
            "AnyUser",
            "ok:alice",
            null,
            ok,
            true,
            "allowed",
            "ok",
            "gated",
            "test_user",
            "user"),
        new Case(
            "internal allowed",
            false,
            "Worker",
            null,
            "ok:worker",
            ok,
            true,
            "allowed",
            "ok",
            "internal",
            "test_service",
            "service"),
        new Case(
            "missing credentials",
            false,
            "AnyUser",
            null,
            null,
            unauthenticated,
            false,
            "denied",
            "missing_credentials",
            "gated",
            "test_user",
            null),
        new Case(
            "internal missing credentials",
            false,
            "Worker",
            null,
            null,
            unauthenticated,
            false,
            "denied",
            "missing_credentials",
            "internal",
            null,
            null),
        new Case(
            "refused credential",
            false,
            "AnyUser",
            "bad",
            null,
            unauthenticated,
            false,
            "denied",
            "bad_signature",
            "gated",
            "test_user",
            null),
        new Case(
            "wrong credential kind",
            false,
            "Worker",
            "ok:alice",
            null,
            unauthenticated,
            false,
            "denied",
            "wrong_credential_kind",
            "internal",
            "test_user",
            null),
        new Case(
            "insufficient grants",
            false,
            "Driver",
            "ok:bob",
            null,
            denied,
            false,
            "denied",
            "insufficient_grants",
            "gated",
            "test_user",
            "user"),
        new Case(
            "policy deny",
            false,
            "Denied",
            "ok:alice",
            null,
            denied,
            false,
            "denied",
            "policy_deny",
            "gated",
            "test_user",
            "user"),
        new Case(
            "unresolved method",
            false,
            AuditProbeChain.UNLISTED,
            "ok:alice",
            null,
            denied,
            false,
            "denied",
            "unresolved_method",
            null,
            null,
            null),
        new Case(
            "keys unavailable",
            false,
            "AnyUser",
            "down",
            null,
            Status.Code.UNAVAILABLE,
            false,
            "denied",
            "keys_unavailable",
            "gated",
            "test_user",
            null),
        new Case(
            "internal error",
            false,
            "AnyUser",
            "boom",
            null,
            Status.Code.INTERNAL,
            false,
            "denied",
            "internal_error",
            "gated",
            null,
            null),
        new Case(
            "dry-run would deny",
            true,
            "AnyUser",
            null,
            null,
            ok,
            true,
            "would_deny",
            "missing_credentials",
            "gated",
            "test_user",
            null),
        new Case(
            "dry-run would deny grants",
            true,
            "Driver",
            "ok:bob",
            null,
            ok,
            true,
            "would_deny",
            "insufficient_grants",
            "gated",
            "test_user",
            "user"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void eachDecision_setsItsAttributesOnTheServerSpan(Case c) throws Exception {
    try (AuditProbeChain chain =
        new AuditProbeChain(c.dryRun, GatehouseSpanAttributes.create(), serverSpans())) {
      assertEquals(c.status, chain.call(c.method, c.user, c.service));
      assertEquals(c.handlerRuns ? 1 : 0, chain.handlerRuns());
    }
    assertEquals(c.attributes(), onlySpanAttributes());
  }

  @Test
  void endUserId_recordedOnlyWhenEnabledAndOnlyForUsers() throws Exception {
    try (AuditProbeChain chain =
        new AuditProbeChain(
            false,
            GatehouseSpanAttributes.newBuilder().recordEndUserId(true).build(),
            serverSpans())) {
      assertEquals(Status.Code.OK, chain.call("AnyUser", "ok:alice", null));
      assertEquals("alice", onlySpanAttributes().get(GatehouseSpanAttributes.END_USER_ID_KEY));
      exporter.reset();
      assertEquals(Status.Code.OK, chain.call("Worker", null, "ok:worker"));
      assertEquals(
          null, onlySpanAttributes().get(GatehouseSpanAttributes.END_USER_ID_KEY), "service");
    }
    try (AuditProbeChain chain =
        new AuditProbeChain(false, GatehouseSpanAttributes.create(), serverSpans())) {
      exporter.reset();
      assertEquals(Status.Code.OK, chain.call("AnyUser", "ok:alice", null));
      assertEquals(
          null, onlySpanAttributes().get(GatehouseSpanAttributes.END_USER_ID_KEY), "default");
    }
  }

  @Test
  void withoutASpan_callsAreUnaffected() throws Exception {
    AuditListener listener = GatehouseSpanAttributes.create();
    try (AuditProbeChain chain = new AuditProbeChain(false, listener, null)) {
      assertEquals(Status.Code.OK, chain.call("AnyUser", "ok:alice", null));
      assertEquals(Status.Code.UNAUTHENTICATED, chain.call("AnyUser", "bad", null));
      assertEquals(1, chain.handlerRuns());
    }
    assertEquals(List.of(), exporter.getFinishedSpanItems());
  }

  /** The attributes of the one finished span, as strings. */
  private Map<String, String> onlySpanAttributes() {
    List<SpanData> spans = exporter.getFinishedSpanItems();
    assertEquals(1, spans.size(), spans::toString);
    assertEquals(SpanKind.SERVER, spans.get(0).getKind());
    Map<String, String> out = new HashMap<>();
    spans
        .get(0)
        .getAttributes()
        .forEach((AttributeKey<?> k, Object v) -> out.put(k.getKey(), String.valueOf(v)));
    return out;
  }

  /** Opens a server span around each call, current while the chain decides; ends it on close. */
  private ServerInterceptor serverSpans() {
    return new ServerInterceptor() {
      @Override
      public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
          ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
        Span span =
            tracer
                .spanBuilder(call.getMethodDescriptor().getFullMethodName())
                .setSpanKind(SpanKind.SERVER)
                .startSpan();
        ServerCall<ReqT, RespT> ending =
            new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
              @Override
              public void close(Status status, Metadata trailers) {
                try {
                  super.close(status, trailers);
                } finally {
                  span.end();
                }
              }
            };
        Scope scope = span.makeCurrent();
        try {
          return next.startCall(ending, headers);
        } finally {
          scope.close();
        }
      }
    };
  }
}
