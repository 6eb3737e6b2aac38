package dev.gatehouse.trust.jwt;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static dev.gatehouse.testing.TestTokens.encode;
import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.NoCredentialTrustSource;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The user-JWT authenticator end to end over the Probe test service. */
class UserJwtEndToEndTest {
  static final String ISS = "https://idp.test";
  static final String AUD = "trips-api";
  static final Instant START = Instant.parse("2026-05-01T10:00:00Z");
  static final ECKey EC = TestTokens.ecKey("ec1");
  static final RSAKey RSA_RS256 = withAlg(TestTokens.rsaKey("rsa-rs256"), "RS256");
  static final RSAKey RSA_NO_ALG = TestTokens.rsaKey("rsa-none");

  private final List<AuditEvent> audit = new CopyOnWriteArrayList<>();
  private MutableClock clock;
  private JwksServer jwks;
  private ProbeHarness harness;
  private UserJwtAuthenticator auth;

  private static RSAKey withAlg(RSAKey k, String alg) {
    return new RSAKey.Builder(k).algorithm(JWSAlgorithm.parse(alg)).build();
  }

  @BeforeEach
  void setUp() throws Exception {
    clock = new MutableClock(START);
    jwks = JwksServer.start(new JWKSet(List.of(EC, RSA_RS256, RSA_NO_ALG)));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (harness != null) {
      harness.close();
    }
    if (auth != null) {
      auth.close();
    }
    jwks.close();
  }

  private void start() throws Exception {
    start(b -> {});
  }

  private void start(Consumer<UserJwtAuthenticator.Builder> customize) throws Exception {
    UserJwtAuthenticator.Builder b =
        UserJwtAuthenticator.newBuilder().addIssuer(ISS, jwks.url(), List.of(AUD)).clock(clock);
    customize.accept(b);
    auth = b.build();
    harness =
        ProbeHarness.start(
            h ->
                Gatehouse.newBuilder()
                    .addService(h.service())
                    .userAuthenticator(auth)
                    .addTrustSource(new NoCredentialTrustSource())
                    .auditListener(audit::add)
                    .build());
  }

  private Map<String, Object> claims() {
    Map<String, Object> c = TestTokens.claims(ISS, "alice", AUD, clock.instant(), 300);
    c.put("roles", List.of("driver"));
    c.put("scope", "trips:read trips:write");
    return c;
  }

  private String token(Consumer<Map<String, Object>> edit) {
    Map<String, Object> c = claims();
    edit.accept(c);
    return sign(EC, header("ES256", "ec1"), c);
  }

  private String token() {
    return token(c -> {});
  }

  private static Metadata bearer(String token) {
    return ProbeHarness.headers("authorization", "Bearer " + token);
  }

  private Reason lastReason() {
    return audit.get(audit.size() - 1).reason();
  }

  private Reason expectInvalid(Metadata md) {
    int before = harness.handlerRuns();
    StatusRuntimeException e =
        expectFailure(() -> harness.stub(md).anyUser(Req.getDefaultInstance()));
    assertEquals(
        Status.Code.UNAUTHENTICATED,
        e.getStatus().getCode(),
        () -> audit.get(audit.size() - 1).detail());
    assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
    assertEquals(before, harness.handlerRuns(), "handler must not run");
    return lastReason();
  }

  private Reason expectInvalid(String token) {
    return expectInvalid(bearer(token));
  }

  private void expectUnavailable(String token) {
    StatusRuntimeException e =
        expectFailure(() -> harness.stub(bearer(token)).anyUser(Req.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals(AuthStatus.UNAVAILABLE_TEXT, e.getStatus().getDescription());
    assertEquals(0, harness.handlerRuns());
    assertEquals(Reason.KEYS_UNAVAILABLE, lastReason());
  }

  private AuthContext expectOk(String token) {
    int before = harness.handlerRuns();
    assertEquals(
        "AnyUser", harness.stub(bearer(token)).anyUser(Req.getDefaultInstance()).getText());
    assertEquals(before + 1, harness.handlerRuns());
    return harness.seen().get(harness.seen().size() - 1).context().orElseThrow();
  }

  // ---- accepted ----

  @Test
  void anyUser_validToken_handlerSeesUserPrincipal() throws Exception {
    start();
    String t = token();
    AuthContext ctx = expectOk(t);
    assertEquals("alice", ctx.subject());
    assertEquals(PrincipalKind.USER, ctx.kind());
    assertEquals(UserJwtAuthenticator.NAME, ctx.trustSource());
    assertEquals(ISS, ctx.issuer().orElseThrow());
    assertEquals(Set.of("driver"), ctx.roles());
    assertEquals(Set.of("trips:read", "trips:write"), ctx.scopes());
    assertEquals(START.plusSeconds(300), ctx.expiry().orElseThrow());
    assertFalse(ctx.toString().contains(t.substring(0, 20)));
    assertEquals(Set.of("iss", "sub", "aud"), ctx.claims().keySet());
  }

  @Test
  void anyUser_lowerCaseBearerScheme_accepted() throws Exception {
    start();
    harness
        .stub(ProbeHarness.headers("authorization", "bearer " + token()))
        .anyUser(Req.getDefaultInstance());
    assertEquals(1, harness.handlerRuns());
  }

  @Test
  void driver_roleAndScope_accepted() throws Exception {
    start();
    assertEquals(
        "Driver", harness.stub(bearer(token())).driver(Req.getDefaultInstance()).getText());
  }

  @Test
  void driver_missingScope_permissionDenied() throws Exception {
    start();
    String t = token(c -> c.put("scope", "trips:read"));
    StatusRuntimeException e =
        expectFailure(() -> harness.stub(bearer(t)).driver(Req.getDefaultInstance()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals(AuthStatus.DENIED_TEXT, e.getStatus().getDescription());
    assertEquals(0, harness.handlerRuns());
  }

  @Test
  void denied_validToken_permissionDenied() throws Exception {
    start();
    StatusRuntimeException e =
        expectFailure(() -> harness.stub(bearer(token())).denied(Req.getDefaultInstance()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals(AuthStatus.DENIED_TEXT, e.getStatus().getDescription());
    assertEquals(0, harness.handlerRuns());
  }

  @Test
  void streamAnyUser_validToken_streamsSubject() throws Exception {
    start();
    List<String> out =
        ProbeHarness.drain(harness.stub(bearer(token())).streamAnyUser(Req.getDefaultInstance()));
    assertEquals(List.of("alice", "alice", "alice"), out);
  }

  @Test
  void driver_rolesFromRealmAccessAndScpArray_accepted() throws Exception {
    start(b -> b.rolesClaim("realm_access.roles").scopesClaim("scp"));
    String t =
        token(
            c -> {
              c.remove("roles");
              c.remove("scope");
              c.put("realm_access", Map.of("roles", List.of("admin", "viewer")));
              c.put("scp", List.of("trips:write"));
            });
    assertEquals("Driver", harness.stub(bearer(t)).driver(Req.getDefaultInstance()).getText());
    AuthContext ctx = harness.seen().get(0).context().orElseThrow();
    assertEquals(Set.of("admin", "viewer"), ctx.roles());
    assertEquals(Set.of("trips:write"), ctx.scopes());
  }

  @Test
  void driver_rolesClaimPathSetButTopLevelRolesOnly_permissionDenied() throws Exception {
    start(b -> b.rolesClaim("realm_access.roles"));
    StatusRuntimeException e =
        expectFailure(() -> harness.stub(bearer(token())).driver(Req.getDefaultInstance()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals(0, harness.handlerRuns());
  }

  @Test
  void anyUser_typAtJwtAndX5t_accepted() throws Exception {
    start();
    Map<String, Object> h = header("ES256", "ec1");
    h.put("typ", "at+jwt");
    h.put("x5t", "bm90LXVzZWQ");
    expectOk(sign(EC, h, claims()));
  }

  @Test
  void anyUser_x5tS256Header_refusedDisallowedHeader() throws Exception {
    start();
    Map<String, Object> h = header("ES256", "ec1");
    h.put("x5t#S256", "bm90LXVzZWQ");
    assertEquals(Reason.DISALLOWED_HEADER, expectInvalid(sign(EC, h, claims())));
  }

  @Test
  void anyUser_headerMemberJsonNull_refusedMalformedNotReadAsAbsent() throws Exception {
    start();
    for (String headerJson :
        List.of(
            "{\"alg\":\"ES256\",\"kid\":null}",
            "{\"alg\":\"ES256\",\"kid\":\"ec1\",\"typ\":null}",
            "{\"alg\":\"ES256\",\"kid\":\"ec1\",\"x5t\":null}")) {
      String input = Base64URL.encode(headerJson.getBytes(UTF_8)) + "." + encode(claims());
      String token = input + "." + TestTokens.signature(EC, "ES256", input);
      assertEquals(Reason.MALFORMED_CREDENTIALS, expectInvalid(token), headerJson);
    }
    // The same header without the null member verifies: the refusal is about the null.
    String input =
        Base64URL.encode("{\"alg\":\"ES256\",\"kid\":\"ec1\"}".getBytes(UTF_8))
            + "."
            + encode(claims());
    harness
        .stub(bearer(input + "." + TestTokens.signature(EC, "ES256", input)))
        .anyUser(Req.getDefaultInstance());
  }

  @Test
  void anyUser_typJose_refused() throws Exception {
    start();
    Map<String, Object> h = header("ES256", "ec1");
    h.put("typ", "JOSE");
    assertEquals(Reason.DISALLOWED_HEADER, expectInvalid(sign(EC, h, claims())));
  }

  // ---- time claims ----

  @Test
  void anyUser_expired_refusedExpired() throws Exception {
    start();
    // A short-lived token, so the clock never jumps past the 5-minute key cache (that would
    // race the background key refresh and test the cache, not expiry).
    String t = token(c -> c.put("exp", START.getEpochSecond() + 10));
    expectOk(t);
    clock.advance(Duration.ofSeconds(10 + 31));
    assertEquals(Reason.EXPIRED, expectInvalid(t));
  }

  @Test
  void anyUser_expWithinSkewPlusOneSecond_accepted() throws Exception {
    start();
    String t = token(c -> c.put("exp", START.getEpochSecond() - 29));
    expectOk(t);
  }

  @Test
  void anyUser_expBeyondSkewByOneSecond_refusedExpired() throws Exception {
    start();
    assertEquals(
        Reason.EXPIRED, expectInvalid(token(c -> c.put("exp", START.getEpochSecond() - 31))));
  }

  @Test
  void anyUser_nbfWithinSkew_acceptedAndBeyond_refused() throws Exception {
    start();
    expectOk(token(c -> c.put("nbf", START.getEpochSecond() + 29)));
    assertEquals(
        Reason.NOT_YET_VALID, expectInvalid(token(c -> c.put("nbf", START.getEpochSecond() + 31))));
  }

  @Test
  void anyUser_iatWithinSkew_acceptedAndBeyond_refused() throws Exception {
    start();
    expectOk(token(c -> c.put("iat", START.getEpochSecond() + 29)));
    assertEquals(
        Reason.NOT_YET_VALID, expectInvalid(token(c -> c.put("iat", START.getEpochSecond() + 31))));
  }

  @Test
  void anyUser_iatFarFuture_refusedNotYetValid() throws Exception {
    start();
    assertEquals(
        Reason.NOT_YET_VALID,
        expectInvalid(token(c -> c.put("iat", START.plus(Duration.ofDays(365)).getEpochSecond()))));
  }

  @Test
  void anyUser_expMissingFloatOrString_refusedInvalidClaims() throws Exception {
    start();
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(token(c -> c.remove("exp"))));
    assertEquals(
        Reason.INVALID_CLAIMS,
        expectInvalid(token(c -> c.put("exp", START.getEpochSecond() + 60.5))));
    assertEquals(
        Reason.INVALID_CLAIMS,
        expectInvalid(token(c -> c.put("exp", String.valueOf(START.getEpochSecond() + 60)))));
    assertEquals(
        Reason.INVALID_CLAIMS,
        expectInvalid(token(c -> c.put("nbf", (double) START.getEpochSecond()))));
  }

  @Test
  void anyUser_subMissing_refusedInvalidClaims() throws Exception {
    start();
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(token(c -> c.remove("sub"))));
  }

  // ---- audience and issuer ----

  @Test
  void anyUser_wrongAudience_refused() throws Exception {
    start();
    assertEquals(Reason.AUDIENCE_MISMATCH, expectInvalid(token(c -> c.put("aud", "other-api"))));
    assertEquals(Reason.AUDIENCE_MISMATCH, expectInvalid(token(c -> c.remove("aud"))));
    assertEquals(
        Reason.AUDIENCE_MISMATCH, expectInvalid(token(c -> c.put("aud", List.of("a", "b")))));
  }

  @Test
  void anyUser_audienceArrayContainingUs_accepted() throws Exception {
    start();
    expectOk(token(c -> c.put("aud", List.of("other-api", AUD))));
  }

  @Test
  void anyUser_unknownIssuer_refused() throws Exception {
    start();
    assertEquals(
        Reason.UNKNOWN_ISSUER, expectInvalid(token(c -> c.put("iss", "https://evil.test"))));
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(token(c -> c.remove("iss"))));
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(token(c -> c.put("iss", List.of(ISS)))));
  }

  // ---- algorithm policy ----

  @Test
  void anyUser_algNone_refused() throws Exception {
    start();
    String unsigned = encode(header("none", null)) + "." + encode(claims()) + ".";
    assertEquals(Reason.MALFORMED_CREDENTIALS, expectInvalid(unsigned));
    String withSig = encode(header("none", null)) + "." + encode(claims()) + ".AAAA";
    assertEquals(Reason.ALGORITHM_NOT_ALLOWED, expectInvalid(withSig));
    String upper = encode(header("None", "ec1")) + "." + encode(claims()) + ".AAAA";
    assertEquals(Reason.ALGORITHM_NOT_ALLOWED, expectInvalid(upper));
  }

  @Test
  void anyUser_hs256KeyedWithPublicKey_refused() throws Exception {
    start();
    byte[] secret = RSA_RS256.toPublicJWK().toJSONString().getBytes(UTF_8);
    assertEquals(
        Reason.ALGORITHM_NOT_ALLOWED,
        expectInvalid(TestTokens.hmac(secret, header("HS256", "rsa-rs256"), claims())));
    byte[] ecSecret = EC.toPublicJWK().toECPublicKey().getEncoded();
    assertEquals(
        Reason.ALGORITHM_NOT_ALLOWED,
        expectInvalid(TestTokens.hmac(ecSecret, header("HS256", "ec1"), claims())));
  }

  @Test
  void anyUser_ps256WithKeyDeclaringRs256_refused() throws Exception {
    start();
    expectOk(sign(RSA_RS256, header("RS256", "rsa-rs256"), claims()));
    assertEquals(
        Reason.ALGORITHM_NOT_ALLOWED,
        expectInvalid(sign(RSA_RS256, header("PS256", "rsa-rs256"), claims())));
  }

  @Test
  void anyUser_rsaKeyWithoutAlg_onlyFirstAllowedRsaAlgorithm() throws Exception {
    start();
    // default list [ES256, RS256, PS256]: an alg-less RSA key is pinned to RS256
    expectOk(sign(RSA_NO_ALG, header("RS256", "rsa-none"), claims()));
    assertEquals(
        Reason.ALGORITHM_NOT_ALLOWED,
        expectInvalid(sign(RSA_NO_ALG, header("PS256", "rsa-none"), claims())));
  }

  @Test
  void anyUser_rsaKeyWithoutAlgPsFirst_onlyPs256() throws Exception {
    start(b -> {});
    harness.close();
    auth.close();
    auth =
        UserJwtAuthenticator.newBuilder()
            .addIssuer(ISS, jwks.url(), List.of(AUD), List.of("PS256", "RS256"))
            .clock(clock)
            .build();
    harness =
        ProbeHarness.start(
            h ->
                Gatehouse.newBuilder()
                    .addService(h.service())
                    .userAuthenticator(auth)
                    .addTrustSource(new NoCredentialTrustSource())
                    .auditListener(audit::add)
                    .build());
    expectOk(sign(RSA_NO_ALG, header("PS256", "rsa-none"), claims()));
    assertEquals(
        Reason.ALGORITHM_NOT_ALLOWED,
        expectInvalid(sign(RSA_NO_ALG, header("RS256", "rsa-none"), claims())));
    // ES256 is not in this issuer's list at all
    assertEquals(Reason.ALGORITHM_NOT_ALLOWED, expectInvalid(token()));
  }

  @Test
  void anyUser_embeddedKeyHeaders_refusedDisallowedHeader() throws Exception {
    start();
    ECKey attacker = TestTokens.ecKey("ec1");
    Map<String, Object> pub = attacker.toPublicJWK().toJSONObject();
    for (String name : List.of("jwk", "jku", "x5u", "x5c", "crit", "zip", "b64", "cty")) {
      Map<String, Object> h = header("ES256", "ec1");
      Object value =
          switch (name) {
            case "jwk" -> pub;
            case "jku", "x5u" -> "https://evil.test/keys";
            case "x5c", "crit" -> List.of();
            case "b64" -> false;
            default -> "DEF";
          };
      h.put(name, value);
      assertEquals(Reason.DISALLOWED_HEADER, expectInvalid(sign(attacker, h, claims())), name);
      assertEquals(Reason.DISALLOWED_HEADER, expectInvalid(sign(EC, h, claims())), name);
    }
  }

  @Test
  void anyUser_signedByUnpublishedKeyWithKnownKid_badSignature() throws Exception {
    start();
    ECKey attacker = TestTokens.ecKey("ec1");
    assertEquals(
        Reason.BAD_SIGNATURE, expectInvalid(sign(attacker, header("ES256", "ec1"), claims())));
  }

  @Test
  void anyUser_tamperedPayload_badSignature() throws Exception {
    start();
    String[] p = token().split("\\.", -1);
    Map<String, Object> c = claims();
    c.put("sub", "mallory");
    assertEquals(Reason.BAD_SIGNATURE, expectInvalid(p[0] + "." + encode(c) + "." + p[2]));
  }

  // ---- kid selection, rotation, JWKS availability ----

  @Test
  void anyUser_noKidSingleEligibleKey_accepted() throws Exception {
    start();
    expectOk(sign(EC, header("ES256", null), claims()));
  }

  @Test
  void anyUser_noKidSeveralEligibleKeys_refusedUnknownKey() throws Exception {
    jwks.publish(new JWKSet(List.of(EC, TestTokens.ecKey("ec2"))));
    start();
    assertEquals(Reason.UNKNOWN_KEY, expectInvalid(sign(EC, header("ES256", null), claims())));
  }

  @Test
  void anyUser_unknownKidThenRotation_oneRefreshThenAccepted() throws Exception {
    start();
    expectOk(token());
    int before = jwks.requests();
    ECKey next = TestTokens.ecKey("ec-next");
    jwks.publish(new JWKSet(List.of(EC, next)));
    expectOk(sign(next, header("ES256", "ec-next"), claims()));
    assertEquals(before + 1, jwks.requests());
    expectOk(sign(next, header("ES256", "ec-next"), claims()));
    assertEquals(before + 1, jwks.requests());
  }

  @Test
  void anyUser_unknownKidFlood_atMostOneRefreshPerWindow() throws Exception {
    start();
    expectOk(token());
    int before = jwks.requests();
    for (int i = 0; i < 25; i++) {
      ECKey k = TestTokens.ecKey("random-" + i);
      assertEquals(
          Reason.UNKNOWN_KEY, expectInvalid(sign(k, header("ES256", k.getKeyID()), claims())));
    }
    assertEquals(before + 1, jwks.requests());
    clock.advance(Duration.ofSeconds(31));
    ECKey k = TestTokens.ecKey("random-late");
    assertEquals(
        Reason.UNKNOWN_KEY, expectInvalid(sign(k, header("ES256", k.getKeyID()), claims())));
    assertEquals(before + 2, jwks.requests());
  }

  @Test
  void anyUser_unknownKidWithinRateLimitWindow_unauthenticatedNotUnavailable() throws Exception {
    start();
    expectOk(token());
    ECKey a = TestTokens.ecKey("x1");
    expectInvalid(sign(a, header("ES256", "x1"), claims()));
    ECKey b = TestTokens.ecKey("x2");
    jwks.publish(new JWKSet(List.of(EC, b)));
    // the refresh budget of this window is spent: still UNAUTHENTICATED, not UNAVAILABLE
    assertEquals(Reason.UNKNOWN_KEY, expectInvalid(sign(b, header("ES256", "x2"), claims())));
    clock.advance(Duration.ofSeconds(31));
    expectOk(sign(b, header("ES256", "x2"), claims()));
  }

  @Test
  void anyUser_jwksDownWithCachedKeys_stillAccepted() throws Exception {
    start();
    expectOk(token());
    jwks.down(true);
    int before = jwks.requests();
    clock.advance(Duration.ofMinutes(10)); // past the 5 min cache: a refetch is attempted and fails
    expectOk(token());
    assertTrue(jwks.requests() > before, "a refetch was attempted");
  }

  @Test
  void anyUser_jwksDownEmptyCache_unavailable() throws Exception {
    jwks.down(true);
    start();
    expectUnavailable(token());
    expectUnavailable(token());
  }

  @Test
  void anyUser_jwksUnreachable_unavailable() throws Exception {
    jwks.close();
    start();
    expectUnavailable(token());
    jwks = JwksServer.start(new JWKSet(EC)); // for tearDown
  }

  @Test
  void anyUser_slowJwks_boundedWaitThenUnavailable() throws Exception {
    jwks.delay(Duration.ofSeconds(5));
    start(b -> b.fetchTimeout(Duration.ofMillis(300)));
    long t0 = System.nanoTime();
    expectUnavailable(token());
    long millis = (System.nanoTime() - t0) / 1_000_000;
    // Cut off by the 300 ms fetch timeout, never held for the endpoint's 5 s answer (the bound
    // leaves a loaded machine room to schedule the call).
    assertTrue(millis < 4_000, "waited " + millis + " ms");
    // The configured timeout, not the 2 s default, cut the fetch off. Whichever 300 ms bound fires
    // first names it: the exchange bound, the socket's read timeout, or the key library's wait
    // for a refresh already under way.
    String detail = audit.get(audit.size() - 1).detail();
    assertTrue(
        detail.contains("timed out after 300 ms")
            || detail.contains("Read timed out")
            || detail.contains("300ms exceeded"),
        detail);
    assertFalse(detail.contains("2000 ms") || detail.contains("2000ms exceeded"), detail);
  }

  @Test
  void anyUser_jwksWithUnusableKeys_onlyGoodKeysServe() throws Exception {
    RSAKey small =
        new com.nimbusds.jose.jwk.gen.RSAKeyGenerator(1024, true).keyID("small").generate();
    ECKey enc =
        new ECKey.Builder(TestTokens.ecKey("enc"))
            .keyUse(com.nimbusds.jose.jwk.KeyUse.ENCRYPTION)
            .build();
    ECKey dupA = TestTokens.ecKey("dup");
    ECKey dupB = TestTokens.ecKey("dup");
    List<JWK> keys = new ArrayList<>(List.of(EC, small, enc, dupA, dupB));
    jwks.publish(new JWKSet(keys));
    start();
    expectOk(token());
    assertEquals(
        Reason.UNKNOWN_KEY, expectInvalid(sign(small, header("RS256", "small"), claims())));
    assertEquals(Reason.UNKNOWN_KEY, expectInvalid(sign(enc, header("ES256", "enc"), claims())));
    assertEquals(Reason.UNKNOWN_KEY, expectInvalid(sign(dupA, header("ES256", "dup"), claims())));
  }

  @Test
  void anyUser_octKeyInJwks_hs256StillRefused() throws Exception {
    String withOct =
        "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"hmac\",\"k\":\"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTEyMzQ\"},"
            + EC.toPublicJWK().toJSONString()
            + "]}";
    jwks.publishRaw(withOct);
    start();
    expectOk(token());
    byte[] secret = "secret-secret-secret-secret-1234".getBytes(UTF_8);
    assertEquals(
        Reason.ALGORITHM_NOT_ALLOWED,
        expectInvalid(TestTokens.hmac(secret, header("HS256", "hmac"), claims())));
  }

  // ---- framing ----

  @Test
  void anyUser_noAuthorization_missingCredentials() throws Exception {
    start();
    StatusRuntimeException e =
        expectFailure(() -> harness.stub().anyUser(Req.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(AuthStatus.MISSING_TEXT, e.getStatus().getDescription());
    assertEquals(0, harness.handlerRuns());
  }

  @Test
  void anyUser_basicScheme_refusedMalformed() throws Exception {
    start();
    assertEquals(
        Reason.MALFORMED_CREDENTIALS,
        expectInvalid(ProbeHarness.headers("authorization", "Basic YWxpY2U6c2VjcmV0")));
  }

  @Test
  void anyUser_emptyOrSpacedBearer_refusedMalformed() throws Exception {
    start();
    String t = token();
    for (String v :
        List.of(
            "Bearer",
            "Bearer ",
            "Bearer  " + t,
            "Bearer\t" + t,
            "Token " + t,
            t,
            "Bearer " + t + " ",
            "Bearer " + t.substring(0, 40) + " " + t.substring(40))) {
      assertEquals(
          Reason.MALFORMED_CREDENTIALS,
          expectInvalid(ProbeHarness.headers("authorization", v)),
          v.length() > 12 ? v.substring(0, 12) : v);
    }
  }

  @Test
  void anyUser_twoAuthorizationValues_refused() throws Exception {
    start();
    String t = token();
    assertEquals(
        Reason.DUPLICATE_CREDENTIALS,
        expectInvalid(ProbeHarness.headers("authorization", "Bearer " + t, "Bearer " + t)));
  }

  @Test
  void anyUser_wrongSegmentCounts_refusedMalformed() throws Exception {
    start();
    String[] p = token().split("\\.", -1);
    for (String bad :
        List.of(
            p[0],
            p[0] + "." + p[1],
            p[0] + "." + p[1] + "." + p[2] + "." + p[2],
            p[0] + "." + p[1] + "." + p[2] + "." + p[2] + "." + p[2],
            p[0] + ".." + p[2],
            "{\"payload\":\"" + p[1] + "\"}")) {
      assertEquals(Reason.MALFORMED_CREDENTIALS, expectInvalid(bad));
    }
  }

  @Test
  void anyUser_paddingNonCanonicalOrForeignCharacters_refusedMalformed() throws Exception {
    start();
    String[] p = token().split("\\.", -1);
    String sig = p[2];
    // an ES256 signature is 86 characters (86 mod 4 = 2): the last one carries 4 unused bits
    char last = sig.charAt(sig.length() - 1);
    String nonCanonicalSig = sig.substring(0, sig.length() - 1) + (char) (last + 1);
    for (String bad :
        List.of(
            p[0] + "." + p[1] + "." + sig + "==",
            p[0] + "=." + p[1] + "." + sig,
            p[0] + "." + p[1] + "." + nonCanonicalSig,
            p[0] + "." + p[1] + "." + sig.substring(0, sig.length() - 1),
            p[0] + "." + p[1] + "?." + sig,
            p[0] + "." + p[1] + "#." + sig,
            p[0] + "." + p[1] + "." + sig.substring(0, 10) + "+" + sig.substring(11),
            p[0] + "." + p[1] + "." + sig.substring(0, 10) + "/" + sig.substring(11),
            p[0] + "." + p[1] + "." + sig.substring(0, 10) + "%20" + sig.substring(10))) {
      assertEquals(Reason.MALFORMED_CREDENTIALS, expectInvalid(bad));
    }
  }

  @Test
  void anyUser_headerOrPayloadNotJsonObject_refusedMalformed() throws Exception {
    start();
    String[] p = token().split("\\.", -1);
    String notJson = com.nimbusds.jose.util.Base64URL.encode("[1,2]").toString();
    assertEquals(Reason.MALFORMED_CREDENTIALS, expectInvalid(notJson + "." + p[1] + "." + p[2]));
    assertEquals(Reason.MALFORMED_CREDENTIALS, expectInvalid(p[0] + "." + notJson + "." + p[2]));
    String dup =
        com.nimbusds.jose.util.Base64URL.encode(
                "{\"iss\":\"" + ISS + "\",\"sub\":\"a\",\"sub\":\"b\"}")
            .toString();
    assertEquals(Reason.MALFORMED_CREDENTIALS, expectInvalid(p[0] + "." + dup + "." + p[2]));
  }

  @Test
  void anyUser_oversizedToken_refusedBeforeParsing() throws Exception {
    start(b -> b.maxTokenBytes(1024));
    String big = token(c -> c.put("pad", "x".repeat(2000)));
    assertEquals(Reason.MALFORMED_CREDENTIALS, expectInvalid(big));
    assertTrue(audit.get(audit.size() - 1).detail().contains("longer than"));
    expectOk(token());
  }

  @Test
  void anyUser_jweFiveSegments_refusedMalformed() throws Exception {
    start();
    String jwe =
        encode(Map.of("alg", "PBES2-HS256+A128KW", "enc", "A128GCM", "p2c", 2_000_000_000))
            + ".AAAA.AAAA.AAAA.AAAA";
    long t0 = System.nanoTime();
    assertEquals(Reason.MALFORMED_CREDENTIALS, expectInvalid(jwe));
    assertTrue((System.nanoTime() - t0) < 2_000_000_000L);
  }

  @Test
  void auditDetail_neverContainsTokenMaterial() throws Exception {
    start();
    String t = token(c -> c.put("aud", "other"));
    expectInvalid(t);
    for (AuditEvent e : audit) {
      String s = e.toString();
      for (String part : t.split("\\.", -1)) {
        assertFalse(s.contains(part.substring(0, 16)));
      }
      assertFalse(s.contains("other"));
    }
  }

  // ---- builder validation ----

  @Test
  void build_invalidConfigurations_throw() {
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class, () -> UserJwtAuthenticator.newBuilder().build());
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () ->
            UserJwtAuthenticator.newBuilder()
                .addIssuer(ISS, "http://idp.example/jwks.json", List.of(AUD))
                .build());
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () ->
            UserJwtAuthenticator.newBuilder()
                .addIssuer(ISS, jwks.url(), List.of(AUD))
                .clockSkew(Duration.ofSeconds(121))
                .build());
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () -> UserJwtAuthenticator.newBuilder().addIssuer(ISS, jwks.url(), List.of()).build());
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () ->
            UserJwtAuthenticator.newBuilder()
                .addIssuer(ISS, jwks.url(), List.of(AUD), List.of("HS256"))
                .build());
    org.junit.jupiter.api.Assertions.assertThrows(
        IllegalArgumentException.class,
        () ->
            UserJwtAuthenticator.newBuilder()
                .addIssuer(ISS, jwks.url(), List.of(AUD))
                .addIssuer(ISS, jwks.url(), List.of(AUD))
                .build());
  }

  @Test
  void issuers_listsConfiguredIssuers() throws Exception {
    start();
    assertEquals(Set.of(ISS), auth.issuers());
  }

  static Map<String, Object> copy(Map<String, Object> m) {
    return new LinkedHashMap<>(m);
  }
}
