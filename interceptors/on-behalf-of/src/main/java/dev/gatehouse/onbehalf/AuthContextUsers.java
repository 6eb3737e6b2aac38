package dev.gatehouse.onbehalf;

import dev.gatehouse.client.DelegatedUser;
import dev.gatehouse.client.DelegatedUserSource;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.spi.DelegatingUser;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The ready-made {@link DelegatedUserSource} of a service that is both a Gatehouse server and a
 * Gatehouse client: the user of the outgoing call is the caller of the server call being handled,
 * read from its {@link AuthContext}.
 *
 * <pre>{@code
 * ServiceTokenCallCredentials toTrips = ServiceTokenCallCredentials.newBuilder()
 *     .identity("frontend")
 *     .keySource(key)
 *     .audience("trips")
 *     .onBehalfOf(AuthContextUsers.fromAuthContext())
 *     .build();
 * }</pre>
 *
 * <ul>
 *   <li>An end user called this service: that user (subject, issuer, roles) is passed on.
 *   <li>A service called this service on behalf of a user (its {@link
 *       AuthContext#delegatingUser()}): that user is passed on, with the calling service added in
 *       front of the user's prior actors, so the next server sees a chain one hop deeper (and
 *       refuses it unless it allows that depth).
 *   <li>A service called on its own behalf, or there is no authenticated caller (a background job,
 *       a public method): no user; the token is the plain service token.
 * </ul>
 *
 * <p>The user's scopes are never passed on. Roles are passed as this service saw them; the next
 * server trusts them only as far as it trusts this service to propagate users.
 */
public final class AuthContextUsers implements DelegatedUserSource {
  private static final AuthContextUsers INSTANCE = new AuthContextUsers();

  private AuthContextUsers() {}

  /** The source reading the current call's {@link AuthContext}. */
  public static DelegatedUserSource fromAuthContext() {
    return INSTANCE;
  }

  @Override
  public Optional<DelegatedUser> currentUser() {
    return AuthContext.current().flatMap(AuthContextUsers::userOf);
  }

  /** The user to pass on for calls made while handling a call of {@code caller}. */
  static Optional<DelegatedUser> userOf(AuthContext caller) {
    if (caller.kind() == PrincipalKind.USER) {
      return Optional.of(
          DelegatedUser.of(
              caller.subject(), caller.issuer().orElse(null), caller.roles(), List.of()));
    }
    Optional<DelegatingUser> user = caller.delegatingUser();
    if (user.isEmpty()) {
      return Optional.empty();
    }
    List<String> actors = new ArrayList<>();
    actors.add(caller.subject());
    actors.addAll(user.get().priorActors());
    return Optional.of(
        DelegatedUser.of(
            user.get().subject(), user.get().issuer().orElse(null), user.get().roles(), actors));
  }

  @Override
  public String toString() {
    return "AuthContextUsers.fromAuthContext()";
  }
}
