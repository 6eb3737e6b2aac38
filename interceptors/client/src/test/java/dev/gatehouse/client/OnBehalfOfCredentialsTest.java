package dev.gatehouse.client;

import static dev.gatehouse.client.FakeRequests.secure;
import static dev.gatehouse.client.FakeRequests.token;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.client.FakeRequests.Applier;
import dev.gatehouse.testing.MutableClock;
import io.grpc.Status;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The credentials' on-behalf-of mode: the claim's shape and the per-user token cache. */
class OnBehalfOfCredentialsTest {
  private static final String TRIPS = "trips.v1.Trips";

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T12:00:00Z"));
  private final AtomicInteger signings = new AtomicInteger();
  private final AtomicReference<Optional<DelegatedUser>> current =
      new AtomicReference<>(Optional.empty());

  private ServiceTokenCallCredentials.Builder creds() {
    return ServiceTokenCallCredentials.newBuilder()
        .identity("frontend")
        .keySource(SigningKeySource.newBuilder().keyPair(TestKeys.ec()).clock(clock).build())
        .audience("trips")
        .signHook(signings::incrementAndGet)
        .onBehalfOf(current::get);
  }

  private static Map<String, Object> claims(String jwt) throws Exception {
    return SignedJWT.parse(jwt).getJWTClaimsSet().toJSONObject();
  }

  private String callAs(ServiceTokenCallCredentials c, DelegatedUser user) throws Exception {
    current.set(Optional.ofNullable(user));
    return token(c, TRIPS);
  }

  @Test
  void userClaim_hasTheDocumentedShape_andTheTokenStaysTheService() throws Exception {
    DelegatedUser alice =
        DelegatedUser.of("alice", "https://idp.test", Set.of("rider"), List.of("edge", "gateway"));
    Map<String, Object> claims = claims(callAs(creds().build(), alice));
    assertEquals("frontend", claims.get("iss"));
    assertEquals("frontend", claims.get("sub"));
    assertEquals(
        Map.of(
            "sub",
            "alice",
            "iss",
            "https://idp.test",
            "roles",
            List.of("rider"),
            "act",
            Map.of("sub", "edge", "act", Map.of("sub", "gateway"))),
        claims.get(DelegatedUser.CLAIM));
    Map<String, Object> bare = claims(callAs(creds().build(), DelegatedUser.of("bob")));
    assertEquals(Map.of("sub", "bob"), bare.get(DelegatedUser.CLAIM));
  }

  @Test
  void tokenOfOneUser_isNeverSentForAnother_butIsReusedForTheSameUser() throws Exception {
    ServiceTokenCallCredentials c = creds().build();
    DelegatedUser alice = DelegatedUser.of("alice", "https://idp.test", Set.of("rider"), List.of());
    DelegatedUser bob = DelegatedUser.of("bob", "https://idp.test", Set.of("rider"), List.of());
    DelegatedUser aliceAdmin =
        DelegatedUser.of("alice", "https://idp.test", Set.of("admin"), List.of());

    String forAlice = callAs(c, alice);
    String forBob = callAs(c, bob);
    String forAliceAgain = callAs(c, alice);
    String forAliceAsAdmin = callAs(c, aliceAdmin);
    String forNobody = callAs(c, null);

    assertNotEquals(forAlice, forBob);
    assertEquals(forAlice, forAliceAgain, "same user, same token: the cache works per user");
    assertNotEquals(forAlice, forAliceAsAdmin, "other roles are another user value");
    assertEquals(4, signings.get());
    assertEquals("alice", sub(forAlice));
    assertEquals("bob", sub(forBob));
    assertFalse(claims(forNobody).containsKey(DelegatedUser.CLAIM));
  }

  @Test
  void perUserCache_isBounded_leastRecentlyUsedDroppedFirst() throws Exception {
    ServiceTokenCallCredentials c = creds().maxCachedUsers(2).build();
    DelegatedUser a = DelegatedUser.of("a");
    DelegatedUser b = DelegatedUser.of("b");
    DelegatedUser d = DelegatedUser.of("d");
    String first = callAs(c, a);
    callAs(c, b);
    assertEquals(first, callAs(c, a), "a was used last: kept");
    callAs(c, d); // drops b
    assertEquals(first, callAs(c, a));
    int before = signings.get();
    callAs(c, b);
    assertEquals(before + 1, signings.get(), "b was dropped and is signed again");
    assertEquals("b", sub(callAs(c, b)));
  }

  @Test
  void oneTimeTokens_withUsers_signPerCallAndNameTheCallsUser() throws Exception {
    ServiceTokenCallCredentials c = creds().oneTimeTokens().build();
    String a1 = callAs(c, DelegatedUser.of("alice"));
    String a2 = callAs(c, DelegatedUser.of("alice"));
    String b1 = callAs(c, DelegatedUser.of("bob"));
    assertNotEquals(a1, a2);
    assertEquals(List.of("alice", "alice", "bob"), List.of(sub(a1), sub(a2), sub(b1)));
  }

  @Test
  void userSourceThrowing_failsTheCallWithoutAToken() throws Exception {
    ServiceTokenCallCredentials c =
        creds()
            .onBehalfOf(
                () -> {
                  throw new IllegalStateException("no security context");
                })
            .build();
    Applier a = new Applier();
    c.applyRequestMetadata(secure(TRIPS), Runnable::run, a);
    a.await();
    assertEquals(Status.Code.UNAVAILABLE, a.status().getCode());
    assertEquals(ClientStatus.TOKEN_UNAVAILABLE.getDescription(), a.status().getDescription());
    assertEquals(0, signings.get());
  }

  @Test
  void builder_refusesAnOutOfRangeUserCacheAndBlankUsers() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> creds().maxCachedUsers(0).build());
    assertTrue(e.getMessage().contains("maxCachedUsers"), e::getMessage);
    assertThrows(IllegalArgumentException.class, () -> DelegatedUser.of(" "));
    assertThrows(
        IllegalArgumentException.class,
        () -> DelegatedUser.of("alice", null, List.of(""), List.of()));
  }

  private static String sub(String jwt) throws Exception {
    return (String) ((Map<?, ?>) claims(jwt).get(DelegatedUser.CLAIM)).get("sub");
  }
}
