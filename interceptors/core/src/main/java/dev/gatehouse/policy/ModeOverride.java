package dev.gatehouse.policy;

import static java.util.Objects.requireNonNull;

import java.util.regex.Pattern;

/**
 * Declares the mode of methods whose services carry no Gatehouse options, such as {@code
 * grpc.health.v1.Health/*}. The pattern is a full method name or {@code package.Service/*}.
 * Overrides may only declare PUBLIC or INTERNAL and may not touch an annotated method; one that
 * names a registered service must match at least one of its methods. Each of those mistakes fails
 * at startup. An override naming a service the server does not register is a startup warning only,
 * so one organisation-wide list of overrides can serve every server.
 */
public final class ModeOverride {
  private static final Pattern PATTERN =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*/(\\*|[A-Za-z_][A-Za-z0-9_]*)");

  private final String pattern;
  private final Mode mode;

  private ModeOverride(String pattern, Mode mode) {
    this.pattern = pattern;
    this.mode = mode;
  }

  /**
   * Creates an override.
   *
   * @throws IllegalArgumentException on a malformed pattern or the GATED mode
   */
  public static ModeOverride of(String pattern, Mode mode) {
    requireNonNull(pattern, "pattern");
    requireNonNull(mode, "mode");
    if (!PATTERN.matcher(pattern).matches()) {
      throw new IllegalArgumentException(
          "override method must be package.Service/Method or package.Service/*: " + pattern);
    }
    if (mode == Mode.GATED) {
      throw new IllegalArgumentException(
          "override mode must be public or internal (gated is the default): " + pattern);
    }
    return new ModeOverride(pattern, mode);
  }

  /** The method pattern. */
  public String pattern() {
    return pattern;
  }

  /** The full name of the service the pattern names (the part before the {@code /}). */
  public String service() {
    return pattern.substring(0, pattern.indexOf('/'));
  }

  /** The declared mode. */
  public Mode mode() {
    return mode;
  }

  /** Whether this override applies to the given full method name. */
  public boolean matches(String fullMethodName) {
    if (pattern.endsWith("/*")) {
      return fullMethodName.startsWith(pattern.substring(0, pattern.length() - 1));
    }
    return pattern.equals(fullMethodName);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModeOverride m && pattern.equals(m.pattern) && mode == m.mode;
  }

  @Override
  public int hashCode() {
    return pattern.hashCode() * 31 + mode.hashCode();
  }

  @Override
  public String toString() {
    return pattern + " -> " + mode;
  }
}
