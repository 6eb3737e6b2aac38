package dev.gatehouse.testkit;

import static java.util.Objects.requireNonNull;

import io.grpc.Status;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a run of {@link HostileCredentials} found: how the server answered the legitimate control
 * credential and each hostile one. Holds case names and status codes only, never a credential.
 */
public final class HostileReport {
  /** The codes that count as a refusal by the authentication layer. */
  public static final Set<Status.Code> REFUSALS =
      Set.of(Status.Code.UNAUTHENTICATED, Status.Code.PERMISSION_DENIED);

  /**
   * One call of the run.
   *
   * @param name what was sent, e.g. {@code alg none}
   * @param code the status the server answered
   */
  public record Result(String name, Status.Code code) {
    /** Builds a result. */
    public Result {
      requireNonNull(name, "name");
      requireNonNull(code, "code");
    }

    /** Whether the server refused it (UNAUTHENTICATED or PERMISSION_DENIED). */
    public boolean refused() {
      return REFUSALS.contains(code);
    }
  }

  private final Result control;
  private final List<Result> hostile;

  HostileReport(Result control, List<Result> hostile) {
    this.control = requireNonNull(control, "control");
    this.hostile = List.copyOf(hostile);
  }

  /** How the legitimate credential was answered. */
  public Result control() {
    return control;
  }

  /**
   * Whether the legitimate credential got through authentication: not refused and not {@code
   * UNAVAILABLE}. When it did not, refusals of the hostile cases prove nothing.
   */
  public boolean controlAccepted() {
    return !control.refused() && control.code() != Status.Code.UNAVAILABLE;
  }

  /** Every hostile case, in the order sent. */
  public List<Result> results() {
    return hostile;
  }

  /** The hostile cases the server did not refuse. */
  public List<Result> accepted() {
    return hostile.stream().filter(r -> !r.refused()).toList();
  }

  /**
   * Passes when the control got through and every hostile case was refused.
   *
   * @throws AssertionError naming the control's code, or every case not refused and its code
   */
  public void assertAllRefused() {
    if (!controlAccepted()) {
      throw new AssertionError(
          "the legitimate credential was answered "
              + control.code()
              + ", so the refusals prove nothing: fix the test setup (issuer, audience, method)");
    }
    List<Result> accepted = accepted();
    if (!accepted.isEmpty()) {
      throw new AssertionError(
          accepted.size()
              + " hostile credential(s) not refused: "
              + accepted.stream()
                  .map(r -> r.name() + " (" + r.code() + ")")
                  .collect(Collectors.joining(", ")));
    }
  }

  @Override
  public String toString() {
    return "HostileReport{control=" + control + ", results=" + hostile + "}";
  }
}
