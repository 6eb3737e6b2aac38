package dev.gatehouse.trust.spiffe;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
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
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
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
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The JWT-SVID trust source end to end on the internal Probe methods. */
class SpiffeJwtEndToEndTest {
  static final String AUDIENCE = "spiffe://a.test/trips";
  static final String WORKER = "spiffe://a.test/ns/trips/sa/worker";
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
  private JwksServer bundleA;
  private JwksServer bundleB;
  private ProbeHarness harness;
  private Gatehouse gatehouse;

  @BeforeEach
  void setUp() throws Exception {
    clock = new MutableClock(START);
    bundleA = JwksServer.start(new JWKSet(List.of(A, A_SHARED)));
    // As SPIRE publishes it: use "jwt-svid", no alg.
    bundleA.publishRaw(spiffeBundle(A, A_SHARED));
    bundleB = JwksServer.start(new JWKSet(List.of(B, B_SHARED)));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (harness != null) {
      harness.close();
    }
    if (gatehouse != null) {
      gatehouse.close();
    }
    bundleA.close();
    bundleB.close();
  }

  /** A JWT bundle whose keys carry {@code use: jwt-svid} and no {@code alg}. */
  static String spiffeBundle(JWK... keys) {
    List<Object> out = new ArrayList<>();
    for (JWK k : keys) {
      Map<String, Object> json = new LinkedHashMap<>(k.toPublicJWK().toJSONObject());
      json.remove("alg");
      json.put("use", "jwt-svid");
      out.add(json);
    }
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("keys", out);
    root.put("spiffe_sequence", 1);
    return JSONObjectUtils.toJSONString(root);
  }

  private void start() throws Exception {
    start(UnaryOperator.identity());
  }

  private void start(UnaryOperator<SpiffeJwtTrustSource.Builder> edit) throws Exception {
    SpiffeJwtTrustSource svids =
        edit.apply(
                SpiffeJwtTrustSource.newBuilder()
                    .serviceAudience(AUDIENCE)
                    .clock(clock)
                    .addBundle("a.test", JwksSource.uri(bundleA.url()))
                    .addBundle("b.test", JwksSource.uri(bundleB.url()))
                    .addBundle("solo.test", JwksSource.of(new JWKSet(S)))
                    .allow(WORKER, Set.of("trip-finisher"), Set.of("trips:write"))
                    .allow("spiffe://b.test/finisher", Set.of("trip-finisher"), Set.of())
                    .allowTrustDomain("b.test", Set.of(), Set.of("b:read"))
                    .allowTrustDomain("solo.test", Set.of(), Set.of()))
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
                      .addTrustSource(svids)
                      .auditListener(audit::add)
                      .build();
              return gatehouse;
            });
  }

  private Map<String, Object> claims(String sub) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("sub", sub);
    c.put("aud", AUDIENCE);
    c.put("exp", clock.instant().getEpochSecond() + 300);
    c.put("iat", clock.instant().getEpochSecond());
    return c;
  }

  private String svid(ECKey key, String kid, String sub, Consumer<Map<String, Object>> edit) {
    Map<String, Object> c = claims(sub);
    edit.accept(c);
    return sign(key, header("ES256", kid), c);
  }

  private String svid(ECKey key, String sub) {
    return svid(key, key.getKeyID(), sub, c -> {});
  }

  private String worker(Consumer<Map<String, Object>> edit) {
    return svid(A, "a1", WORKER, edit);
  }

  private String withHeader(Map<String, Object> h, JWK key, String sub) {
    return sign(key, h, claims(sub));
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

  private Reason expectStatus(Metadata md, Status.Code code, String text) {
    int before = harness.handlerRuns();
    StatusRuntimeException e =
        expectFailure(() -> harness.stub(md).worker(Req.getDefaultInstance()));
    assertEquals(code, e.getStatus().getCode());
    assertEquals(text, e.getStatus().getDescription());
    assertEquals(before, harness.handlerRuns(), "handler must not run");
    return audit.get(audit.size() - 1).reason();
  }

  private Reason expectInvalid(String token) {
    return expectStatus(bearer(token), Status.Code.UNAUTHENTICATED, AuthStatus.INVALID_TEXT);
  }

  // ---- accepted ----

  @Test
  void worker_validSvid_servicePrincipalWithAllowEntryGrant() throws Exception {
    start();
    AuthContext ctx = expectWorkerOk(worker(c -> {}));
    assertEquals(WORKER, ctx.subject());
    assertEquals(PrincipalKind.SERVICE, ctx.kind());
    assertEquals(SpiffeJwtTrustSource.NAME, ctx.trustSource());
    assertEquals("a.test", ctx.issuer().orElseThrow());
    assertEquals(Set.of("trip-finisher"), ctx.roles());
    assertEquals(Set.of("trips:write"), ctx.scopes());
    assertEquals(
        "WorkerFinisher",
        harness.stub(bearer(worker(c -> {}))).workerFinisher(Req.getDefaultInstance()).getText());
  }

  @Test
  void worker_selfAssertedRolesClaim_grantUnchanged() throws Exception {
    start();
    AuthContext ctx =
        expectWorkerOk(
            svid(
                B,
                "b1",
                "spiffe://b.test/anyone",
                c -> {
                  c.put("roles", List.of("trip-finisher", "admin"));
                  c.put("scope", "trips:write");
                }));
    assertEquals(Set.of(), ctx.roles());
    assertEquals(Set.of("b:read"), ctx.scopes());
  }

  @Test
  void workerFinisher_trustDomainMemberWithoutRole_permissionDenied() throws Exception {
    start();
    String token = svid(B, "spiffe://b.test/ns/billing/sa/api");
    assertEquals("spiffe://b.test/ns/billing/sa/api", expectWorkerOk(token).subject());
    int before = harness.handlerRuns();
    StatusRuntimeException e =
        expectFailure(() -> harness.stub(bearer(token)).workerFinisher(Req.getDefaultInstance()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals(AuthStatus.DENIED_TEXT, e.getStatus().getDescription());
    assertEquals(before, harness.handlerRuns(), "handler must not run");
  }

  @Test
  void workerFinisher_exactEntryInAllowedTrustDomain_exactGrantWins() throws Exception {
    start();
    String token = svid(B, "spiffe://b.test/finisher");
    assertEquals(
        "WorkerFinisher",
        harness.stub(bearer(token)).workerFinisher(Req.getDefaultInstance()).getText());
  }

  @Test
  void worker_typJoseOrJwt_accepted() throws Exception {
    start();
    for (String typ : List.of("JWT", "JOSE")) {
      Map<String, Object> h = header("ES256", "a1");
      h.put("typ", typ);
      assertEquals(WORKER, expectWorkerOk(withHeader(h, A, WORKER)).subject());
    }
  }

  @Test
  void worker_audArrayContainingUs_accepted() throws Exception {
    start();
    expectWorkerOk(worker(c -> c.put("aud", List.of("other", AUDIENCE))));
  }

  @Test
  void worker_noIat_accepted() throws Exception {
    start();
    expectWorkerOk(worker(c -> c.remove("iat")));
  }

  @Test
  void worker_expiredWithinSkew_acceptedThenRefusedPastSkew() throws Exception {
    start();
    // Expiry is placed in the past rather than moving the clock past the 5-minute key cache,
    // which would race the startup key fetch (and test the cache, not the skew).
    long now = START.getEpochSecond();
    expectWorkerOk(worker(c -> c.putAll(Map.of("iat", now - 300, "exp", now - 29))));
    assertEquals(
        Reason.EXPIRED,
        expectInvalid(worker(c -> c.putAll(Map.of("iat", now - 300, "exp", now - 30)))));
  }

  @Test
  void worker_noKidAndTrustDomainHasOneKey_accepted() throws Exception {
    start();
    expectWorkerOk(svid(S, null, "spiffe://solo.test/job", c -> {}));
  }

  @Test
  void worker_sameKidInBothBundles_onlySubsBundleVerifies() throws Exception {
    start();
    expectWorkerOk(svid(A_SHARED, "shared", WORKER, c -> {}));
    assertEquals(Reason.BAD_SIGNATURE, expectInvalid(svid(B_SHARED, "shared", WORKER, c -> {})));
  }

  // ---- bundle binding (class E) ----

  @Test
  void worker_subInASignedWithBsKeyAndBsKid_refused() throws Exception {
    start();
    assertEquals(Reason.UNKNOWN_KEY, expectInvalid(svid(B, "b1", WORKER, c -> {})));
  }

  @Test
  void worker_subInAWithAsKidButBsKey_refused() throws Exception {
    start();
    assertEquals(Reason.BAD_SIGNATURE, expectInvalid(svid(B, "a1", WORKER, c -> {})));
  }

  @Test
  void worker_issClaimsBButSubInA_issIgnoredAndBsKeyRefused() throws Exception {
    start();
    assertEquals(
        Reason.UNKNOWN_KEY, expectInvalid(svid(B, "b1", WORKER, c -> c.put("iss", "b.test"))));
  }

  @Test
  void worker_unknownTrustDomain_refused() throws Exception {
    start();
    assertEquals(Reason.UNKNOWN_ISSUER, expectInvalid(svid(A, "a1", "spiffe://c.test/w", c -> {})));
  }

  // ---- sub (class F) ----

  @Test
  void worker_subNotASpiffeId_refused() throws Exception {
    start();
    for (String sub :
        List.of(
            "worker",
            "https://a.test/ns/trips/sa/worker",
            "spiffe://A.TEST/ns/trips/sa/worker",
            "SPIFFE://a.test/ns/trips/sa/worker",
            "spiffe://a.test/ns/../sa/worker",
            "spiffe://a.test/ns/trips/sa/worker/",
            "spiffe://a.test:443/w",
            "spiffe://a.test/%41",
            "")) {
      assertEquals(Reason.INVALID_CLAIMS, expectInvalid(worker(c -> c.put("sub", sub))), sub);
    }
  }

  @Test
  void worker_subMissingOrNotString_refused() throws Exception {
    start();
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(worker(c -> c.remove("sub"))));
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(worker(c -> c.put("sub", List.of(WORKER)))));
  }

  @Test
  void worker_identityNotOnAllowList_refused() throws Exception {
    start();
    assertEquals(
        Reason.IDENTITY_NOT_ALLOWED,
        expectInvalid(svid(A, "a1", "spiffe://a.test/ns/trips/sa/other", c -> {})));
  }

  // ---- aud / exp / nbf / iat (class F) ----

  @Test
  void worker_audMissing_refused() throws Exception {
    start();
    assertEquals(Reason.AUDIENCE_MISMATCH, expectInvalid(worker(c -> c.remove("aud"))));
  }

  @Test
  void worker_audOther_refused() throws Exception {
    start();
    assertEquals(Reason.AUDIENCE_MISMATCH, expectInvalid(worker(c -> c.put("aud", "billing"))));
    assertEquals(
        Reason.AUDIENCE_MISMATCH,
        expectInvalid(worker(c -> c.put("aud", List.of("billing", "spiffe://a.test")))));
    assertEquals(Reason.AUDIENCE_MISMATCH, expectInvalid(worker(c -> c.put("aud", List.of()))));
  }

  @Test
  void worker_expMissing_refused() throws Exception {
    start();
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(worker(c -> c.remove("exp"))));
  }

  @Test
  void worker_expPastOrNotInteger_refused() throws Exception {
    start();
    long now = clock.instant().getEpochSecond();
    assertEquals(Reason.EXPIRED, expectInvalid(worker(c -> c.put("exp", now - 31))));
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(worker(c -> c.put("exp", now + 0.5))));
    assertEquals(
        Reason.INVALID_CLAIMS, expectInvalid(worker(c -> c.put("exp", String.valueOf(now + 60)))));
  }

  @Test
  void worker_nbfOrIatInFuture_refused() throws Exception {
    start();
    long now = clock.instant().getEpochSecond();
    assertEquals(Reason.NOT_YET_VALID, expectInvalid(worker(c -> c.put("nbf", now + 31))));
    assertEquals(Reason.NOT_YET_VALID, expectInvalid(worker(c -> c.put("iat", now + 31))));
  }

  // ---- header and algorithm policy (class D) ----

  @Test
  void worker_otherTyp_refused() throws Exception {
    start();
    for (String typ : List.of("at+jwt", "JWS", "")) {
      Map<String, Object> h = header("ES256", "a1");
      h.put("typ", typ);
      assertEquals(Reason.DISALLOWED_HEADER, expectInvalid(withHeader(h, A, WORKER)), typ);
    }
  }

  @Test
  void worker_typOnlyCaseOrPrefixVariantOfJwtOrJose_refused() throws Exception {
    // JWT-SVID: typ is exactly absent, JWT or JOSE; no case folding, no media-type prefix.
    start();
    for (String typ : List.of("jwt", "jose", "application/jwt", "application/JOSE", "Jwt")) {
      Map<String, Object> h = header("ES256", "a1");
      h.put("typ", typ);
      assertEquals(Reason.DISALLOWED_HEADER, expectInvalid(withHeader(h, A, WORKER)), typ);
    }
  }

  @Test
  void worker_headerOutsideAllowList_refused() throws Exception {
    start();
    for (String name : List.of("jku", "x5u", "x5t", "crit", "cty")) {
      Map<String, Object> h = header("ES256", "a1");
      h.put(name, name.equals("crit") ? List.of("exp") : "x");
      assertEquals(Reason.DISALLOWED_HEADER, expectInvalid(withHeader(h, A, WORKER)), name);
    }
    Map<String, Object> jwk = header("ES256", null);
    jwk.put("jwk", B.toPublicJWK().toJSONObject());
    assertEquals(Reason.DISALLOWED_HEADER, expectInvalid(withHeader(jwk, B, WORKER)));
  }

  @Test
  void worker_symmetricOrNoneAlgorithm_refused() throws Exception {
    start();
    String hs =
        TestTokens.hmac(
            A.toPublicJWK().toJSONString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
            header("HS256", "a1"),
            claims(WORKER));
    assertEquals(Reason.ALGORITHM_NOT_ALLOWED, expectInvalid(hs));
    String none =
        TestTokens.encode(header("none", "a1")) + "." + TestTokens.encode(claims(WORKER)) + ".";
    assertTrue(
        Set.of(Reason.ALGORITHM_NOT_ALLOWED, Reason.MALFORMED_CREDENTIALS)
            .contains(expectInvalid(none)));
  }

  @Test
  void worker_algNotPinnedToKey_refused() throws Exception {
    start();
    // The EC key of kid a1 is pinned to ES256 by its curve; an RS256 token under it is refused.
    assertEquals(
        Reason.ALGORITHM_NOT_ALLOWED,
        expectInvalid(withHeader(header("RS256", "a1"), TestTokens.rsaKey("r"), WORKER)));
  }

  @Test
  void worker_noKidAndTrustDomainHasTwoKeys_refused() throws Exception {
    start();
    assertEquals(Reason.UNKNOWN_KEY, expectInvalid(svid(A, null, WORKER, c -> {})));
  }

  // ---- framing, wrong kind, availability ----

  @Test
  void worker_noCredential_missing() throws Exception {
    start();
    assertEquals(
        Reason.MISSING_CREDENTIALS,
        expectStatus(new Metadata(), Status.Code.UNAUTHENTICATED, AuthStatus.MISSING_TEXT));
  }

  @Test
  void worker_basicSchemeOrTwoValues_refused() throws Exception {
    start();
    assertEquals(
        Reason.MALFORMED_CREDENTIALS,
        expectStatus(
            ProbeHarness.headers("authorization", "Basic d29ya2VyOnB3"),
            Status.Code.UNAUTHENTICATED,
            AuthStatus.INVALID_TEXT));
    String ok = worker(c -> {});
    expectStatus(
        ProbeHarness.headers("authorization", "Bearer " + ok, "Bearer " + ok),
        Status.Code.UNAUTHENTICATED,
        AuthStatus.INVALID_TEXT);
  }

  @Test
  void worker_endUserJwt_refused() throws Exception {
    start();
    Map<String, Object> c = TestTokens.claims(USER_ISS, "alice", "trips-api", clock.instant(), 300);
    assertEquals(Reason.INVALID_CLAIMS, expectInvalid(sign(U, header("ES256", "u1"), c)));
  }

  @Test
  void worker_customHeader_readsOnlyThatHeader() throws Exception {
    start(b -> b.header("x-spiffe-jwt"));
    String token = worker(c -> {});
    // authorization now only carries end-user JWTs: on an internal method it is the wrong kind.
    assertEquals(Reason.WRONG_CREDENTIAL_KIND, expectInvalid(token));
    int before = harness.handlerRuns();
    harness
        .stub(ProbeHarness.headers("x-spiffe-jwt", "Bearer " + token))
        .worker(Req.getDefaultInstance());
    assertEquals(before + 1, harness.handlerRuns());
  }

  @Test
  void worker_bundleEndpointDownFromStart_unavailable() throws Exception {
    bundleB.down(true);
    start(b -> b.fetchTimeout(Duration.ofMillis(300)));
    assertEquals(
        Reason.KEYS_UNAVAILABLE,
        expectStatus(
            bearer(svid(B, "spiffe://b.test/x")),
            Status.Code.UNAVAILABLE,
            AuthStatus.UNAVAILABLE_TEXT));
    // Trust domain A is unaffected.
    expectWorkerOk(worker(c -> {}));
  }

  @Test
  void worker_refusals_neverLeakClaimsOrTokenInAudit() throws Exception {
    start();
    String token = worker(c -> c.put("aud", "secret-audience-value"));
    expectInvalid(token);
    AuditEvent last = audit.get(audit.size() - 1);
    assertFalse(last.detail().contains("secret-audience-value"), last.detail());
    assertFalse(last.detail().contains(token.substring(0, 20)), last.detail());
  }
}
