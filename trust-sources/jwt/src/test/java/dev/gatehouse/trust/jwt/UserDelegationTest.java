package dev.gatehouse.trust.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.DelegatingUser;
import dev.gatehouse.spi.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code gatehouse_obo} claim as the {@code signed_token} source reads it, and the issuer
 * entry's delegation settings in the configuration file.
 */
class UserDelegationTest {
  private static final Optional<UserDelegation> DIRECT = Optional.of(UserDelegation.directUsers());

  @TempDir Path dir;

  private static DelegationClaim.Result read(Object obo, Optional<UserDelegation> allowed) {
    return DelegationClaim.read(Map.of("sub", "frontend", UserDelegation.CLAIM, obo), allowed, "w");
  }

  private static void assertRefused(Reason reason, DelegationClaim.Result r) {
    AuthResult refusal = r.refusal();
    assertTrue(refusal != null, "not refused");
    assertEquals(AuthResult.Outcome.REJECTED, refusal.outcome());
    assertEquals(reason, refusal.reason());
    assertTrue(r.user().isEmpty());
  }

  @Test
  void noClaim_noUserAndNoRefusal_whateverTheSetting() {
    DelegationClaim.Result r = DelegationClaim.read(Map.of("sub", "w"), Optional.empty(), "w");
    assertNull(r.refusal());
    assertEquals(Optional.empty(), r.user());
  }

  @Test
  void fullClaim_readIntoTheDelegatingUser() {
    DelegationClaim.Result r =
        read(
            Map.of(
                "sub",
                "alice",
                "iss",
                "https://idp",
                "roles",
                List.of("rider"),
                "act",
                Map.of("sub", "edge")),
            Optional.of(UserDelegation.of(2, List.of("https://idp"))));
    assertNull(r.refusal());
    assertEquals(
        DelegatingUser.of("alice", "https://idp", Set.of("rider"), List.of("edge")),
        r.user().orElseThrow());
  }

  @Test
  void claimFromAnIssuerNotAllowedToPropagate_refusedNotDropped() {
    assertRefused(Reason.DELEGATION_NOT_ALLOWED, read(Map.of("sub", "alice"), Optional.empty()));
  }

  @Test
  void malformedClaims_refusedAsInvalid() {
    for (Object bad :
        List.of(
            "alice",
            Map.of(),
            Map.of("sub", ""),
            Map.of("sub", 42),
            Map.of("sub", "alice", "iss", 1),
            Map.of("sub", "alice", "roles", "rider"),
            Map.of("sub", "alice", "roles", List.of(1)),
            Map.of("sub", "alice", "roles", List.of(" ")),
            Map.of("sub", "alice", "scope", "x"),
            Map.of("sub", "alice", "act", "edge"),
            Map.of("sub", "alice", "act", Map.of("sub", "edge", "extra", 1)))) {
      DelegationClaim.Result r = read(bad, Optional.of(UserDelegation.of(2, List.of())));
      assertRefused(Reason.INVALID_CLAIMS, r);
    }
  }

  @Test
  void chainDeeperThanAllowed_refusedTooDeep() {
    Map<String, Object> twoHops = Map.of("sub", "alice", "act", Map.of("sub", "edge"));
    assertRefused(Reason.DELEGATION_TOO_DEEP, read(twoHops, DIRECT));
    Map<String, Object> threeHops =
        Map.of("sub", "alice", "act", Map.of("sub", "edge", "act", Map.of("sub", "gateway")));
    assertRefused(
        Reason.DELEGATION_TOO_DEEP, read(threeHops, Optional.of(UserDelegation.of(2, List.of()))));
    assertEquals(
        3,
        read(threeHops, Optional.of(UserDelegation.of(3, List.of()))).user().orElseThrow().depth());
  }

  @Test
  void userIssuerNotListed_orMissing_refusedNotAllowed() {
    Optional<UserDelegation> onlyIdp = Optional.of(UserDelegation.of(1, List.of("https://idp")));
    assertRefused(
        Reason.DELEGATION_NOT_ALLOWED,
        read(Map.of("sub", "alice", "iss", "https://other"), onlyIdp));
    assertRefused(Reason.DELEGATION_NOT_ALLOWED, read(Map.of("sub", "alice"), onlyIdp));
  }

  @Test
  void delegationSettings_outOfRange_refused() {
    assertThrows(IllegalArgumentException.class, () -> UserDelegation.of(0, List.of()));
    assertThrows(IllegalArgumentException.class, () -> UserDelegation.of(5, List.of()));
    assertThrows(IllegalArgumentException.class, () -> UserDelegation.of(1, List.of(" ")));
  }

  private GatehouseConfig parse(String issuerEntry) throws Exception {
    Files.writeString(dir.resolve("w.jwks.json"), "{\"keys\":[]}");
    return GatehouseConfig.parse(
        "service_name: trips\ninternal:\n  signed_token:\n    issuers:\n      - "
            + issuerEntry
            + "\n",
        dir,
        ConfigSections.of(SignedTokenSection.provider()));
  }

  @Test
  void config_propagatesUsers_readWithDepthAndUserIssuers() throws Exception {
    SignedTokenSection s =
        parse(
                "{ issuer: w, jwks_file: w.jwks.json, propagates_users: true,"
                    + " max_delegation_depth: 2, delegated_user_issuers: [\"https://idp\"] }")
            .section(SignedTokenSection.provider())
            .orElseThrow();
    assertEquals(
        Optional.of(UserDelegation.of(2, List.of("https://idp"))),
        s.issuers().get(0).userDelegation());
    SignedTokenSection plain =
        parse("{ issuer: w, jwks_file: w.jwks.json }")
            .section(SignedTokenSection.provider())
            .orElseThrow();
    assertEquals(Optional.empty(), plain.issuers().get(0).userDelegation());
    SignedTokenSection direct =
        parse("{ issuer: w, jwks_file: w.jwks.json, propagates_users: true }")
            .section(SignedTokenSection.provider())
            .orElseThrow();
    assertEquals(DIRECT, direct.issuers().get(0).userDelegation());
  }

  @Test
  void config_delegationKeysWithoutPropagatesUsers_orDepthOutOfRange_refusedNamingTheField() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> parse("{ issuer: w, jwks_file: w.jwks.json, max_delegation_depth: 2 }"));
    assertEquals("internal.signed_token.issuers[0].max_delegation_depth", e.field());
    ConfigException depth =
        assertThrows(
            ConfigException.class,
            () ->
                parse(
                    "{ issuer: w, jwks_file: w.jwks.json, propagates_users: true,"
                        + " max_delegation_depth: 5 }"));
    assertEquals("internal.signed_token.issuers[0].max_delegation_depth", depth.field());
  }
}
