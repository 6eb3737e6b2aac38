package dev.gatehouse.opentelemetry;

import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuditListener;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.PrincipalKind;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import java.util.Locale;

/**
 * Puts each Gatehouse decision on the current OpenTelemetry span: the server span of the call when
 * a tracing interceptor (such as OpenTelemetry's gRPC instrumentation) runs before the chain. An
 * {@link AuditListener}: pass it to the chain, next to the default logging with {@link
 * AuditListener#all}.
 *
 * <pre>{@code
 * Gatehouse gatehouse = Gatehouse.newBuilder()
 *     ...
 *     .auditListener(AuditListener.all(AuditListener.logging(), GatehouseSpanAttributes.create()))
 *     .build();
 * }</pre>
 *
 * <p>Attributes (values lower case): {@value #DECISION_KEY} ({@code allowed}, {@code denied},
 * {@code would_deny}), {@value #REASON_KEY} (e.g. {@code bad_signature}), {@value #MODE_KEY}
 * ({@code public}, {@code internal}, {@code gated}; absent for a method the chain did not resolve),
 * {@value #TRUST_SOURCE_KEY} (the deciding authenticator's name, when one took part) and {@value
 * #PRINCIPAL_KIND_KEY} ({@code user} or {@code service}, when the caller authenticated). The end
 * user's id ({@value #END_USER_ID_KEY}, the subject of a {@code USER} principal) only with {@link
 * Builder#recordEndUserId(boolean)}: it is personal data. No token or claim is ever recorded.
 *
 * <p>Costs one {@code Span.current()} lookup when no span is recording; never changes a decision
 * (the chain ignores anything a listener throws).
 */
public final class GatehouseSpanAttributes implements AuditListener {
  /** Name of the decision attribute. */
  public static final String DECISION_KEY = "gatehouse.decision";

  /** Name of the reason attribute. */
  public static final String REASON_KEY = "gatehouse.reason";

  /** Name of the mode attribute. */
  public static final String MODE_KEY = "gatehouse.mode";

  /** Name of the trust source attribute. */
  public static final String TRUST_SOURCE_KEY = "gatehouse.trust_source";

  /** Name of the principal kind attribute. */
  public static final String PRINCIPAL_KIND_KEY = "gatehouse.principal.kind";

  /** Name of the end-user id attribute (OpenTelemetry's {@code enduser.id}). */
  public static final String END_USER_ID_KEY = "enduser.id";

  /** The decision. */
  public static final AttributeKey<String> DECISION = AttributeKey.stringKey(DECISION_KEY);

  /** The reason. */
  public static final AttributeKey<String> REASON = AttributeKey.stringKey(REASON_KEY);

  /** The method's mode. */
  public static final AttributeKey<String> MODE = AttributeKey.stringKey(MODE_KEY);

  /** The deciding authenticator. */
  public static final AttributeKey<String> TRUST_SOURCE = AttributeKey.stringKey(TRUST_SOURCE_KEY);

  /** The principal's kind. */
  public static final AttributeKey<String> PRINCIPAL_KIND =
      AttributeKey.stringKey(PRINCIPAL_KIND_KEY);

  /** The end user's id. */
  public static final AttributeKey<String> END_USER_ID = AttributeKey.stringKey(END_USER_ID_KEY);

  private final boolean endUserId;

  private GatehouseSpanAttributes(Builder b) {
    this.endUserId = b.endUserId;
  }

  /** Attributes without the end user's id. */
  public static GatehouseSpanAttributes create() {
    return newBuilder().build();
  }

  /** A builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  public void onDecision(AuditEvent event) {
    Span span = Span.current();
    if (!span.isRecording()) {
      return;
    }
    span.setAttribute(DECISION, lower(event.outcome().name()));
    span.setAttribute(REASON, lower(event.reason().name()));
    event.mode().ifPresent(m -> span.setAttribute(MODE, lower(m.name())));
    event.trustSource().ifPresent(s -> span.setAttribute(TRUST_SOURCE, s));
    if (event.principal().isPresent()) {
      AuthContext p = event.principal().get();
      span.setAttribute(PRINCIPAL_KIND, lower(p.kind().name()));
      if (endUserId && p.kind() == PrincipalKind.USER) {
        span.setAttribute(END_USER_ID, p.subject());
      }
    }
  }

  private static String lower(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  /** Builds {@link GatehouseSpanAttributes}. */
  public static final class Builder {
    private boolean endUserId;

    private Builder() {}

    /**
     * Whether to record the end user's id (the subject of a USER principal) as {@code enduser.id};
     * default false. Turn it on only where traces may hold personal data.
     */
    public Builder recordEndUserId(boolean on) {
      this.endUserId = on;
      return this;
    }

    /** Builds it. */
    public GatehouseSpanAttributes build() {
      return new GatehouseSpanAttributes(this);
    }
  }
}
