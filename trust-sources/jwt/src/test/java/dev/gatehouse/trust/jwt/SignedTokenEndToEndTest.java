package dev.gatehouse.trust.jwt;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static dev.gatehouse.testing.TestTokens.encode;
import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.policy.PolicyException;
import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The signed service-token trust source end to end on the internal Probe methods. */
class SignedTokenEndToEndTest {
  static final String SERVICE = "trips";
  static final String USER_ISS = "https://idp.test";
  static final Instant START = Instant.parse("2026-06-01T08:00:00Z");
  static final ECKey A = TestTokens.ecKey("a1");
  static final ECKey A_SHARED = TestTokens.ecKey("shared");
  static final ECKey B = TestTokens.ecKey("b1");
  static final ECKey B_SHARED = TestTokens.ecKey("shared");
  static final ECKey S = TestTokens.ecKey("s1");
  static final ECKey U = TestTokens.ecKey("u1");

  private final List<AuditEvent> audit = new CopyOnWriteArrayList<>();
  private MutableClock clock;
  private JwksServer jwksA;
  private JwksServer jwksB;
  private ProbeHarness harness;
  private Gatehouse gatehouse;

  @BeforeEach
  void setUp() throws Exception {
    clock = new MutableClock(START);
    jwksA = JwksServer.start(new JWKSet(List.of(A, A_SHARED)));
    jwksB = JwksServer.start(new JWKSet(List.of(B, B_SHARED)));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (harness != null) {
      harness.close();
    }
    if (gatehouse != null) {
      gatehouse.close();
    }
    jwksA.close();
    jwksB.close();
  }

  private ServiceTokenIssuer.Builder worker() {
    return ServiceTokenIssuer.newBuilder("worker")
        .jwksUri(jwksA.url())
        .roles(List.of("trip-finisher"))
        .scopes(List.of("trips:read", "trips:write"));
  }

  private ServiceTokenIssuer.Builder billing() {
    return ServiceTokenIssuer.newBuilder("billing").jwksUri(jwksB.url());
  }

  private ServiceTokenIssuer.Builder solo() {
    return ServiceTokenIssuer.newBuilder("solo")
        .keys(JwksSource.of(new JWKSet(S)))
        .allowedSubjects(List.of("solo-batch", "solo-web"));
  }

  private void start() throws Exception {
    start(b -> b, UnaryOperator.identity(), UnaryOperator.identity());
  }

  private void start(
      UnaryOperator<SignedTokenTrustSource.Builder> source,
      UnaryOperator<ServiceTokenIssuer.Builder> workerEdit,
      UnaryOperator<ServiceTokenIssuer.Builder> billingEdit)
      throws Exception {
    SignedTokenTrustSource tokens =
        source
            .apply(
                SignedTokenTrustSource.newBuilder()
                    .serviceName(SERVICE)
                    .clock(clock)
                    .addIssuer(workerEdit.apply(worker()).build())
                    .addIssuer(billingEdit.apply(billing()).build())
                    .addIssuer(solo().build()))
            .build();
    UserJwtAuthenticator users =
        UserJwtAuthenticator.newBuilder()
            .addIssuer(USER_ISS, JwksSource.of(new JWKSet(U)), List.of("trips-api"))
            .clock(clock)
            .build();
    harness =
        ProbeHarness.start(
            h -> {
              gatehouse =
                  Gatehouse.newBuilder()
                      .addService(h.service())
                      .userAuthenticator(users)
                      .addTrustSource(tokens)
                      .auditListener(audit::add)
                      .build();
              return gatehouse;
            });
  }

  private Map<String, Object> claims(String iss) {
    Map<String, Object> c = TestTokens.claims(iss, iss, SERVICE, clock.instant(), 300);
    c.put("jti", "jti-" + System.nanoTime());
    return c;
  }

  private String token(ECKey key, String iss, Consumer<Map<String, Object>> edit) {
    Map<String, Object> c = claims(iss);
    edit.accept(c);
    return sign(key, header("ES256", key.getKeyID()), c);
  }

  private String workerToken(Consumer<Map<String, Object>> edit) {
    return token(A, "worker", edit);
  }

  private String workerToken() {
    return workerToken(c -> {});
  }

  private static Metadata bearer(String token) {
    return ProbeHarness.headers("authorization", "Bearer " + token);
  }

  private AuthContext expectWorkerOk(String token) {
    int before = harness.handlerRuns();
    assertEquals("Worker", harness.stub(bearer(token)).worker(Req.getDefaultInstance()).getText());
    assertEquals(before + 1, harness.handlerRuns());
    return harness.seen().get(harness.seen().size() - 1).context().orElseThrow();
  }

  private Reason expectInvalid(Metadata md) {
    int before = harness.handlerRuns();
    StatusRuntimeException e =
        expectFailure(() -> harness.stub(md).worker(Req.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
    assertEquals(before, harness.handlerRuns(), "handler must not run");
    return audit.get(audit.size() - 1).reason();
  }

  private Reason expectInvalid(String token) {
    return expectInvalid(bearer(token));
  }

  private void expectFinisherDenied(String token) {
    int before = harness.handlerRuns();
    StatusRuntimeException e =
        expectFailure(() -> harness.stub(bearer(token)).workerFinisher(Req.getDefaultInstance()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals(AuthStatus.DENIED_TEXT, e.getStatus().getDescription());
    assertEquals(before, harness.handlerRuns(), "handler must not run");
  }

  // ---- accepted ----

  @Test
  void worker_validServiceToken_servicePrincipalWithServerGrant() throws Exception {
    start();
    AuthContext ctx = expectWorkerOk(workerToken());
    assertEquals("worker", ctx.subject());
    assertEquals(PrincipalKind.SERVICE, ctx.kind());
    assertEquals(SignedTokenTrustSource.NAME, ctx.trustSource());
    assertEquals("worker", ctx.issuer().orElseThrow());
    assertEquals(Set.of("trip-finisher"), ctx.roles());
    assertEquals(Set.of("trips:read", "trips:write"), ctx.scopes());
  }

  @Test
  void workerFinisher_workerToken_accepted() throws Exception {
    start();
    assertEquals(
        "WorkerFinisher",
        harness.stub(bearer(workerToken())).workerFinisher(Req.getDefaultInstance()).getText());
  }

  @Test
  void streamWorker_workerToken_streamsSubject() throws Exception {
    start();
    assertEquals(
        List.of("worker", "worker", "worker"),
        ProbeHarness.drain(
            harness.stub(bearer(workerToken())).streamWorker(Req.getDefaultInstance())));
  }

  @Test
  void workerFinisher_billingTokenWithoutRole_permissionDenied() throws Exception {
    start();
    expectFinisherDenied(token(B, "billing", c -> {}));
  }

  @Test
  void worker_noCredential_missingCredentials() throws Exception {
    start();
    StatusRuntimeException e = expectFailure(() -> harness.stub().worker(Req.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(AuthStatus.MISSING_TEXT, e.getStatus().getDescription());
    assertEquals(0, harness.handlerRuns());
  }

  // ---- E: issuer binding ----

  @Test
  void worker_claimsBillingSignedWithWorkerKeyAndKid_refused() throws Exception {
    start();
    assertEquals(Reason.UNKNOWN_KEY, expectInvalid(token(A, "billing", c -> {})));
  }

  @Test
  void worker_claimsWorkerSignedWithBillingKeyAndKid_refused() throws Exception {
    start();
    assertEquals(Reason.UNKNOWN_KEY, expectInvalid(token(B, "worker", c -> {})));
  }

  @Test
  void worker_kidUnderTwoIssuersUsedAcross_refused() throws Exception {
    start();
    expectWorkerOk(token(B_SHARED, "billing", c -> {}));
    expectWorkerOk(token(A_SHARED, "worker", c -> {}));
    assertEquals(Reason.BAD_SIGNATURE, expectInvalid(token(A_SHARED, "billing", c -> {})));
    assertEquals(Reason.BAD_SIGNATURE, expectInvalid(token(B_SHARED, "worker", c -> {})));
  }

  @Test
  void worker_unconfiguredIssuer_refusedEvenWithEmbeddedKeyHeaders() throws Exception {
    start();
    ECKey evil = TestTokens.ecKey("evil");
    assertEquals(Reason.UNKNOWN_ISSUER, expectInvalid(token(evil, "intruder", c -> {})));
    for (String name : List.of("jku", "jwk", "x5u")) {
      Map<String, Object> h = header("ES256", "evil");
      h.put(name, name.equals("jwk") ? evil.toPublicJWK().toJSONObject() : "http://127.0.0.1:1/k");
      Map<String, Object> c = claims("intruder");
      assertEquals(Reason.DISALLOWED_HEADER, expectInvalid(sign(evil, h, c)), name);
      c.put("iss", "worker");
      c.put("sub", "worker");
      assertEquals(Reason.DISALLOWED_HEADER, expectInvalid(sign(evil, h, c)), name);
    }
  }

  @Test
  void worker_userJwt_refusedAsWrongKind() throws Exception {
    start();
    String user =
        sign(
            U,
            header("ES256", "u1"),
            TestTokens.claims(USER_ISS, "alice", "trips-api", START, 300));
    assertEquals("AnyUser", harness.stub(bearer(user)).anyUser(Req.getDefaultInstance()).getText());
    // Same fixed status as any invalid credential; the log names the mistake, not "unknown issuer".
    assertEquals(Reason.WRONG_CREDENTIAL_KIND, expectInvalid(user));
    String detail = audit.get(audit.size() - 1).detail();
    assertTrue(detail.contains("user token"), detail);
    assertTrue(detail.contains("is not a service credential"), detail);
    assertFalse(detail.contains(user.substring(user.lastIndexOf('.') + 1)), detail);
  }

  @Test
  void anyUser_serviceToken_refused() throws Exception {
    start();
    int before = harness.handlerRuns();
    StatusRuntimeException e =
        expectFailure(() -> harness.stub(bearer(workerToken())).anyUser(Req.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
    assertEquals(before, harness.handlerRuns());
  }

  @Test
  void build_sameIssuerForUsersAndServices_policyException() {
    SignedTokenTrustSource tokens =
        SignedTokenTrustSource.newBuilder()
            .serviceName(SERVICE)
            .addIssuer(
                ServiceTokenIssuer.newBuilder(USER_ISS).keys(JwksSource.of(new JWKSet(U))).build())
            .build();
    UserJwtAuthenticator users =
        UserJwtAuthenticator.newBuilder()
            .addIssuer(USER_ISS, JwksSource.of(new JWKSet(U)), List.of("trips-api"))
            .build();
    try (users;
        tokens) {
      PolicyException e =
          assertThrows(
              PolicyException.class,
              () ->
                  ProbeHarness.start(
                      h ->
                          Gatehouse.newBuilder()
                              .addService(h.service())
                              .userAuthenticator(users)
                              .addTrustSource(tokens)
                              .build()));
      assertTrue(
          e.problems().stream().anyMatch(p -> p.contains(USER_ISS) && p.contains("signed_token")),
          e.getMessage());
    }
  }

  // ---- D: algorithm and header policy ----

  @Test
  void worker_algNoneAndHmacWithPublicKey_refused() throws Exception {
    start();
    String none = encode(header("none", "a1")) + "." + encode(claims("worker")) + ".";
    assertEquals(Reason.MALFORMED_CREDENTIALS, expectInvalid(none));
    byte[] secret = A.toPublicJWK().toJSONString().getBytes(UTF_8);
    assertEquals(
        Reason.ALGORITHM_NOT_ALLOWED,
        expectInvalid(TestTokens.hmac(secret, header("HS256", "a1"), claims("worker"))));
  }

  @Test
  void worker_critOrTypOrExtraHeader_refused() throws Exception {
    start();
    Map<String, Object> crit = header("ES256", "a1");
    crit.put("crit", List.of());
    assertEquals(Reason.DISALLOWED_HEADER, expectInvalid(sign(A, crit, claims("worker"))));
    Map<String, Object> typ = header("ES256", "a1");
    typ.put("typ", "at+jwt");
    assertEquals(Reason.DISALLOWED_HEADER, expectInvalid(sign(A, typ, claims("worker"))));
    Map<String, Object> x5t = header("ES256", "a1");
    x5t.put("x5t", "AAAA");
    assertEquals(Reason.DISALLOWED_HEADER, expectInvalid(sign(A, x5t, claims("worker"))));
    Map<String, Object> jwt = header("ES256", "a1");
    jwt.put("typ", "JWT");
    expectWorkerOk(sign(A, jwt, claims("worker")));
  }

  @Test
  void worker_missingKid_acceptedOnlyWithOneEligibleKey() throws Exception {
    start();
    Map<String, Object> solo = claims("solo");
    solo.put("sub", "solo-batch");
    expectWorkerOk(sign(S, header("ES256", null), solo));
    assertEquals(
        Reason.UNKNOWN_KEY, expectInvalid(sign(A, header("ES256", null), claims("worker"))));
  }

  @Test
  void worker_nonCanonicalBase64_refused() throws Exception {
    start();
    String[] p = workerToken().split("\\.", -1);
    assertEquals(Reason.MALFORMED_CREDENTIALS, expectInvalid(p[0] + "." + p[1] + "=." + p[2]));
    assertEquals(Reason.MALFORMED_CREDENTIALS, expectInvalid(p[0] + "." + p[1] + " ." + p[2]));
  }

  // ---- F: claims ----

  @Test
  void worker_audienceVariants() throws Exception {
    start();
    assertEquals(Reason.AUDIENCE_MISMATCH, expectInvalid(workerToken(c -> c.remove("aud"))));
    assertEquals(
        Reason.AUDIENCE_MISMATCH, expectInvalid(workerToken(c -> c.put("aud", "billing"))));
    assertEquals(
        Reason.AUDIENCE_MISMATCH,
        expectInvalid(workerToken(c -> c.put("aud", List.of("billing", "payments")))));
    expectWorkerOk(workerToken(c -> c.put("aud", List.of("billing", SERVICE))));
  }

  @Test
  void worker_expVariants_refused() throws Exception {
    start();
    long now = START.getEpochSecond();
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(workerToken(c -> c.remove("exp"))));
    assertEquals(
        Reason.EXPIRED,
        expectInvalid(
            workerToken(
                c -> {
                  c.put("iat", now - 600);
                  c.put("exp", now - 300);
                })));
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(workerToken(c -> c.put("exp", now + 60.0))));
    assertEquals(
        Reason.INVALID_CLAIMS,
        expectInvalid(workerToken(c -> c.put("exp", String.valueOf(now + 60)))));
  }

  @Test
  void worker_iatMissingOrFuture_refused() throws Exception {
    start();
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(workerToken(c -> c.remove("iat"))));
    assertEquals(
        Reason.NOT_YET_VALID,
        expectInvalid(workerToken(c -> c.put("iat", START.getEpochSecond() + 120))));
  }

  @Test
  void worker_lifetimeOverMaxTtl_refused() throws Exception {
    start();
    long now = START.getEpochSecond();
    expectWorkerOk(workerToken(c -> c.put("exp", now + 900)));
    assertEquals(
        Reason.LIFETIME_TOO_LONG, expectInvalid(workerToken(c -> c.put("exp", now + 901))));
  }

  @Test
  void worker_lifetimeOverflowingLong_refused() throws Exception {
    start();
    // NumericDates outside [0, 10^11] are refused before any arithmetic.
    assertEquals(
        Reason.INVALID_CLAIMS,
        expectInvalid(
            workerToken(
                c -> {
                  c.put("exp", Long.MAX_VALUE);
                  c.put("iat", Long.MIN_VALUE);
                })));
    assertEquals(
        Reason.INVALID_CLAIMS, expectInvalid(workerToken(c -> c.put("exp", Long.MAX_VALUE))));
    // The widest lifetime still in range is measured exactly and refused.
    assertEquals(
        Reason.LIFETIME_TOO_LONG,
        expectInvalid(
            workerToken(
                c -> {
                  c.put("exp", 100_000_000_000L);
                  c.put("iat", 0L);
                })));
  }

  @Test
  void worker_configuredMaxTtl_applies() throws Exception {
    start(
        b -> b.maxTtl(Duration.ofSeconds(60)), UnaryOperator.identity(), UnaryOperator.identity());
    long now = START.getEpochSecond();
    expectWorkerOk(workerToken(c -> c.put("exp", now + 60)));
    assertEquals(Reason.LIFETIME_TOO_LONG, expectInvalid(workerToken(c -> c.put("exp", now + 61))));
  }

  @Test
  void worker_subNotIssuer_refused() throws Exception {
    start();
    assertEquals(Reason.SUBJECT_MISMATCH, expectInvalid(workerToken(c -> c.put("sub", "billing"))));
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(workerToken(c -> c.remove("sub"))));
  }

  @Test
  void worker_allowedSubjects_onlyThoseAccepted() throws Exception {
    start();
    Map<String, Object> c = claims("solo");
    c.put("sub", "solo-web");
    assertEquals("solo-web", expectWorkerOk(sign(S, header("ES256", "s1"), c)).subject());
    c.put("sub", "solo");
    assertEquals(Reason.SUBJECT_MISMATCH, expectInvalid(sign(S, header("ES256", "s1"), c)));
  }

  @Test
  void worker_replayProtectionOn_secondUseRefused() throws Exception {
    start(b -> b.replayProtection(true), UnaryOperator.identity(), UnaryOperator.identity());
    String t = workerToken();
    expectWorkerOk(t);
    assertEquals(Reason.REPLAYED, expectInvalid(t));
    expectWorkerOk(workerToken());
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(workerToken(c -> c.remove("jti"))));
  }

  @Test
  void worker_replayProtectionOff_reuseAccepted() throws Exception {
    start();
    String t = workerToken(c -> c.remove("jti"));
    expectWorkerOk(t);
    expectWorkerOk(t);
  }

  @Test
  void worker_replayPerIssuerOverride() throws Exception {
    start(b -> b.replayProtection(true), UnaryOperator.identity(), i -> i.replayProtection(false));
    String billing = token(B, "billing", c -> {});
    expectWorkerOk(billing);
    expectWorkerOk(billing);
    String worker = workerToken();
    expectWorkerOk(worker);
    assertEquals(Reason.REPLAYED, expectInvalid(worker));
  }

  @Test
  void worker_replayOnlyForOneIssuer_otherUnprotected() throws Exception {
    start(b -> b, i -> i.replayProtection(true), UnaryOperator.identity());
    String worker = workerToken();
    expectWorkerOk(worker);
    assertEquals(Reason.REPLAYED, expectInvalid(worker));
    String billing = token(B, "billing", c -> c.remove("jti"));
    expectWorkerOk(billing);
    expectWorkerOk(billing);
  }

  @Test
  void worker_replayCacheFull_refusesNewTokensUntilEntriesExpire() throws Exception {
    start(
        b -> b.replayProtection(true).replayCacheSize(2),
        UnaryOperator.identity(),
        UnaryOperator.identity());
    // Short-lived tokens, so the clock never jumps past the 5-minute key cache (that would race
    // the background key refresh and test the cache, not the replay cache).
    long exp = START.getEpochSecond() + 10;
    String first = workerToken(c -> c.put("exp", exp));
    expectWorkerOk(first);
    expectWorkerOk(workerToken(c -> c.put("exp", exp)));
    assertEquals(Reason.REPLAYED, expectInvalid(workerToken(c -> c.put("exp", exp))));
    assertEquals(Reason.REPLAYED, expectInvalid(first));
    // Entries live until exp + the largest possible skew (120 s), whatever skew is configured.
    clock.advance(Duration.ofSeconds(10 + 119));
    assertEquals(Reason.REPLAYED, expectInvalid(workerToken(c -> c.put("exp", exp + 200))));
    clock.advance(Duration.ofSeconds(2));
    expectWorkerOk(workerToken(c -> c.put("exp", exp + 200)));
  }

  @Test
  void worker_replayedAfterExpiry_refusedAsExpired() throws Exception {
    start(b -> b.replayProtection(true), UnaryOperator.identity(), UnaryOperator.identity());
    String t = workerToken(c -> c.put("exp", START.getEpochSecond() + 10));
    expectWorkerOk(t);
    clock.advance(Duration.ofSeconds(10 + 31));
    assertEquals(Reason.EXPIRED, expectInvalid(t));
  }

  @Test
  void worker_clusterBinding() throws Exception {
    start(b -> b, i -> i.clusterIds(List.of("eu-1", "eu-2")), UnaryOperator.identity());
    assertEquals(Reason.CLUSTER_MISMATCH, expectInvalid(workerToken()));
    assertEquals(
        Reason.CLUSTER_MISMATCH, expectInvalid(workerToken(c -> c.put("cluster_id", "us-1"))));
    assertEquals(
        Reason.CLUSTER_MISMATCH,
        expectInvalid(workerToken(c -> c.put("cluster_id", List.of("eu-1")))));
    AuthContext ctx = expectWorkerOk(workerToken(c -> c.put("cluster_id", "eu-2")));
    assertEquals("eu-2", ctx.claims().get("cluster_id"));
    // no binding configured for billing: any or no cluster_id
    expectWorkerOk(token(B, "billing", c -> c.put("cluster_id", "anything")));
  }

  @Test
  void workerFinisher_selfAssertedRoles_neverWiden() throws Exception {
    start();
    expectFinisherDenied(
        token(B, "billing", c -> c.put("roles", List.of("trip-finisher", "admin"))));
    expectFinisherDenied(workerToken(c -> c.put("roles", List.of("other"))));
    expectFinisherDenied(workerToken(c -> c.put("roles", List.of())));
    assertEquals(
        "WorkerFinisher",
        harness
            .stub(bearer(workerToken(c -> c.put("roles", List.of("trip-finisher", "admin")))))
            .workerFinisher(Req.getDefaultInstance())
            .getText());
    AuthContext ctx = harness.seen().get(harness.seen().size() - 1).context().orElseThrow();
    assertEquals(Set.of("trip-finisher"), ctx.roles());
    assertEquals(
        Reason.INVALID_CLAIMS, expectInvalid(workerToken(c -> c.put("roles", "trip-finisher"))));
  }

  @Test
  void worker_nullOrMistypedGrantClaims_refused() throws Exception {
    start();
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(workerToken(c -> c.put("roles", null))));
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(workerToken(c -> c.put("scope", null))));
    assertEquals(
        Reason.INVALID_CLAIMS,
        expectInvalid(workerToken(c -> c.put("scope", List.of("trips:read")))));
    assertEquals(
        Reason.INVALID_CLAIMS, expectInvalid(workerToken(c -> c.put("roles", List.of("a", 1)))));
  }

  @Test
  void worker_selfAssertedScope_narrowsNeverWidens() throws Exception {
    start();
    AuthContext ctx = expectWorkerOk(workerToken(c -> c.put("scope", "trips:read admin:all")));
    assertEquals(Set.of("trips:read"), ctx.scopes());
    AuthContext repeated =
        expectWorkerOk(workerToken(c -> c.put("scope", "trips:read  trips:read   trips:write")));
    assertEquals(Set.of("trips:read", "trips:write"), repeated.scopes());
    AuthContext billing = expectWorkerOk(token(B, "billing", c -> c.put("scope", "trips:write")));
    assertEquals(Set.of(), billing.scopes());
  }

  // ---- framing and keys ----

  @Test
  void worker_twoAuthorizationValues_refused() throws Exception {
    start();
    String t = workerToken();
    assertEquals(
        Reason.DUPLICATE_CREDENTIALS,
        expectInvalid(ProbeHarness.headers("authorization", "Bearer " + t, "Bearer " + t)));
  }

  @Test
  void worker_basicOrEmptyBearer_refused() throws Exception {
    start();
    assertEquals(
        Reason.MALFORMED_CREDENTIALS,
        expectInvalid(ProbeHarness.headers("authorization", "Basic d29ya2VyOng=")));
    assertEquals(
        Reason.MALFORMED_CREDENTIALS,
        expectInvalid(ProbeHarness.headers("authorization", "Bearer ")));
  }

  @Test
  void worker_customHeader_serviceTokenThereUserJwtInAuthorization() throws Exception {
    start(b -> b.header("x-service-token"), UnaryOperator.identity(), UnaryOperator.identity());
    Metadata md = ProbeHarness.headers("x-service-token", "Bearer " + workerToken());
    assertEquals("Worker", harness.stub(md).worker(Req.getDefaultInstance()).getText());
    // a service token in the user header on an internal method is the wrong kind
    assertEquals(Reason.WRONG_CREDENTIAL_KIND, expectInvalid(bearer(workerToken())));
  }

  @Test
  void worker_keyRotation_unknownKidRefreshedOnce() throws Exception {
    start();
    expectWorkerOk(workerToken());
    int before = jwksA.requests();
    ECKey next = TestTokens.ecKey("a2");
    jwksA.publish(new JWKSet(List.of(A, A_SHARED, next)));
    expectWorkerOk(token(next, "worker", c -> {}));
    assertEquals(before + 1, jwksA.requests());
  }

  @Test
  void worker_jwksDownNoCache_unavailable() throws Exception {
    jwksB.down(true);
    start();
    int before = harness.handlerRuns();
    StatusRuntimeException e =
        expectFailure(
            () ->
                harness
                    .stub(bearer(token(B, "billing", c -> {})))
                    .worker(Req.getDefaultInstance()));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
    assertEquals(AuthStatus.UNAVAILABLE_TEXT, e.getStatus().getDescription());
    assertEquals(before, harness.handlerRuns());
    // the other issuer is unaffected
    expectWorkerOk(workerToken());
  }

  @Test
  void build_invalidConfigurations_throw() {
    ServiceTokenIssuer ok =
        ServiceTokenIssuer.newBuilder("w").keys(JwksSource.of(new JWKSet(A))).build();
    assertThrows(
        IllegalArgumentException.class,
        () -> SignedTokenTrustSource.newBuilder().addIssuer(ok).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> SignedTokenTrustSource.newBuilder().serviceName(SERVICE).build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            SignedTokenTrustSource.newBuilder()
                .serviceName(SERVICE)
                .addIssuer(ok)
                .maxTtl(Duration.ofSeconds(3601))
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            SignedTokenTrustSource.newBuilder()
                .serviceName(SERVICE)
                .addIssuer(ok)
                .clockSkew(Duration.ofSeconds(121))
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () -> ServiceTokenIssuer.newBuilder("w").jwksUri("http://worker.internal/jwks.json"));
    assertThrows(IllegalArgumentException.class, () -> ServiceTokenIssuer.newBuilder("w").build());
  }

  @Test
  void issuers_listsConfiguredIssuers() throws Exception {
    start();
    SignedTokenTrustSource s =
        SignedTokenTrustSource.newBuilder()
            .serviceName(SERVICE)
            .addIssuer(worker().build())
            .addIssuer(solo().build())
            .build();
    try (s) {
      assertEquals(Set.of("worker", "solo"), s.issuers());
    }
  }
}
