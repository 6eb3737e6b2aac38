package dev.gatehouse.client;

import java.util.Optional;

/**
 * Says which end user the current outgoing call is made for, if any. {@link
 * ServiceTokenCallCredentials} with {@link ServiceTokenCallCredentials.Builder#onBehalfOf} call it
 * once per call, on the thread that starts the call, inside the call's gRPC {@code Context} (the
 * context of the server call being handled, when a handler makes the call) and before anything else
 * runs, so it may read that context.
 *
 * <p>gatehouse-client does not depend on the server chain. Where {@code gatehouse-core} is on the
 * classpath, {@code dev.gatehouse.onbehalf.AuthContextUsers.fromAuthContext()} (artifact {@code
 * gatehouse-on-behalf-of}) reads the user from the server call's {@code AuthContext}; any other
 * source (a thread-local, a framework's security context) can implement this interface directly. It
 * must be fast and must not throw; a throw fails the call with {@link
 * ClientStatus#TOKEN_UNAVAILABLE}.
 */
@FunctionalInterface
public interface DelegatedUserSource {
  /** The user the current call is made for; empty: the service calls on its own behalf. */
  Optional<DelegatedUser> currentUser();
}
