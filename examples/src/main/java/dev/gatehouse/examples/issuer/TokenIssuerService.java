package dev.gatehouse.examples.issuer;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Timestamp;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.gatehouse.examples.issuer.v1.IssueTokenRequest;
import dev.gatehouse.examples.issuer.v1.IssueTokenResponse;
import dev.gatehouse.examples.issuer.v1.IssuerServiceGrpc;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.trust.mesh.MeshIdentityTrustSource;
import dev.gatehouse.trust.spiffe.PeerCertificateTrustSource;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.logging.Logger;

/**
 * {@code issuer.v1.IssuerService/IssueToken}. Gatehouse has already authenticated the caller (the
 * method is {@code internal}: X.509-SVID or mesh identity), so {@link AuthContext#subject()} is its
 * SPIFFE ID. The caller is looked up in the registration file:
 *
 * <ul>
 *   <li>authenticated by another source than {@code peer_certificate} or {@code mesh_identity} →
 *       {@code PERMISSION_DENIED} "{@value #WORKLOAD_IDENTITY_REQUIRED_TEXT}";
 *   <li>not registered → {@code PERMISSION_DENIED} "{@value #NOT_REGISTERED_TEXT}": its identity is
 *       proven, it just has no registration (authorization, not authentication);
 *   <li>audience not registered for it → {@code PERMISSION_DENIED} "{@value
 *       #AUDIENCE_NOT_ALLOWED_TEXT}";
 *   <li>otherwise an ES256 token: {@code iss} = the issuer, {@code sub} = the workload name, {@code
 *       aud} = the requested audience, {@code cluster_id} = its registered cluster, {@code iat},
 *       {@code exp} = {@code iat} + the token lifetime, {@code jti} (128 random bits).
 * </ul>
 *
 * Each decision is logged with the caller's SPIFFE ID, never with the token.
 */
public final class TokenIssuerService extends IssuerServiceGrpc.IssuerServiceImplBase {
  /** The description of the refusal of an unregistered caller. */
  public static final String NOT_REGISTERED_TEXT = "caller is not registered";

  /** The description of the refusal of a caller not authenticated by its workload identity. */
  public static final String WORKLOAD_IDENTITY_REQUIRED_TEXT =
      "caller must present its workload identity (X.509-SVID or mesh identity)";

  /**
   * The trust sources whose subject is a workload's SPIFFE ID. Another source's subject (a signed
   * token's {@code sub}, the development secret's caller name) could spell a registered ID without
   * being that workload, so it never gets a token.
   */
  static final Set<String> WORKLOAD_SOURCES =
      Set.of(PeerCertificateTrustSource.NAME, MeshIdentityTrustSource.NAME);

  /** The description of the refusal of an audience the caller may not request. */
  public static final String AUDIENCE_NOT_ALLOWED_TEXT = "audience not registered for the caller";

  private static final Logger logger = Logger.getLogger(TokenIssuerService.class.getName());
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String issuer;
  private final Supplier<Registrations> registrations;
  private final IssuerKeys keys;
  private final Duration lifetime;
  private final Clock clock;

  /**
   * The service.
   *
   * @param issuer the {@code iss} of every token
   * @param registrations the registrations in force (read on every call, so reloads apply at once)
   * @param keys the signing keys
   * @param lifetime the token lifetime, between 1 minute and 1 hour
   */
  public TokenIssuerService(
      String issuer,
      Supplier<Registrations> registrations,
      IssuerKeys keys,
      Duration lifetime,
      Clock clock) {
    this.issuer = requireNonNull(issuer, "issuer");
    this.registrations = requireNonNull(registrations, "registrations");
    this.keys = requireNonNull(keys, "keys");
    this.lifetime = requireNonNull(lifetime, "lifetime");
    this.clock = requireNonNull(clock, "clock");
    if (lifetime.compareTo(Duration.ofMinutes(1)) < 0
        || lifetime.compareTo(Duration.ofHours(1)) > 0) {
      throw new IllegalArgumentException("token lifetime must be between 1 minute and 1 hour");
    }
  }

  @Override
  public void issueToken(IssueTokenRequest request, StreamObserver<IssueTokenResponse> response) {
    Optional<AuthContext> ctx = AuthContext.current();
    if (ctx.isEmpty()) { // the chain always sets it on an internal method; fail closed
      response.onError(Status.INTERNAL.withDescription("internal error").asRuntimeException());
      return;
    }
    if (!WORKLOAD_SOURCES.contains(ctx.get().trustSource())) {
      logger.info("IssueToken refused: caller authenticated by " + ctx.get().trustSource());
      response.onError(
          Status.PERMISSION_DENIED
              .withDescription(WORKLOAD_IDENTITY_REQUIRED_TEXT)
              .asRuntimeException());
      return;
    }
    String caller = ctx.get().subject();
    Optional<Registrations.Workload> workload = registrations.get().lookup(caller);
    if (workload.isEmpty()) {
      logger.info("IssueToken refused: " + caller + " is not registered");
      response.onError(
          Status.PERMISSION_DENIED.withDescription(NOT_REGISTERED_TEXT).asRuntimeException());
      return;
    }
    String audience = request.getAudience();
    if (!workload.get().audiences().contains(audience)) {
      logger.info("IssueToken refused: " + caller + " may not request this audience");
      response.onError(
          Status.PERMISSION_DENIED.withDescription(AUDIENCE_NOT_ALLOWED_TEXT).asRuntimeException());
      return;
    }
    Instant now = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    Instant exp = now.plus(lifetime);
    byte[] jti = new byte[16];
    RANDOM.nextBytes(jti);
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .subject(workload.get().name())
            .audience(audience)
            .claim("cluster_id", workload.get().cluster())
            .issueTime(Date.from(now))
            .expirationTime(Date.from(exp))
            .jwtID(Base64.getUrlEncoder().withoutPadding().encodeToString(jti))
            .build();
    String token = keys.sign(claims);
    response.onNext(
        IssueTokenResponse.newBuilder()
            .setToken(token)
            .setExpiresAt(Timestamp.newBuilder().setSeconds(exp.getEpochSecond()))
            .build());
    response.onCompleted();
  }
}
