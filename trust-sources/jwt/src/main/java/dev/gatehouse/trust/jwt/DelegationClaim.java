package dev.gatehouse.trust.jwt;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.DelegatingUser;
import dev.gatehouse.spi.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the {@value UserDelegation#CLAIM} claim of a verified service token:
 *
 * <pre>{@code
 * "gatehouse_obo": {"sub": "<user>", "iss": "<user issuer>", "roles": ["..."],
 *                   "act": {"sub": "<prior service>", "act": {...}}}
 * }</pre>
 *
 * <p>{@code sub} is required; {@code iss}, {@code roles} and {@code act} are optional; any other
 * member, a wrong type or a blank value is refused ({@code INVALID_CLAIMS}) rather than ignored.
 * Details name the caller, never a claim value.
 */
final class DelegationClaim {
  private static final Set<String> MEMBERS = Set.of("sub", "iss", "roles", "act");
  private static final Set<String> ACTOR_MEMBERS = Set.of("sub", "act");

  /** Either a user (possibly none) or a refusal. */
  record Result(Optional<DelegatingUser> user, AuthResult refusal) {}

  private static final Result NONE = new Result(Optional.empty(), null);

  private DelegationClaim() {}

  static Result read(Map<String, Object> claims, Optional<UserDelegation> allowed, String who) {
    if (!claims.containsKey(UserDelegation.CLAIM)) {
      return NONE;
    }
    if (allowed.isEmpty()) {
      return refuse(
          Reason.DELEGATION_NOT_ALLOWED,
          who + ": names a delegating user, but this issuer may not propagate users");
    }
    if (!(claims.get(UserDelegation.CLAIM) instanceof Map<?, ?> obo)
        || !MEMBERS.containsAll(obo.keySet())) {
      return invalid(who + ": " + UserDelegation.CLAIM + " is not an object of sub/iss/roles/act");
    }
    if (!(obo.get("sub") instanceof String subject) || subject.isBlank()) {
      return invalid(who + ": " + UserDelegation.CLAIM + ".sub missing or not a string");
    }
    Object iss = obo.get("iss");
    if (iss != null && !(iss instanceof String)) {
      return invalid(who + ": " + UserDelegation.CLAIM + ".iss is not a string");
    }
    List<String> roles = new ArrayList<>();
    Object r = obo.get("roles");
    if (r != null) {
      if (!(r instanceof List<?> list)) {
        return invalid(who + ": " + UserDelegation.CLAIM + ".roles is not an array of strings");
      }
      for (Object o : list) {
        if (!(o instanceof String role)) {
          return invalid(who + ": " + UserDelegation.CLAIM + ".roles is not an array of strings");
        }
        roles.add(role);
      }
    }
    List<String> actors = new ArrayList<>();
    Object act = obo.get("act");
    int max = allowed.get().maxDepth();
    while (act != null) {
      if (1 + actors.size() >= max) {
        return refuse(
            Reason.DELEGATION_TOO_DEEP,
            who + ": delegation chain deeper than the allowed " + max + " hop(s)");
      }
      if (!(act instanceof Map<?, ?> actor)
          || !ACTOR_MEMBERS.containsAll(actor.keySet())
          || !(actor.get("sub") instanceof String actorSub)) {
        return invalid(who + ": " + UserDelegation.CLAIM + ".act is not an actor object");
      }
      actors.add(actorSub);
      act = actor.get("act");
    }
    Set<String> userIssuers = allowed.get().userIssuers();
    if (!userIssuers.isEmpty() && (iss == null || !userIssuers.contains(iss))) {
      return refuse(
          Reason.DELEGATION_NOT_ALLOWED,
          who + ": the delegating user's issuer is not one this caller may propagate");
    }
    try {
      return new Result(Optional.of(DelegatingUser.of(subject, (String) iss, roles, actors)), null);
    } catch (IllegalArgumentException e) {
      return invalid(who + ": " + UserDelegation.CLAIM + " has a blank or over-long value");
    }
  }

  private static Result invalid(String detail) {
    return refuse(Reason.INVALID_CLAIMS, detail);
  }

  private static Result refuse(Reason reason, String detail) {
    return new Result(Optional.empty(), AuthResult.rejected(reason, detail));
  }
}
