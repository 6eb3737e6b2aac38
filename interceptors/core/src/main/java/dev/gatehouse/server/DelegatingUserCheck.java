package dev.gatehouse.server;

import dev.gatehouse.policy.MethodPolicy;
import dev.gatehouse.policy.UserRequirement;
import dev.gatehouse.spi.DelegatingUser;
import dev.gatehouse.spi.Reason;
import io.grpc.Status;
import java.util.Optional;

/**
 * The {@code requires_user} check of an internal method, after the calling service passed the
 * method's own requirements: the call must carry a delegating user (else {@link
 * AuthStatus#DELEGATING_USER_REQUIRED}) who holds one of the required roles (else {@link
 * AuthStatus#ACCESS_DENIED}, reason {@link Reason#INSUFFICIENT_GRANTS}).
 */
final class DelegatingUserCheck {
  /** Why the check refused the call. */
  record Refusal(Status status, Reason reason, String detail) {}

  private DelegatingUserCheck() {}

  /** Null when the method needs no delegating user or the call's user satisfies it. */
  static Refusal check(MethodPolicy policy, AuthContext caller) {
    Optional<UserRequirement> required = policy.userRequirement();
    if (required.isEmpty()) {
      return null;
    }
    Optional<DelegatingUser> user = caller.delegatingUser();
    if (user.isEmpty()) {
      return new Refusal(
          AuthStatus.DELEGATING_USER_REQUIRED,
          Reason.DELEGATING_USER_REQUIRED,
          "requires " + required.get() + "; the calling service named none");
    }
    if (!required.get().isSatisfiedBy(user.get().roles())) {
      return new Refusal(
          AuthStatus.ACCESS_DENIED,
          Reason.INSUFFICIENT_GRANTS,
          "requires " + required.get() + "; delegating user " + user.get().subject() + " lacks it");
    }
    return null;
  }
}
