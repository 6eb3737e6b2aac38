package dev.gatehouse.trust.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.testing.TestSupport.LogCapture;
import dev.gatehouse.trust.mesh.MeshIdentityTrustSource.Format;
import io.grpc.Metadata;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

class MeshIdentityTrustSourceTest {
  private static final String WEB = "spiffe://cluster.local/ns/dev/sa/web";
  private static final String ADMIN = "spiffe://cluster.local/ns/prod/sa/admin";

  private static MeshIdentityTrustSource.Builder builder() {
    return MeshIdentityTrustSource.newBuilder()
        .trustedProxies("127.0.0.1/32", "::1/128")
        .allow(WEB, Set.of("reader"), Set.of("trips:read"));
  }

  private static AuthResult call(
      MeshIdentityTrustSource s, SocketAddress peer, String header, String... values) {
    Metadata md = new Metadata();
    for (String v : values) {
      md.put(IncomingCall.key(header), v);
    }
    return s.authenticate(IncomingCall.of("p.S/M", md, peer, null));
  }

  private static AuthResult xfcc(MeshIdentityTrustSource s, SocketAddress peer, String... values) {
    return call(s, peer, MeshIdentityTrustSource.DEFAULT_HEADER, values);
  }

  @Test
  void authenticate_noHeader_noCredentialEvenFromUntrustedPeer() {
    MeshIdentityTrustSource s = builder().build();
    assertEquals(
        AuthResult.Outcome.NO_CREDENTIAL, xfcc(s, TestSupport.peer("192.0.2.1")).outcome());
  }

  @Test
  void authenticate_trustedPeerAllowedIdentity_servicePrincipalWithEntryGrants() {
    AuthResult r = xfcc(builder().build(), TestSupport.peer("127.0.0.1"), "URI=" + WEB);
    Principal ctx = r.principal().orElseThrow();
    assertEquals(WEB, ctx.subject());
    assertEquals("mesh_identity", builder().build().name());
    assertEquals(Set.of("reader"), ctx.roles());
    assertEquals(Set.of("trips:read"), ctx.scopes());
  }

  @Test
  void authenticate_nonIpPeer_untrustedByDefault_trustedOnlyWhenAllowed() {
    SocketAddress inProcess = new SocketAddress() {};
    assertEquals(Reason.UNTRUSTED_PROXY, xfcc(builder().build(), inProcess, "URI=" + WEB).reason());
    assertEquals(Reason.UNTRUSTED_PROXY, xfcc(builder().build(), null, "URI=" + WEB).reason());
    MeshIdentityTrustSource allowing = builder().allowNonIpPeer(true).build();
    assertEquals(
        AuthResult.Outcome.AUTHENTICATED, xfcc(allowing, inProcess, "URI=" + WEB).outcome());
    // allowNonIpPeer never widens the IP check
    assertEquals(
        Reason.UNTRUSTED_PROXY,
        xfcc(allowing, TestSupport.peer("192.0.2.1"), "URI=" + WEB).reason());
  }

  @Test
  void authenticate_unresolvedPeer_untrustedAndNeverResolved() {
    InetSocketAddress unresolved = InetSocketAddress.createUnresolved("localhost", 1234);
    AuthResult r = xfcc(builder().build(), unresolved, "URI=" + WEB);
    assertEquals(Reason.UNTRUSTED_PROXY, r.reason());
    assertTrue(unresolved.isUnresolved());
  }

  @Test
  void authenticate_untrustedPeer_warningNamesPeerAndIdentityNeverOtherHeaderContent() {
    try (LogCapture log = new LogCapture(MeshIdentityTrustSource.class)) {
      AuthResult r =
          xfcc(
              builder().build(),
              TestSupport.peer("2001:db8::7"),
              "By=spiffe://x/by;Hash=deadbeefcafe;Subject=\"CN=leakme\";URI=" + ADMIN);
      assertEquals(Reason.UNTRUSTED_PROXY, r.reason());
      assertEquals(1, log.records().size());
      assertEquals(Level.WARNING, log.records().get(0).getLevel());
      String text = log.text();
      assertTrue(text.contains("2001:db8::7"), text);
      assertTrue(text.contains(ADMIN), text);
      assertFalse(text.contains("deadbeefcafe"), text);
      assertFalse(text.contains("leakme"), text);
      assertFalse(r.detail().contains("deadbeefcafe"), r.detail());
    }
  }

  @Test
  void authenticate_untrustedPeerFlood_oneWarningEveryRefusalStillRefused() {
    MeshIdentityTrustSource source = builder().build();
    try (LogCapture log = new LogCapture(MeshIdentityTrustSource.class)) {
      for (int i = 0; i < 50; i++) {
        assertEquals(
            Reason.UNTRUSTED_PROXY,
            xfcc(source, TestSupport.peer("192.0.2.9"), "URI=" + ADMIN).reason());
      }
      assertEquals(1, log.records().size(), log.text());
    }
  }

  @Test
  void authenticate_untrustedPeerGarbageHeader_warningWithoutContent() {
    try (LogCapture log = new LogCapture(MeshIdentityTrustSource.class)) {
      xfcc(builder().build(), TestSupport.peer("192.0.2.1"), "garbage-token-value");
      assertFalse(log.text().contains("garbage-token-value"), log.text());
      assertTrue(log.text().contains("192.0.2.1"), log.text());
    }
  }

  @Test
  void authenticate_emptyValueFromTrustedPeer_noCredential() {
    assertEquals(
        AuthResult.Outcome.NO_CREDENTIAL,
        xfcc(builder().build(), TestSupport.peer("127.0.0.1"), "").outcome());
  }

  @Test
  void authenticate_overCap_malformed() {
    MeshIdentityTrustSource s = builder().maxHeaderLength(100).build();
    String big = "URI=" + WEB + ";Hash=" + "a".repeat(100);
    assertEquals(Reason.MALFORMED_CREDENTIALS, xfcc(s, TestSupport.peer("::1"), big).reason());
  }

  @Test
  void authenticate_duplicateValues_refusedEvenWithoutChain() {
    AuthResult r = xfcc(builder().build(), TestSupport.peer("::1"), "URI=" + WEB, "URI=" + WEB);
    assertEquals(Reason.DUPLICATE_CREDENTIALS, r.reason());
  }

  @Test
  void authenticate_expectedBy_mismatchRefusedMatchAccepted() {
    MeshIdentityTrustSource s =
        builder().expectedBy("spiffe://cluster.local/ns/trips/sa/trips").build();
    SocketAddress p = TestSupport.peer("127.0.0.1");
    assertEquals(
        Reason.AUDIENCE_MISMATCH,
        xfcc(s, p, "By=spiffe://cluster.local/ns/other/sa/x;URI=" + WEB).reason());
    assertEquals(
        Reason.AUDIENCE_MISMATCH,
        xfcc(s, p, "By=spiffe://CLUSTER.local/ns/trips/sa/trips;URI=" + WEB).reason());
    assertEquals(
        AuthResult.Outcome.AUTHENTICATED,
        xfcc(s, p, "By=spiffe://cluster.local/ns/trips/sa/trips;URI=" + WEB).outcome());
  }

  @Test
  void authenticate_byOnlyCheckedOnRightmostElement() {
    MeshIdentityTrustSource s =
        builder().expectedBy("spiffe://cluster.local/ns/trips/sa/trips").build();
    AuthResult r =
        xfcc(
            s,
            TestSupport.peer("127.0.0.1"),
            "By=spiffe://cluster.local/ns/trips/sa/trips;URI=" + WEB + ",URI=" + WEB);
    assertEquals(Reason.AUDIENCE_MISMATCH, r.reason());
  }

  @Test
  void authenticate_uriAlmostAnAllowedId_neverGrantedItsEntry() {
    MeshIdentityTrustSource s = builder().build();
    // Upper case, a trailing slash, a longer or a shorter path: not the allowed ID's text, and
    // not the allowed ID either.
    for (String uri :
        List.of(
            WEB.replace("cluster.local", "Cluster.local"),
            WEB + "/",
            WEB + "x",
            WEB.substring(0, WEB.length() - 1),
            WEB.replace("spiffe://", "SPIFFE://"))) {
      AuthResult r = xfcc(s, TestSupport.peer("127.0.0.1"), "URI=" + uri);
      assertEquals(AuthResult.Outcome.REJECTED, r.outcome(), uri);
      assertTrue(
          r.reason() == Reason.INVALID_CLAIMS || r.reason() == Reason.IDENTITY_NOT_ALLOWED,
          uri + ": " + r.reason());
    }
    AuthResult ok = xfcc(s, TestSupport.peer("127.0.0.1"), "URI=" + WEB);
    assertEquals(WEB, ok.principal().orElseThrow().subject());
    assertEquals(
        ok.principal().orElseThrow().roles(),
        xfcc(s, TestSupport.peer("127.0.0.1"), "Hash=ab;URI=" + WEB)
            .principal()
            .orElseThrow()
            .roles());
  }

  @Test
  void authenticate_identityNotAllowed_refusedNamingIdentity() {
    AuthResult r = xfcc(builder().build(), TestSupport.peer("127.0.0.1"), "URI=" + ADMIN);
    assertEquals(Reason.IDENTITY_NOT_ALLOWED, r.reason());
    assertTrue(r.detail().contains(ADMIN), r.detail());
  }

  @Test
  void authenticate_nonSpiffeUri_refusedWithoutEchoingIt() {
    AuthResult r =
        xfcc(builder().build(), TestSupport.peer("127.0.0.1"), "URI=https://secret.example/x");
    assertEquals(Reason.INVALID_CLAIMS, r.reason());
    assertFalse(r.detail().contains("secret.example"), r.detail());
  }

  @Test
  void principalFormat_spiffeAndIstioForms_sameIdentity() {
    MeshIdentityTrustSource s =
        builder().header("x-mesh-principal").format(Format.PRINCIPAL).build();
    SocketAddress p = TestSupport.peer("127.0.0.1");
    AuthResult a = call(s, p, "x-mesh-principal", WEB);
    AuthResult b = call(s, p, "x-mesh-principal", "cluster.local/ns/dev/sa/web");
    assertEquals(WEB, a.principal().orElseThrow().subject());
    assertEquals(WEB, b.principal().orElseThrow().subject());
  }

  @Test
  void principalFormat_invalidValues_refused() {
    MeshIdentityTrustSource s =
        builder().header("x-mesh-principal").format(Format.PRINCIPAL).build();
    SocketAddress p = TestSupport.peer("127.0.0.1");
    for (String bad :
        List.of(
            "CLUSTER.local/ns/dev/sa/web",
            "spiffe://Cluster.local/ns/dev/sa/web",
            "SPIFFE://cluster.local/ns/dev/sa/web",
            "cluster.local/ns/dev/sa/web/extra",
            "cluster.local/dev/web",
            "URI=" + WEB,
            WEB + " ",
            "https://cluster.local/ns/dev/sa/web")) {
      assertEquals(Reason.MALFORMED_CREDENTIALS, call(s, p, "x-mesh-principal", bad).reason(), bad);
    }
  }

  @Test
  void build_withoutTrustedProxies_throws() {
    assertThrows(
        IllegalStateException.class,
        () -> MeshIdentityTrustSource.newBuilder().allow(WEB, Set.of(), Set.of()).build());
  }

  @Test
  void build_withoutAllowEntries_throws() {
    assertThrows(
        IllegalStateException.class,
        () -> MeshIdentityTrustSource.newBuilder().trustedProxies("127.0.0.1/32").build());
  }

  @Test
  void build_badProxy_throws() {
    assertThrows(
        IllegalArgumentException.class, () -> builder().trustedProxies("localhost").build());
    assertThrows(
        IllegalArgumentException.class, () -> builder().trustedProxies("0.0.0.0/0").build());
    assertThrows(IllegalArgumentException.class, () -> builder().trustedProxies("::/0").build());
  }

  @Test
  void build_badAllowEntries_throw() {
    for (String bad :
        List.of(
            "spiffe://CLUSTER.local/ns/a/sa/b",
            "Cluster.local/ns/a/sa/b",
            "not an id",
            "cluster.local/x",
            "spiffe://td/a/")) {
      assertThrows(
          IllegalArgumentException.class,
          () -> builder().allow(bad, Set.of(), Set.of()).build(),
          bad);
    }
  }

  @Test
  void build_sameIdentityInBothForms_rejectedAsDuplicate() {
    assertThrows(
        IllegalArgumentException.class,
        () -> builder().allow("cluster.local/ns/dev/sa/web", Set.of(), Set.of()).build());
  }

  @Test
  void build_optionsOfOtherFormat_throw() {
    assertThrows(
        IllegalStateException.class,
        () -> builder().format(Format.PRINCIPAL).expectedBy("spiffe://td/by").build());
    assertThrows(
        IllegalStateException.class,
        () -> builder().format(Format.PRINCIPAL).requireSingleElement(true).build());
    assertThrows(
        IllegalArgumentException.class, () -> builder().expectedBy("spiffe://TD/x").build());
    assertThrows(IllegalArgumentException.class, () -> builder().header("x-id-bin").build());
    assertThrows(IllegalArgumentException.class, () -> builder().header(":path").build());
  }

  @Test
  void headers_credentialAndRemovedAreTheConfiguredHeader() {
    MeshIdentityTrustSource s = builder().header("X-Mesh-Id").build();
    assertEquals(Set.of("x-mesh-id"), s.credentialHeaders());
    assertEquals(Set.of("x-mesh-id"), s.headersToRemove());
    assertEquals("mesh_identity", s.name());
  }

  @Test
  void toString_showsConfigurationOnly() {
    String text = builder().build().toString();
    assertTrue(text.contains("127.0.0.1/32"), text);
    assertTrue(text.contains(WEB), text);
  }
}
