package dev.gatehouse.policy;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * The resolved policy of one method: its mode, its requirements (if any) and, for gated methods
 * without requirements, whether any authenticated end user is allowed.
 */
public final class MethodPolicy {
  private final String fullMethodName;
  private final Mode mode;
  private final Origin modeOrigin;
  private final Requirements requirements;
  private final Access access;
  private final Origin ruleOrigin;
  private final UserRequirement userRequirement;

  private MethodPolicy(
      String fullMethodName,
      Mode mode,
      Origin modeOrigin,
      Requirements requirements,
      Access access,
      Origin ruleOrigin) {
    this(fullMethodName, mode, modeOrigin, requirements, access, ruleOrigin, null);
  }

  private MethodPolicy(
      String fullMethodName,
      Mode mode,
      Origin modeOrigin,
      Requirements requirements,
      Access access,
      Origin ruleOrigin,
      UserRequirement userRequirement) {
    this.userRequirement = userRequirement;
    this.fullMethodName = fullMethodName;
    this.mode = mode;
    this.modeOrigin = modeOrigin;
    this.requirements = requirements;
    this.access = access;
    this.ruleOrigin = ruleOrigin;
  }

  /** A public method: nothing is checked. */
  public static MethodPolicy publicMethod(String fullMethodName, Origin modeOrigin) {
    return new MethodPolicy(
        name(fullMethodName), Mode.PUBLIC, requireNonNull(modeOrigin), null, Access.ALLOW, null);
  }

  /** An internal method; {@code requirements} may be null (any vouched-for service). */
  public static MethodPolicy internalMethod(
      String fullMethodName, Origin modeOrigin, Requirements requirements, Origin ruleOrigin) {
    return new MethodPolicy(
        name(fullMethodName),
        Mode.INTERNAL,
        requireNonNull(modeOrigin),
        requirements,
        Access.ALLOW,
        requirements == null ? null : requireNonNull(ruleOrigin));
  }

  /** A gated method with requirements. */
  public static MethodPolicy gatedMethod(
      String fullMethodName, Origin modeOrigin, Requirements requirements, Origin ruleOrigin) {
    return new MethodPolicy(
        name(fullMethodName),
        Mode.GATED,
        requireNonNull(modeOrigin),
        requireNonNull(requirements, "requirements"),
        Access.ALLOW,
        requireNonNull(ruleOrigin));
  }

  /** A gated method without requirements, decided by {@code access}. */
  public static MethodPolicy gatedMethod(
      String fullMethodName, Origin modeOrigin, Access access, Origin ruleOrigin) {
    return new MethodPolicy(
        name(fullMethodName),
        Mode.GATED,
        requireNonNull(modeOrigin),
        null,
        requireNonNull(access, "access"),
        requireNonNull(ruleOrigin));
  }

  private static String name(String fullMethodName) {
    requireNonNull(fullMethodName, "fullMethodName");
    int slash = fullMethodName.indexOf('/');
    if (slash <= 0
        || slash != fullMethodName.lastIndexOf('/')
        || slash == fullMethodName.length() - 1) {
      throw new IllegalArgumentException("not a full method name: " + fullMethodName);
    }
    return fullMethodName;
  }

  /** The full method name, {@code package.Service/Method}. */
  public String fullMethodName() {
    return fullMethodName;
  }

  /** The method's mode. */
  public Mode mode() {
    return mode;
  }

  /** Where the mode came from. */
  public Origin modeOrigin() {
    return modeOrigin;
  }

  /** The roles and scopes a caller needs, if any. Never present on public methods. */
  public Optional<Requirements> requirements() {
    return Optional.ofNullable(requirements);
  }

  /**
   * For gated methods without requirements: ALLOW (any end user) or DENY (nobody). ALLOW for every
   * other method, whose requirements (if any) decide.
   */
  public Access access() {
    return access;
  }

  /** Where the requirements or the access decision came from; empty when none applies. */
  public Optional<Origin> ruleOrigin() {
    return Optional.ofNullable(ruleOrigin);
  }

  /**
   * This internal method, additionally needing a delegating user ({@code requires_user}).
   *
   * @throws IllegalStateException if this method is not internal
   */
  public MethodPolicy withUserRequirement(UserRequirement requirement) {
    requireNonNull(requirement, "requirement");
    if (mode != Mode.INTERNAL) {
      throw new IllegalStateException(
          fullMethodName + ": requires_user applies to internal methods only");
    }
    return new MethodPolicy(
        fullMethodName, mode, modeOrigin, requirements, access, ruleOrigin, requirement);
  }

  /**
   * What the delegating user (the end user the calling service acts for) must satisfy, if this
   * internal method writes {@code requires_user}; never present on public or gated methods.
   */
  public Optional<UserRequirement> userRequirement() {
    return Optional.ofNullable(userRequirement);
  }

  /** True when no caller can ever be allowed (a gated method resolved to DENY). */
  public boolean deniesEveryone() {
    return mode == Mode.GATED && requirements == null && access == Access.DENY;
  }

  /**
   * Decides for an authenticated caller of the right kind.
   *
   * @return true if a caller with these roles and scopes may call the method
   */
  public boolean permits(java.util.Set<String> roles, java.util.Set<String> scopes) {
    if (mode == Mode.PUBLIC) {
      return true;
    }
    if (requirements != null) {
      return requirements.isSatisfiedBy(roles, scopes);
    }
    return access == Access.ALLOW;
  }

  /** One human-readable line, as logged at startup. */
  public String describe() {
    StringBuilder sb = new StringBuilder(fullMethodName).append(": ").append(mode);
    sb.append(" (").append(modeOrigin.name().toLowerCase(java.util.Locale.ROOT)).append(')');
    if (requirements != null) {
      sb.append(", requires ").append(requirements);
    } else if (mode == Mode.GATED) {
      sb.append(", ").append(access == Access.ALLOW ? "any authenticated user" : "deny everyone");
    } else if (mode == Mode.INTERNAL) {
      sb.append(", any trusted service");
    }
    if (ruleOrigin != null) {
      sb.append(" (").append(ruleOrigin.name().toLowerCase(java.util.Locale.ROOT)).append(')');
    }
    if (userRequirement != null) {
      sb.append(", on behalf of ").append(userRequirement);
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return describe();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MethodPolicy p
        && fullMethodName.equals(p.fullMethodName)
        && mode == p.mode
        && modeOrigin == p.modeOrigin
        && java.util.Objects.equals(requirements, p.requirements)
        && access == p.access
        && ruleOrigin == p.ruleOrigin
        && java.util.Objects.equals(userRequirement, p.userRequirement);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(
        fullMethodName, mode, modeOrigin, requirements, access, ruleOrigin, userRequirement);
  }
}
