package dev.gatehouse.trust.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.config.ConfigSection;
import dev.gatehouse.config.ConfigSectionProvider;
import dev.gatehouse.config.ConfigSectionProvider.Previous;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reload (a section rebuilt by its provider with the previous section and authenticator, as
 * {@code ConfiguredGatehouse} does) keeps an issuer's cached keys when its key location and
 * algorithms are unchanged, even after the replaced authenticator is closed; a changed location or
 * algorithm set fetches again. Tokens use the real clock only for {@code iat}/{@code exp} (the
 * config-built sources have no injectable clock); nothing here waits for a token to expire.
 */
class ReloadKeepsIssuerKeysTest {
  private static final ECKey KEY = TestTokens.ecKey("k1");
  private static final ConfigSections SECTIONS =
      ConfigSections.of(UserJwtSection.provider(), SignedTokenSection.provider());

  @TempDir Path dir;
  private JwksServer jwks;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    jwks = JwksServer.start(new JWKSet(KEY));
    open.add(jwks);
    Files.writeString(
        dir.resolve("billing.jwks.json"),
        new JWKSet(TestTokens.ecKey("b-1").toPublicJWK()).toString());
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private GatehouseConfig parse(String yaml) {
    return GatehouseConfig.parse(yaml, dir, SECTIONS);
  }

  private static String userJwt(String uri, String audiences, String algorithms) {
    return "service_name: trips\n"
        + "user_jwt:\n"
        + "  issuers:\n"
        + "    - { issuer: \"https://idp.test\", jwks_uri: \""
        + uri
        + "\", audiences: ["
        + audiences
        + "], algorithms: ["
        + algorithms
        + "] }\n";
  }

  private static String signedToken(String uri, boolean withBilling) {
    return "service_name: trips\n"
        + "internal:\n"
        + "  signed_token:\n"
        + "    issuers:\n"
        + "      - { issuer: worker, jwks_uri: \""
        + uri
        + "\", roles: [trip-finisher] }\n"
        + (withBilling
            ? "      - { issuer: billing, jwks_file: billing.jwks.json, roles: [payer] }\n"
            : "");
  }

  /** Builds the section of {@code c} as a reload does, replacing {@code before} (may be null). */
  private <S extends ConfigSection> Authenticator build(
      ConfigSectionProvider<S> p,
      GatehouseConfig c,
      GatehouseConfig beforeConfig,
      Authenticator before) {
    Optional<Previous<S>> previous =
        before == null
            ? Optional.empty()
            : Optional.of(new Previous<>(beforeConfig.section(p).orElseThrow(), before));
    Authenticator a = p.create(c.section(p).orElseThrow(), c, previous);
    open.add(a);
    return a;
  }

  private static AuthResult present(Authenticator a, String method, String token) {
    Metadata md = new Metadata();
    md.put(IncomingCall.key("authorization"), "Bearer " + token);
    return a.authenticate(IncomingCall.of("gatehouse.test.v1.Probe/" + method, md, null, null));
  }

  private static AuthResult user(Authenticator a, String audience) {
    String token =
        TestTokens.sign(
            KEY,
            TestTokens.header("ES256", "k1"),
            TestTokens.claims("https://idp.test", "alice", audience, Instant.now(), 300));
    return present(a, "AnyUser", token);
  }

  private static AuthResult worker(Authenticator a) {
    String token =
        TestTokens.sign(
            KEY,
            TestTokens.header("ES256", "k1"),
            TestTokens.claims("worker", "worker", "trips", Instant.now(), 300));
    return present(a, "Worker", token);
  }

  @Test
  void reload_userJwtAudienceAddedWhileJwksDown_cachedKeysKeepServing() {
    GatehouseConfig v1 = parse(userJwt(jwks.url(), "trips-api", "ES256"));
    Authenticator before = build(UserJwtSection.provider(), v1, null, null);
    assertEquals(AuthResult.Outcome.AUTHENTICATED, user(before, "trips-api").outcome());

    jwks.down(true); // the identity provider goes down, then an audience is added
    GatehouseConfig v2 = parse(userJwt(jwks.url(), "trips-api, trips-admin", "ES256"));
    Authenticator after = build(UserJwtSection.provider(), v2, v1, before);
    before.close(); // the replaced authenticator is closed once its grace period ends
    int requests = jwks.requests();

    AuthResult added = user(after, "trips-admin");
    assertEquals(AuthResult.Outcome.AUTHENTICATED, added.outcome(), added::toString);
    AuthResult kept = user(after, "trips-api");
    assertEquals(AuthResult.Outcome.AUTHENTICATED, kept.outcome(), kept::toString);
    assertEquals(requests, jwks.requests(), "an unchanged key location is not fetched again");
  }

  @Test
  void reload_signedTokenIssuerAddedWhileJwksDown_cachedKeysKeepServing() {
    GatehouseConfig v1 = parse(signedToken(jwks.url(), false));
    Authenticator before = build(SignedTokenSection.provider(), v1, null, null);
    assertEquals(AuthResult.Outcome.AUTHENTICATED, worker(before).outcome());

    jwks.down(true);
    GatehouseConfig v2 = parse(signedToken(jwks.url(), true)); // a new issuer: a new verifier
    Authenticator after = build(SignedTokenSection.provider(), v2, v1, before);
    before.close();
    int requests = jwks.requests();

    AuthResult r = worker(after);
    assertEquals(AuthResult.Outcome.AUTHENTICATED, r.outcome(), r::toString);
    assertEquals(requests, jwks.requests(), "an unchanged key location is not fetched again");
  }

  @Test
  void reload_jwksUriChanged_newLocationFetched() throws Exception {
    GatehouseConfig v1 = parse(userJwt(jwks.url(), "trips-api", "ES256"));
    Authenticator before = build(UserJwtSection.provider(), v1, null, null);
    assertEquals(AuthResult.Outcome.AUTHENTICATED, user(before, "trips-api").outcome());

    JwksServer moved = JwksServer.start(new JWKSet(KEY));
    open.add(moved);
    jwks.down(true);
    GatehouseConfig v2 = parse(userJwt(moved.url(), "trips-api", "ES256"));
    Authenticator after = build(UserJwtSection.provider(), v2, v1, before);
    before.close();

    AuthResult r = user(after, "trips-api");
    assertEquals(AuthResult.Outcome.AUTHENTICATED, r.outcome(), r::toString);
    assertTrue(moved.requests() >= 1, "the new location is fetched");
  }

  @Test
  void reload_algorithmsChanged_keysFetchedAgain() {
    GatehouseConfig v1 = parse(userJwt(jwks.url(), "trips-api", "ES256"));
    Authenticator before = build(UserJwtSection.provider(), v1, null, null);
    assertEquals(AuthResult.Outcome.AUTHENTICATED, user(before, "trips-api").outcome());
    int requests = jwks.requests();

    GatehouseConfig v2 = parse(userJwt(jwks.url(), "trips-api", "ES256, ES384"));
    Authenticator after = build(UserJwtSection.provider(), v2, v1, before);
    before.close();

    AuthResult r = user(after, "trips-api");
    assertEquals(AuthResult.Outcome.AUTHENTICATED, r.outcome(), r::toString);
    assertTrue(jwks.requests() > requests, "a changed algorithm set fetches the keys again");
  }
}
