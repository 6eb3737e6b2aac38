package dev.gatehouse.onbehalf;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.client.DelegatedUser;
import dev.gatehouse.client.JwksPublisher;
import dev.gatehouse.client.ServiceTokenCallCredentials;
import dev.gatehouse.client.SigningKeySource;
import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.spi.DelegatingUser;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.test.v1.OnBehalfFrontGrpc;
import dev.gatehouse.test.v1.OnBehalfTargetGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.ServiceTokenIssuer;
import dev.gatehouse.trust.jwt.SignedTokenTrustSource;
import dev.gatehouse.trust.jwt.UserDelegation;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * On-behalf-of through two real Gatehouse servers (in-process): an end user calls the front service
 * (A), whose handler calls the target service (B) with client credentials that carry the user from
 * A's {@link AuthContext} ({@link AuthContextUsers}). B trusts A's key under several issuer names
 * with different delegation settings; A's credentials pick the name per test.
 */
class OnBehalfOfEndToEndTest {
  private static final String IDP = "https://idp.test";

  private final ECKey idpKey = TestTokens.ecKey("idp-1");
  private final SigningKeySource frontKey = SigningKeySource.of(ecPair());
  private final SigningKeySource edgeKey = SigningKeySource.of(ecPair());

  /** A's outgoing credentials, chosen per test. */
  private final AtomicReference<ServiceTokenCallCredentials> frontCreds = new AtomicReference<>();

  /** What B's handlers saw: the caller of each call that reached a handler. */
  private final List<AuthContext> targetSeen = new CopyOnWriteArrayList<>();

  private final List<AuditEvent> targetAudit = new CopyOnWriteArrayList<>();

  private Gatehouse target;
  private Gatehouse front;
  private Server targetServer;
  private Server frontServer;
  private ManagedChannel toTarget;
  private ManagedChannel toFront;

  private static KeyPair ecPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static JwksSource jwksOf(SigningKeySource key) {
    return JwksSource.json(new String(JwksPublisher.create(key).jwksBytes(), UTF_8));
  }

  private ServiceTokenIssuer.Builder frontAs(String issuer) {
    return ServiceTokenIssuer.newBuilder(issuer).keys(jwksOf(frontKey));
  }

  @BeforeEach
  void start() throws Exception {
    target =
        Gatehouse.newBuilder()
            .addService(targetService())
            .addTrustSource(
                SignedTokenTrustSource.newBuilder()
                    .serviceName("trips")
                    // may propagate direct users; holds the role ServiceOnly/ForRider need
                    .addIssuer(
                        frontAs("frontend")
                            .roles(List.of("trip-reader"))
                            .propagatesUsers(UserDelegation.directUsers())
                            .build())
                    // may propagate users up to two hops deep
                    .addIssuer(
                        frontAs("frontend-deep")
                            .roles(List.of("trip-reader"))
                            .propagatesUsers(UserDelegation.of(2, List.of()))
                            .build())
                    // trusted as a service, not allowed to propagate users
                    .addIssuer(frontAs("rogue").roles(List.of("trip-reader")).build())
                    // may propagate users, but has no role of its own
                    .addIssuer(
                        frontAs("no-grant").propagatesUsers(UserDelegation.directUsers()).build())
                    // may propagate only users of another identity provider
                    .addIssuer(
                        frontAs("other-idp-only")
                            .roles(List.of("trip-reader"))
                            .propagatesUsers(UserDelegation.of(1, List.of("https://other.test")))
                            .build())
                    .build())
            .auditListener(targetAudit::add)
            .build();
    String targetName = InProcessServerBuilder.generateName();
    targetServer = target.addTo(InProcessServerBuilder.forName(targetName)).build().start();
    toTarget = InProcessChannelBuilder.forName(targetName).build();

    front =
        Gatehouse.newBuilder()
            .addService(frontService())
            .userAuthenticator(
                UserJwtAuthenticator.newBuilder()
                    .addIssuer(
                        IDP, JwksSource.of(new JWKSet(idpKey.toPublicJWK())), List.of("frontend"))
                    .build())
            .addTrustSource(
                SignedTokenTrustSource.newBuilder()
                    .serviceName("frontend")
                    .addIssuer(
                        ServiceTokenIssuer.newBuilder("edge")
                            .keys(jwksOf(edgeKey))
                            .propagatesUsers(UserDelegation.directUsers())
                            .build())
                    .build())
            .build();
    String frontName = InProcessServerBuilder.generateName();
    frontServer = front.addTo(InProcessServerBuilder.forName(frontName)).build().start();
    toFront = InProcessChannelBuilder.forName(frontName).build();
    frontCreds.set(credsAs("frontend"));
  }

  @AfterEach
  void stop() throws Exception {
    toFront.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    toTarget.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    frontServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    targetServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    front.close();
    target.close();
  }

  /** A's credentials toward B under {@code identity}, passing on the user of A's current call. */
  private ServiceTokenCallCredentials credsAs(String identity) {
    return ServiceTokenCallCredentials.newBuilder()
        .identity(identity)
        .keySource(frontKey)
        .audience("trips")
        .onBehalfOf(AuthContextUsers.fromAuthContext())
        .build();
  }

  private OnBehalfTargetGrpc.OnBehalfTargetImplBase targetService() {
    return new OnBehalfTargetGrpc.OnBehalfTargetImplBase() {
      @Override
      public void who(Req r, StreamObserver<Resp> o) {
        reply(o);
      }

      @Override
      public void serviceOnly(Req r, StreamObserver<Resp> o) {
        reply(o);
      }

      @Override
      public void forAnyUser(Req r, StreamObserver<Resp> o) {
        reply(o);
      }

      @Override
      public void forRider(Req r, StreamObserver<Resp> o) {
        reply(o);
      }

      private void reply(StreamObserver<Resp> o) {
        AuthContext ctx = AuthContext.require();
        targetSeen.add(ctx);
        o.onNext(
            Resp.newBuilder()
                .setText(
                    ctx.subject()
                        + " for "
                        + ctx.delegatingUser().map(DelegatingUser::subject).orElse("nobody"))
                .build());
        o.onCompleted();
      }
    };
  }

  private OnBehalfFrontGrpc.OnBehalfFrontImplBase frontService() {
    return new OnBehalfFrontGrpc.OnBehalfFrontImplBase() {
      @Override
      public void call(Req r, StreamObserver<Resp> o) {
        forward(r, o);
      }

      @Override
      public void relay(Req r, StreamObserver<Resp> o) {
        forward(r, o);
      }

      /** Calls B's method named in the request, inside this call's context; relays B's status. */
      private void forward(Req r, StreamObserver<Resp> o) {
        try {
          o.onNext(callTarget(targetStub(frontCreds.get()), r.getText()));
          o.onCompleted();
        } catch (StatusRuntimeException e) {
          o.onError(e.getStatus().asRuntimeException());
        }
      }
    };
  }

  private OnBehalfTargetGrpc.OnBehalfTargetBlockingStub targetStub(ServiceTokenCallCredentials c) {
    return OnBehalfTargetGrpc.newBlockingStub(toTarget)
        .withCallCredentials(c)
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static Resp callTarget(OnBehalfTargetGrpc.OnBehalfTargetBlockingStub b, String method) {
    Req req = Req.getDefaultInstance();
    return switch (method) {
      case "Who" -> b.who(req);
      case "ServiceOnly" -> b.serviceOnly(req);
      case "ForAnyUser" -> b.forAnyUser(req);
      case "ForRider" -> b.forRider(req);
      default -> throw new IllegalArgumentException(method);
    };
  }

  private String userToken(String subject, List<String> roles) {
    Map<String, Object> claims = TestTokens.claims(IDP, subject, "frontend", Instant.now(), 300);
    claims.put("roles", roles);
    return TestTokens.sign(idpKey, TestTokens.header("ES256", "idp-1"), claims);
  }

  /** The end user {@code subject} calls A, which calls B's {@code method}. */
  private String asUser(String subject, List<String> roles, String method) {
    Metadata h = new Metadata();
    h.put(
        Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
        "Bearer " + userToken(subject, roles));
    return OnBehalfFrontGrpc.newBlockingStub(toFront)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .call(Req.newBuilder().setText(method).build())
        .getText();
  }

  private static StatusRuntimeException refused(Runnable call) {
    return assertThrows(StatusRuntimeException.class, call::run);
  }

  private static void assertStatus(Status.Code code, String text, StatusRuntimeException e) {
    assertEquals(code, e.getStatus().getCode(), e::toString);
    assertEquals(text, e.getStatus().getDescription());
  }

  /** The reason of B's last refusal. */
  private Reason lastTargetReason() {
    return targetAudit.stream()
        .filter(ev -> ev.outcome() == AuditEvent.Outcome.DENIED)
        .reduce((a, b) -> b)
        .orElseThrow()
        .reason();
  }

  @Test
  void propagatedUser_isTheDelegatingUserOnB_whileThePrincipalStaysTheCallingService() {
    assertEquals("frontend for alice", asUser("alice", List.of("rider"), "Who"));

    assertEquals(1, targetSeen.size());
    AuthContext seen = targetSeen.get(0);
    assertEquals("frontend", seen.subject());
    assertEquals(PrincipalKind.SERVICE, seen.kind());
    assertEquals(java.util.Set.of("trip-reader"), seen.roles());
    DelegatingUser user = seen.delegatingUser().orElseThrow();
    assertEquals("alice", user.subject());
    assertEquals(Optional.of(IDP), user.issuer());
    assertEquals(java.util.Set.of("rider"), user.roles());
    assertEquals(List.of(), user.priorActors());
  }

  @Test
  void successiveUsers_eachReachBAsThemselves_neverAsTheUserBefore() {
    assertEquals("frontend for alice", asUser("alice", List.of("rider"), "Who"));
    assertEquals("frontend for bob", asUser("bob", List.of(), "Who"));
    assertEquals("frontend for alice", asUser("alice", List.of("rider"), "Who"));
    // A's own call (no end user in its context) carries nobody.
    assertEquals(
        "frontend for nobody",
        targetStub(frontCreds.get()).who(Req.getDefaultInstance()).getText());
    assertEquals(4, targetSeen.size());
  }

  @Test
  void userFromACallerNotAllowedToPropagate_refusedUnauthenticated_handlerNotRun() {
    frontCreds.set(credsAs("rogue"));
    StatusRuntimeException e = refused(() -> asUser("alice", List.of("rider"), "Who"));
    assertStatus(Status.Code.UNAUTHENTICATED, AuthStatus.INVALID_TEXT, e);
    assertEquals(0, targetSeen.size());
    assertEquals(Reason.DELEGATION_NOT_ALLOWED, lastTargetReason());
    // The same caller on its own behalf is accepted: the claim, not the caller, is refused.
    assertEquals(
        "rogue for nobody", targetStub(frontCreds.get()).who(Req.getDefaultInstance()).getText());
  }

  @Test
  void userOfAnIdentityProviderTheCallerMayNotPropagate_refusedUnauthenticated() {
    frontCreds.set(credsAs("other-idp-only"));
    StatusRuntimeException e = refused(() -> asUser("alice", List.of("rider"), "Who"));
    assertStatus(Status.Code.UNAUTHENTICATED, AuthStatus.INVALID_TEXT, e);
    assertEquals(0, targetSeen.size());
    assertEquals(Reason.DELEGATION_NOT_ALLOWED, lastTargetReason());
  }

  @Test
  void internalDecision_staysOnTheCallingService_whateverTheUsersRoles() {
    // The user holds the role the method requires; the calling service does not: denied.
    frontCreds.set(credsAs("no-grant"));
    StatusRuntimeException e =
        refused(() -> asUser("alice", List.of("trip-reader"), "ServiceOnly"));
    assertStatus(Status.Code.PERMISSION_DENIED, AuthStatus.DENIED_TEXT, e);
    assertEquals(0, targetSeen.size());
    assertEquals(Reason.INSUFFICIENT_GRANTS, lastTargetReason());
    // The calling service holds it and the user holds nothing: allowed.
    frontCreds.set(credsAs("frontend"));
    assertEquals("frontend for bob", asUser("bob", List.of(), "ServiceOnly"));
    assertEquals(1, targetSeen.size());
  }

  @Test
  void requiresUser_userWithTheRole_allowed() {
    assertEquals("frontend for alice", asUser("alice", List.of("rider"), "ForRider"));
    assertEquals(1, targetSeen.size());
  }

  @Test
  void requiresUser_userWithoutTheRole_permissionDenied_handlerNotRun() {
    StatusRuntimeException e = refused(() -> asUser("bob", List.of("driver"), "ForRider"));
    assertStatus(Status.Code.PERMISSION_DENIED, AuthStatus.DENIED_TEXT, e);
    assertEquals(0, targetSeen.size());
    assertEquals(Reason.INSUFFICIENT_GRANTS, lastTargetReason());
  }

  @Test
  void requiresUser_callWithoutAUser_permissionDeniedUserRequired_handlerNotRun() {
    StatusRuntimeException e =
        refused(() -> targetStub(frontCreds.get()).forAnyUser(Req.getDefaultInstance()));
    assertStatus(Status.Code.PERMISSION_DENIED, AuthStatus.USER_REQUIRED_TEXT, e);
    assertEquals(0, targetSeen.size());
    assertEquals(Reason.DELEGATING_USER_REQUIRED, lastTargetReason());
    // Any user satisfies an empty requires_user.
    assertEquals("frontend for bob", asUser("bob", List.of(), "ForAnyUser"));
  }

  @Test
  void requiresUser_theServiceLackingItsOwnRole_deniedEvenForAUserWithTheUserRole() {
    frontCreds.set(credsAs("no-grant"));
    StatusRuntimeException e = refused(() -> asUser("alice", List.of("rider"), "ForRider"));
    assertStatus(Status.Code.PERMISSION_DENIED, AuthStatus.DENIED_TEXT, e);
    assertEquals(0, targetSeen.size());
  }

  /** The service "edge" calls A's internal Relay on behalf of alice; A passes her on to B. */
  private String viaEdge(String method) {
    ServiceTokenCallCredentials edge =
        ServiceTokenCallCredentials.newBuilder()
            .identity("edge")
            .keySource(edgeKey)
            .audience("frontend")
            .onBehalfOf(
                () ->
                    Optional.of(
                        DelegatedUser.of("alice", IDP, java.util.Set.of("rider"), List.of())))
            .build();
    return OnBehalfFrontGrpc.newBlockingStub(toFront)
        .withCallCredentials(edge)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .relay(Req.newBuilder().setText(method).build())
        .getText();
  }

  @Test
  void chainTwoHopsDeep_refusedUnauthenticated_unlessTheIssuerAllowsThatDepth() {
    StatusRuntimeException e = refused(() -> viaEdge("Who"));
    assertStatus(Status.Code.UNAUTHENTICATED, AuthStatus.INVALID_TEXT, e);
    assertEquals(0, targetSeen.size());
    assertEquals(Reason.DELEGATION_TOO_DEEP, lastTargetReason());

    frontCreds.set(credsAs("frontend-deep"));
    assertEquals("frontend-deep for alice", viaEdge("Who"));
    DelegatingUser user = targetSeen.get(0).delegatingUser().orElseThrow();
    assertEquals(List.of("edge"), user.priorActors());
    assertEquals(2, user.depth());
  }
}
