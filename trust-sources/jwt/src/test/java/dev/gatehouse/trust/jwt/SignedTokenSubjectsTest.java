package dev.gatehouse.trust.jwt;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A signed-token issuer that lists its subjects (a central issuer signing for several workloads):
 * {@code sub} must be listed, each subject gets its own grant and cluster binding, the token only
 * narrows the grant, and ambiguous entries are refused at build time.
 */
class SignedTokenSubjectsTest {
  static final String SERVICE = "trips";
  static final String ISSUER = "https://issuer.internal";
  static final Instant START = Instant.parse("2026-06-01T08:00:00Z");
  static final ECKey KEY = TestTokens.ecKey("i1");

  private final List<AuditEvent> audit = new CopyOnWriteArrayList<>();
  private final MutableClock clock = new MutableClock(START);
  private ProbeHarness harness;
  private Gatehouse gatehouse;

  @BeforeEach
  void setUp() throws Exception {
    ServiceTokenIssuer central =
        ServiceTokenIssuer.newBuilder(ISSUER)
            .keys(JwksSource.of(new JWKSet(KEY.toPublicJWK())))
            .scopes(List.of("trips:read", "trips:write")) // issuer-level: every subject
            .addSubject(
                ServiceSubject.newBuilder("worker")
                    .roles(List.of("trip-finisher", "auditor"))
                    .clusterIds(List.of("cluster-a"))
                    .build())
            .addSubject(
                ServiceSubject.newBuilder("reporter").clusterIds(List.of("cluster-b")).build())
            .allowedSubjects(List.of("batch")) // issuer-level fields only: no roles, no binding
            .build();
    SignedTokenTrustSource tokens =
        SignedTokenTrustSource.newBuilder()
            .serviceName(SERVICE)
            .clock(clock)
            .addIssuer(central)
            .build();
    UserJwtAuthenticator users =
        UserJwtAuthenticator.newBuilder()
            .addIssuer(
                "https://idp.test",
                JwksSource.of(new JWKSet(TestTokens.ecKey("u1").toPublicJWK())),
                List.of("trips-api"))
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

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
    gatehouse.close();
  }

  private String token(String sub, Consumer<Map<String, Object>> edit) {
    Map<String, Object> c = TestTokens.claims(ISSUER, sub, SERVICE, clock.instant(), 300);
    edit.accept(c);
    return sign(KEY, header("ES256", "i1"), c);
  }

  private static Metadata bearer(String token) {
    return ProbeHarness.headers("authorization", "Bearer " + token);
  }

  private AuthContext finisherOk(String token) {
    int before = harness.handlerRuns();
    assertEquals(
        "WorkerFinisher",
        harness.stub(bearer(token)).workerFinisher(Req.getDefaultInstance()).getText());
    assertEquals(before + 1, harness.handlerRuns(), "handler must run once");
    return harness.seen().get(harness.seen().size() - 1).context().orElseThrow();
  }

  private AuthContext workerOk(String token) {
    int before = harness.handlerRuns();
    assertEquals("Worker", harness.stub(bearer(token)).worker(Req.getDefaultInstance()).getText());
    assertEquals(before + 1, harness.handlerRuns(), "handler must run once");
    return harness.seen().get(harness.seen().size() - 1).context().orElseThrow();
  }

  private Reason invalid(String token) {
    int before = harness.handlerRuns();
    int audited = audit.size();
    StatusRuntimeException e =
        expectFailure(() -> harness.stub(bearer(token)).worker(Req.getDefaultInstance()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
    assertEquals(before, harness.handlerRuns(), "handler must not run");
    assertEquals(audited + 1, audit.size(), "the refusal is audited");
    return audit.get(audit.size() - 1).reason();
  }

  private void finisherDenied(String token) {
    int before = harness.handlerRuns();
    StatusRuntimeException e =
        expectFailure(() -> harness.stub(bearer(token)).workerFinisher(Req.getDefaultInstance()));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals(AuthStatus.DENIED_TEXT, e.getStatus().getDescription());
    assertEquals(before, harness.handlerRuns(), "handler must not run");
  }

  @Test
  void listedSubject_inItsCluster_acceptedWithItsOwnGrant() {
    AuthContext ctx = finisherOk(token("worker", c -> c.put("cluster_id", "cluster-a")));
    assertEquals("worker", ctx.subject());
    assertEquals(ISSUER, ctx.issuer().orElseThrow());
    assertEquals(Set.of("trip-finisher", "auditor"), ctx.roles());
    assertEquals(Set.of("trips:read", "trips:write"), ctx.scopes(), "issuer-level scopes");
    assertEquals("cluster-a", ctx.claims().get("cluster_id"));
  }

  @Test
  void unlistedSubject_refusedAsSubjectMismatch() {
    assertEquals(
        Reason.SUBJECT_MISMATCH, invalid(token("intruder", c -> c.put("cluster_id", "cluster-a"))));
    // The issuer's own name is not implicitly a subject once subjects are listed.
    assertEquals(
        Reason.SUBJECT_MISMATCH, invalid(token(ISSUER, c -> c.put("cluster_id", "cluster-a"))));
  }

  @Test
  void listedSubject_clusterNotRegisteredForIt_refused() {
    // cluster-b is registered, but for reporter, not for worker.
    assertEquals(
        Reason.CLUSTER_MISMATCH, invalid(token("worker", c -> c.put("cluster_id", "cluster-b"))));
    assertEquals(Reason.CLUSTER_MISMATCH, invalid(token("worker", c -> {})));
    assertEquals(
        Reason.CLUSTER_MISMATCH, invalid(token("reporter", c -> c.put("cluster_id", "cluster-a"))));
    workerOk(token("reporter", c -> c.put("cluster_id", "cluster-b")));
  }

  @Test
  void perSubjectGrants_appliedAndOnlyNarrowedByTheToken() {
    // reporter has no roles of its own and the issuer none: no trip-finisher.
    finisherDenied(token("reporter", c -> c.put("cluster_id", "cluster-b")));
    // reporter claiming the worker's role does not get it.
    finisherDenied(
        token(
            "reporter",
            c -> {
              c.put("cluster_id", "cluster-b");
              c.put("roles", List.of("trip-finisher"));
            }));
    // worker narrows its own grant with its token's roles and scope claims.
    AuthContext narrowed =
        workerOk(
            token(
                "worker",
                c -> {
                  c.put("cluster_id", "cluster-a");
                  c.put("roles", List.of("auditor", "admin"));
                  c.put("scope", "trips:read admin:all");
                }));
    assertEquals(Set.of("auditor"), narrowed.roles());
    assertEquals(Set.of("trips:read"), narrowed.scopes());
    finisherDenied(
        token(
            "worker",
            c -> {
              c.put("cluster_id", "cluster-a");
              c.put("roles", List.of("auditor"));
            }));
  }

  @Test
  void allowedSubjectWithoutEntry_takesIssuerLevelFields() {
    AuthContext ctx = workerOk(token("batch", c -> c.put("cluster_id", "anywhere")));
    assertEquals(Set.of(), ctx.roles());
    assertEquals(Set.of("trips:read", "trips:write"), ctx.scopes());
  }

  @Test
  void build_fieldOnIssuerAndSubject_refusedAsAmbiguous() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ServiceTokenIssuer.newBuilder(ISSUER)
                    .keys(JwksSource.of(new JWKSet(KEY.toPublicJWK())))
                    .clusterIds(List.of("cluster-a"))
                    .addSubject(
                        ServiceSubject.newBuilder("worker")
                            .clusterIds(List.of("cluster-b"))
                            .build())
                    .build());
    assertTrue(
        e.getMessage().contains("cluster_ids set both on the issuer and on subject worker"),
        e.getMessage());
  }

  @Test
  void build_subjectListedTwice_refused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ServiceTokenIssuer.newBuilder(ISSUER)
                    .keys(JwksSource.of(new JWKSet(KEY.toPublicJWK())))
                    .allowedSubjects(List.of("worker"))
                    .addSubject(ServiceSubject.newBuilder("worker").build())
                    .build());
    assertTrue(e.getMessage().contains("subject worker listed twice"), e.getMessage());
  }
}
