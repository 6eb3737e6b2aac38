package dev.gatehouse.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.ServiceTokenIssuer;
import dev.gatehouse.trust.jwt.SignedTokenTrustSource;
import io.grpc.ClientInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Gatehouse's client against a Gatehouse server whose {@code signed_token} source has replay
 * protection on: a client built with {@code oneTimeTokens()} signs a fresh token (fresh {@code
 * jti}) for every call and every call is accepted; the default client, which caches one token per
 * audience for most of its lifetime, is refused after the token's first use.
 */
class OneTimeTokensAgainstReplayProtectionTest {
  private static final class NoUsers implements Authenticator {
    @Override
    public String name() {
      return "no_users";
    }

    @Override
    public Set<String> credentialHeaders() {
      return Set.of("x-user-token");
    }

    @Override
    public AuthResult authenticate(IncomingCall request) {
      return AuthResult.noCredential();
    }
  }

  private final SigningKeySource keys =
      SigningKeySource.newBuilder().keyPair(TestKeys.ec()).build();

  private ProbeHarness replayProtectedServer() throws Exception {
    JWKSet published = new JWKSet(keys.publicKeys(Instant.now()));
    return ProbeHarness.start(
        x ->
            Gatehouse.newBuilder()
                .addService(x.service())
                .userAuthenticator(new NoUsers())
                .addTrustSource(
                    SignedTokenTrustSource.newBuilder()
                        .serviceName("trips")
                        .replayProtection(true)
                        .addIssuer(
                            ServiceTokenIssuer.newBuilder("worker")
                                .keys(JwksSource.of(published))
                                .roles(List.of("trip-finisher"))
                                .build())
                        .build())
                .build());
  }

  private ServiceTokenCallCredentials.Builder creds() {
    return ServiceTokenCallCredentials.newBuilder()
        .identity("worker")
        .keySource(keys)
        .audience("trips");
  }

  @Test
  void oneTimeTokens_repeatedCallsWithReplayProtection_allAccepted() throws Exception {
    ServiceTokenCallCredentials creds = creds().oneTimeTokens().build();
    try (ProbeHarness h = replayProtectedServer()) {
      ProbeGrpc.ProbeBlockingStub stub =
          ProbeGrpc.newBlockingStub(h.channel()).withCallCredentials(creds);
      for (int i = 0; i < 5; i++) {
        stub.worker(Req.getDefaultInstance());
      }
      assertEquals(5, h.handlerRuns());
    }
  }

  @Test
  void oneTimeTokens_throughInterceptorWithReplayProtection_allAccepted() throws Exception {
    ServiceTokenCallCredentials creds = creds().oneTimeTokens().build();
    try (ProbeHarness h = replayProtectedServer()) {
      ProbeGrpc.ProbeBlockingStub stub =
          ProbeGrpc.newBlockingStub(
              ClientInterceptors.intercept(
                  h.channel(), ServiceTokenClientInterceptor.create(creds)));
      stub.worker(Req.getDefaultInstance());
      stub.worker(Req.getDefaultInstance());
      stub.worker(Req.getDefaultInstance());
      assertEquals(3, h.handlerRuns());
    }
  }

  /** Documented behaviour, not a bug: the default cached token is accepted once. */
  @Test
  void cachedTokens_secondCallWithReplayProtection_refusedHandlerNotRun() throws Exception {
    ServiceTokenCallCredentials creds = creds().build();
    try (ProbeHarness h = replayProtectedServer()) {
      ProbeGrpc.ProbeBlockingStub stub =
          ProbeGrpc.newBlockingStub(h.channel()).withCallCredentials(creds);
      stub.worker(Req.getDefaultInstance());
      assertEquals(1, h.handlerRuns());

      StatusRuntimeException e =
          assertThrows(StatusRuntimeException.class, () -> stub.worker(Req.getDefaultInstance()));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
      assertEquals(1, h.handlerRuns(), "handler did not run for the replayed token");
    }
  }
}
