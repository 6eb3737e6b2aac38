package dev.gatehouse.trust.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.jwt.JwksSource;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.RequestInfo;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.trust.ServiceTokenIssuer;
import dev.gatehouse.trust.SignedTokenTrustSource;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Security review: Gatehouse's own client and Gatehouse's own server with replay protection on
 * (DESIGN §4 "a repeat within its lifetime refused"; the client README recommends turning it on).
 * The client caches one token (one jti) per audience for ~80 % of its lifetime (TokenSlot), so
 * every call after the first is refused as a replay until the client refreshes.
 */
class ClientReplayReviewTest {
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
    public AuthResult authenticate(RequestInfo request) {
      return AuthResult.noCredential();
    }
  }

  @Test
  void clientCredentials_secondCallWithReplayProtection_accepted() throws Exception {
    SigningKeySource keys = SigningKeySource.newBuilder().keyPair(TestKeys.ec()).build();
    JWKSet published = new JWKSet(keys.publicKeys(Instant.now()));
    ServiceTokenCallCredentials creds =
        ServiceTokenCallCredentials.newBuilder()
            .identity("worker")
            .keySource(keys)
            .audience("trips")
            .build();
    try (ProbeHarness h =
        ProbeHarness.start(
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
                    .build())) {
      ProbeGrpc.ProbeBlockingStub stub =
          ProbeGrpc.newBlockingStub(h.channel()).withCallCredentials(creds);
      stub.worker(Req.getDefaultInstance());
      stub.worker(Req.getDefaultInstance());
      assertEquals(2, h.handlerRuns());
    }
  }
}
