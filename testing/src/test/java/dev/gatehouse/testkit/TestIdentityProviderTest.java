package dev.gatehouse.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import io.grpc.Attributes;
import io.grpc.Metadata;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class TestIdentityProviderTest {
  @RegisterExtension
  final TestIdentityProvider idp =
      TestIdentityProvider.newBuilder("https://idp.test").audience("trips-api").build();

  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(Duration timeout) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(idp.jwksUri())).timeout(timeout).build();
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static IncomingCall bearer(String jwt) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + jwt);
    return IncomingCall.of("trips/Start", md, Attributes.EMPTY);
  }

  private UserJwtAuthenticator users() {
    return UserJwtAuthenticator.newBuilder().addIssuer(idp.trustedIssuer()).build();
  }

  @Test
  void servesPublicEcAndRsaKeysOnLoopback() throws Exception {
    assertTrue(idp.jwksUri().startsWith("http://127.0.0.1:"), idp.jwksUri());
    HttpResponse<String> response = get(Duration.ofSeconds(10));
    assertEquals(200, response.statusCode());
    JWKSet set = JWKSet.parse(response.body());
    assertEquals(
        List.of("EC", "RSA"), set.getKeys().stream().map(k -> k.getKeyType().getValue()).toList());
    for (JWK k : set.getKeys()) {
      assertFalse(k.isPrivate(), "private key material served for " + k.getKeyID());
      assertEquals("sig", k.getKeyUse().identifier());
    }
    assertEquals(1, idp.jwksRequests());
  }

  @Test
  void rotation_servesNewAndPreviousKeysUntilRetired() throws Exception {
    String before = idp.publicKeys().getKeys().get(0).getKeyID();
    idp.rotate();
    JWKSet both = JWKSet.parse(get(Duration.ofSeconds(10)).body());
    assertEquals(4, both.getKeys().size());
    assertNotEquals(before, both.getKeys().get(0).getKeyID());
    assertTrue(both.getKeyByKeyId(before) != null);
    idp.retirePreviousKeys();
    JWKSet current = JWKSet.parse(get(Duration.ofSeconds(10)).body());
    assertEquals(2, current.getKeys().size());
    assertEquals(null, current.getKeyByKeyId(before));
  }

  @Test
  void rotation_oldTokensVerifyUntilTheirKeyIsRetired() {
    String old = idp.userToken("a").sign();
    idp.rotate();
    String fresh = idp.userToken("a").sign();
    try (UserJwtAuthenticator users = users()) {
      assertEquals(AuthResult.Outcome.AUTHENTICATED, users.authenticate(bearer(old)).outcome());
      assertEquals(AuthResult.Outcome.AUTHENTICATED, users.authenticate(bearer(fresh)).outcome());
    }
    idp.retirePreviousKeys();
    try (UserJwtAuthenticator users = users()) {
      assertEquals(Reason.UNKNOWN_KEY, users.authenticate(bearer(old)).reason());
      assertEquals(AuthResult.Outcome.AUTHENTICATED, users.authenticate(bearer(fresh)).outcome());
    }
  }

  @Test
  void http500Outage_answers500UntilRecovered() throws Exception {
    idp.outage(TestIdentityProvider.Outage.HTTP_500);
    assertEquals(500, get(Duration.ofSeconds(10)).statusCode());
    idp.recover();
    assertEquals(200, get(Duration.ofSeconds(10)).statusCode());
  }

  @Test
  void connectionRefusedOutage_refusesThenServesAgainOnTheSameUrl() throws Exception {
    String url = idp.jwksUri();
    idp.outage(TestIdentityProvider.Outage.CONNECTION_REFUSED);
    assertThrows(ConnectException.class, () -> get(Duration.ofSeconds(10)));
    idp.recover();
    assertEquals(url, idp.jwksUri());
    assertEquals(200, get(Duration.ofSeconds(10)).statusCode());
  }

  @Test
  void outageWithAnEmptyCache_makesTheCallUnavailable() {
    idp.outage(TestIdentityProvider.Outage.HTTP_500);
    try (UserJwtAuthenticator users = users()) {
      assertEquals(
          AuthResult.Outcome.UNAVAILABLE,
          users.authenticate(bearer(idp.userToken("a").sign())).outcome());
    }
  }

  @Test
  void slowAnswers_outlastAShortClientTimeout() {
    idp.slowAnswers(Duration.ofSeconds(30));
    assertThrows(HttpTimeoutException.class, () -> get(Duration.ofMillis(200)));
  }

  @Test
  void afterEach_clearsOutagesAndSlowness() throws Exception {
    idp.outage(TestIdentityProvider.Outage.HTTP_500);
    idp.slowAnswers(Duration.ofSeconds(30));
    idp.afterEach(null);
    idp.beforeEach(null);
    assertEquals(200, get(Duration.ofSeconds(10)).statusCode());
  }

  @Test
  void expiredToken_isRefusedByTheVerifier() {
    try (UserJwtAuthenticator users = users()) {
      String jwt =
          idp.userToken("a").expiresAt(idp.clock().instant().minus(Duration.ofHours(1))).sign();
      AuthResult r = users.authenticate(bearer(jwt));
      assertEquals(Reason.EXPIRED, r.reason());
    }
  }

  @Test
  void builder_refusesBadValues() {
    assertThrows(IllegalArgumentException.class, () -> TestIdentityProvider.newBuilder(" "));
    assertThrows(
        IllegalArgumentException.class,
        () -> TestIdentityProvider.newBuilder("x").tokenLifetime(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> idp.slowAnswers(Duration.ofSeconds(-1)));
  }
}
