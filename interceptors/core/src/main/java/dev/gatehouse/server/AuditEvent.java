package dev.gatehouse.server;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.policy.Mode;
import dev.gatehouse.spi.Reason;
import io.grpc.Status;
import java.util.Optional;

/**
 * One decision of the chain. Carries no token material: the principal appears only as its subject,
 * kind and trust source.
 */
public final class AuditEvent {
  /** What happened to the call. */
  public enum Outcome {
    /** The call went through. */
    ALLOWED,
    /** The call was refused with {@link #status()}. */
    DENIED,
    /** Dry-run: the call would have been refused with {@link #status()} but went through. */
    WOULD_DENY
  }

  private final String fullMethodName;
  private final Mode mode;
  private final Outcome outcome;
  private final Status.Code status;
  private final Reason reason;
  private final String detail;
  private final AuthContext principal;
  private final String trustSource;
  private final long nanos;

  AuditEvent(
      String fullMethodName,
      Mode mode,
      Outcome outcome,
      Status.Code status,
      Reason reason,
      String detail,
      AuthContext principal,
      String trustSource,
      long nanos) {
    this.fullMethodName = requireNonNull(fullMethodName);
    this.mode = mode;
    this.outcome = requireNonNull(outcome);
    this.status = requireNonNull(status);
    this.reason = requireNonNull(reason);
    this.detail = requireNonNull(detail);
    this.principal = principal;
    this.trustSource = trustSource;
    this.nanos = nanos;
  }

  /** The full method name. */
  public String fullMethodName() {
    return fullMethodName;
  }

  /** The method's resolved mode; empty for a method the chain did not resolve. */
  public Optional<Mode> mode() {
    return Optional.ofNullable(mode);
  }

  /** The outcome. */
  public Outcome outcome() {
    return outcome;
  }

  /** The status code sent (or, for WOULD_DENY, that would have been sent); OK when allowed. */
  public Status.Code status() {
    return status;
  }

  /** The precise reason. */
  public Reason reason() {
    return reason;
  }

  /** A log-safe detail from the authenticator or the chain. */
  public String detail() {
    return detail;
  }

  /** The authenticated principal, if authentication succeeded. */
  public Optional<AuthContext> principal() {
    return Optional.ofNullable(principal);
  }

  /** The trust source or authenticator that decided, if any. */
  public Optional<String> trustSource() {
    return Optional.ofNullable(trustSource);
  }

  /** Nanoseconds the chain spent on this decision. */
  public long nanos() {
    return nanos;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("gatehouse decision method=").append(fullMethodName);
    sb.append(" mode=").append(mode == null ? "UNRESOLVED" : mode);
    sb.append(" outcome=").append(outcome).append(" status=").append(status);
    sb.append(" reason=").append(reason);
    if (principal != null) {
      sb.append(" subject=").append(principal.subject()).append(" kind=").append(principal.kind());
    }
    if (trustSource != null) {
      sb.append(" source=").append(trustSource);
    }
    if (!detail.isEmpty()) {
      sb.append(" detail=\"").append(detail).append('"');
    }
    sb.append(" nanos=").append(nanos);
    return sb.toString();
  }
}
