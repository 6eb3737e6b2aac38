package dev.gatehouse.onbehalf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.client.DelegatedUser;
import dev.gatehouse.client.DelegatedUserSource;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.spi.DelegatingUser;
import dev.gatehouse.spi.Principal;
import io.grpc.Context;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

class AuthContextUsersTest {
  private final DelegatedUserSource source = AuthContextUsers.fromAuthContext();

  private Optional<DelegatedUser> within(Principal p, PrincipalKind kind) throws Exception {
    Callable<Optional<DelegatedUser>> read = source::currentUser;
    return AuthContext.attachForTesting(Context.ROOT, p, kind, "test").call(read);
  }

  @Test
  void anEndUserCaller_isPassedOnWithIssuerAndRoles_butNoScopes() throws Exception {
    Principal user =
        Principal.newBuilder()
            .subject("alice")
            .issuer("https://idp.example")
            .roles(List.of("rider"))
            .scopes(List.of("trips:read"))
            .build();
    assertEquals(
        Optional.of(DelegatedUser.of("alice", "https://idp.example", Set.of("rider"), List.of())),
        within(user, PrincipalKind.USER));
  }

  @Test
  void aServiceCallingForAUser_passesTheUserOnOneHopDeeper() throws Exception {
    Principal service =
        Principal.newBuilder()
            .subject("frontend")
            .issuer("frontend")
            .roles(List.of("trip-reader"))
            .delegatingUser(DelegatingUser.of("alice", null, List.of("rider"), List.of("edge")))
            .build();
    assertEquals(
        Optional.of(DelegatedUser.of("alice", null, Set.of("rider"), List.of("frontend", "edge"))),
        within(service, PrincipalKind.SERVICE));
  }

  @Test
  void aServiceCallingOnItsOwnBehalf_passesNoUser() throws Exception {
    Principal service = Principal.newBuilder().subject("worker").build();
    assertEquals(Optional.empty(), within(service, PrincipalKind.SERVICE));
  }

  @Test
  void outsideAnAuthenticatedCall_thereIsNoUser() {
    assertEquals(Optional.empty(), source.currentUser());
  }
}
