package dev.gatehouse.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.trust.jwt.SignedTokenTrustSource;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import dev.gatehouse.trust.spiffe.SpiffeJwtTrustSource;
import io.grpc.Attributes;
import io.grpc.Metadata;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Tokens minted by the kit are what the Gatehouse trust sources accept. */
class TestTokenTest {
  @RegisterExtension
  static final TestIdentityProvider idp =
      TestIdentityProvider.newBuilder("https://idp.test").audience("trips-api").build();

  @RegisterExtension
  static final TestIdentityProvider worker = TestIdentityProvider.newBuilder("worker").build();

  @RegisterExtension
  static final TestIdentityProvider bundle =
      TestIdentityProvider.newBuilder("spiffe://example.org").build();

  private static IncomingCall bearer(String jwt) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + jwt);
    return IncomingCall.of("trips/Start", md, Attributes.EMPTY);
  }

  @Test
  void userToken_isAcceptedWithItsRolesAndScopes_inEcAndRsa() {
    try (UserJwtAuthenticator users =
        UserJwtAuthenticator.newBuilder().addIssuer(idp.trustedIssuer()).build()) {
      for (TestToken t :
          List.of(
              idp.userToken("alice").roles("driver").scopes("trips:write"),
              idp.userToken("alice").roles("driver").scopes("trips:write").rsa())) {
        AuthResult r = users.authenticate(bearer(t.sign()));
        Principal p = r.principal().orElseThrow(() -> new AssertionError(r.toString()));
        assertEquals("alice", p.subject());
        assertEquals(Set.of("driver"), p.roles());
        assertEquals(Set.of("trips:write"), p.scopes());
      }
    }
  }

  @Test
  void userToken_forAnotherAudience_isRefused() {
    try (UserJwtAuthenticator users =
        UserJwtAuthenticator.newBuilder().addIssuer(idp.trustedIssuer()).build()) {
      String jwt = idp.userToken("alice").audience("billing").sign();
      assertEquals(Reason.AUDIENCE_MISMATCH, users.authenticate(bearer(jwt)).reason());
    }
  }

  @Test
  void serviceToken_hasTheClientMinterFormat() throws Exception {
    SignedJWT jwt = SignedJWT.parse(worker.serviceToken("trips").sign());
    assertEquals(JWSAlgorithm.ES256, jwt.getHeader().getAlgorithm());
    assertEquals(JOSEObjectType.JWT, jwt.getHeader().getType());
    assertEquals(worker.publicKeys().getKeys().get(0).getKeyID(), jwt.getHeader().getKeyID());
    var claims = jwt.getJWTClaimsSet();
    assertEquals("worker", claims.getIssuer());
    assertEquals("worker", claims.getSubject());
    assertEquals(List.of("trips"), claims.getAudience());
    assertTrue(claims.getExpirationTime().toInstant().isAfter(claims.getIssueTime().toInstant()));
    assertTrue(claims.getJWTID().length() >= 16);
  }

  @Test
  void serviceToken_isAcceptedUnderReplayProtection_withAFreshJtiEachSignature() {
    try (SignedTokenTrustSource services =
        SignedTokenTrustSource.newBuilder()
            .serviceName("trips")
            .addIssuer(worker.serviceTokenIssuer().roles(List.of("trip-finisher")).build())
            .replayProtection(true)
            .build()) {
      TestToken token = worker.serviceToken("trips");
      String first = token.sign();
      String second = token.sign();
      assertNotEquals(first, second);
      AuthResult r = services.authenticate(bearer(first));
      assertEquals(Set.of("trip-finisher"), r.principal().orElseThrow().roles());
      assertEquals(
          AuthResult.Outcome.AUTHENTICATED, services.authenticate(bearer(second)).outcome());
      assertEquals(Reason.REPLAYED, services.authenticate(bearer(first)).reason());
    }
  }

  @Test
  void jwtSvid_isAcceptedByTheSpiffeJwtSource() throws Exception {
    String id = "spiffe://example.org/ns/trips/sa/worker";
    String jwt = bundle.jwtSvid(id, "trips").sign();
    assertNull(SignedJWT.parse(jwt).getJWTClaimsSet().getIssuer());
    try (SpiffeJwtTrustSource svids =
        SpiffeJwtTrustSource.newBuilder()
            .serviceAudience("trips")
            .addBundle("example.org", bundle.jwksSource())
            .allow(id, List.of("trip-finisher"), List.of())
            .build()) {
      AuthResult r = svids.authenticate(bearer(jwt));
      assertEquals(id, r.principal().orElseThrow(() -> new AssertionError(r.toString())).subject());
    }
  }

  @Test
  void toString_neverShowsTheSignature() {
    TestToken t = idp.userToken("alice");
    String jwt = t.sign();
    assertTrue(!t.toString().contains(jwt.substring(jwt.lastIndexOf('.') + 1)));
  }
}
