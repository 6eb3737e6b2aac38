package dev.gatehouse.policy;

import java.util.List;

/**
 * A configuration mistake found at startup. The message names every offending full method name;
 * {@link #problems()} lists them one per entry.
 */
public final class PolicyException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final List<String> problems;

  /** Creates the exception from one or more problem lines. */
  public PolicyException(List<String> problems) {
    super(
        "Gatehouse refuses to start ("
            + problems.size()
            + " problem"
            + (problems.size() == 1 ? "" : "s")
            + "):\n  - "
            + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  /** The problems, one line each. */
  public List<String> problems() {
    return problems;
  }
}
