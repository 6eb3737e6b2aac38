package dev.gatehouse.examples.issuer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.gatehouse.examples.issuer.v1.IssueTokenRequest;
import dev.gatehouse.examples.issuer.v1.IssueTokenResponse;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.spi.Principal;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Who gets a token: only a caller proven by its workload identity, and registered. */
class TokenIssuerServiceTest {
  private static final String WORKER = "spiffe://a.test/ns/trips/sa/worker";

  private final TokenIssuerService service =
      new TokenIssuerService(
          "https://issuer.test",
          () -> Registrations.parse(RegistrationsTest.ONE),
          new IssuerKeys(Clock.systemUTC(), Duration.ofSeconds(30)),
          Duration.ofMinutes(5),
          Clock.systemUTC());

  private static final class Result implements StreamObserver<IssueTokenResponse> {
    IssueTokenResponse response;
    Status status;

    @Override
    public void onNext(IssueTokenResponse value) {
      response = value;
    }

    @Override
    public void onError(Throwable t) {
      status = Status.fromThrowable(t);
    }

    @Override
    public void onCompleted() {}
  }

  private Result issueAs(String trustSource) {
    Result r = new Result();
    Context ctx =
        AuthContext.attachForTesting(
            Context.ROOT,
            Principal.newBuilder().subject(WORKER).build(),
            PrincipalKind.SERVICE,
            trustSource);
    ctx.run(
        () -> service.issueToken(IssueTokenRequest.newBuilder().setAudience("trips").build(), r));
    return r;
  }

  @Test
  void registeredWorkloadByPeerCertificate_getsAToken() {
    Result r = issueAs("peer_certificate");
    assertNull(r.status);
    assertEquals(false, r.response.getToken().isEmpty());
  }

  @Test
  void registeredIdSpelledByASignedToken_refused() {
    Result r = issueAs("signed_token");
    assertNull(r.response);
    assertEquals(Status.Code.PERMISSION_DENIED, r.status.getCode());
    assertEquals(TokenIssuerService.WORKLOAD_IDENTITY_REQUIRED_TEXT, r.status.getDescription());
  }

  @Test
  void registeredIdSpelledByTheDevelopmentSecret_refused() {
    Result r = issueAs("shared_secret");
    assertNull(r.response);
    assertEquals(Status.Code.PERMISSION_DENIED, r.status.getCode());
    assertEquals(TokenIssuerService.WORKLOAD_IDENTITY_REQUIRED_TEXT, r.status.getDescription());
  }
}
