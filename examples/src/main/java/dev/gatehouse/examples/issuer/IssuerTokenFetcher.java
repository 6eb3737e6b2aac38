package dev.gatehouse.examples.issuer;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.client.IssuedToken;
import dev.gatehouse.client.TokenFetcher;
import dev.gatehouse.examples.issuer.v1.IssueTokenRequest;
import dev.gatehouse.examples.issuer.v1.IssueTokenResponse;
import dev.gatehouse.examples.issuer.v1.IssuerServiceGrpc;
import io.grpc.Channel;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * gatehouse-client's {@link TokenFetcher} bound to {@code issuer.v1.IssuerService/IssueToken}:
 *
 * <pre>{@code
 * ServiceTokenCallCredentials creds = ServiceTokenCallCredentials.newBuilder()
 *     .fetchFrom(new IssuerTokenFetcher(issuerChannel, Duration.ofSeconds(2)))
 *     .audience("trips")
 *     .build();
 * }</pre>
 *
 * The channel to the issuer must carry the workload's own identity (mTLS with its X.509-SVID, or a
 * sidecar that forwards it); every fetch has a deadline.
 */
public final class IssuerTokenFetcher implements TokenFetcher {
  private final IssuerServiceGrpc.IssuerServiceBlockingStub stub;
  private final Duration deadline;

  /** Fetches over {@code issuerChannel}, each fetch bounded by {@code deadline}. */
  public IssuerTokenFetcher(Channel issuerChannel, Duration deadline) {
    this.stub = IssuerServiceGrpc.newBlockingStub(requireNonNull(issuerChannel, "issuerChannel"));
    this.deadline = requireNonNull(deadline, "deadline");
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive");
    }
  }

  @Override
  public IssuedToken fetch(String audience) {
    IssueTokenResponse r =
        stub.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
            .issueToken(IssueTokenRequest.newBuilder().setAudience(audience).build());
    // The issuer sends whole seconds (a JWT's exp is a NumericDate).
    return IssuedToken.of(r.getToken(), Instant.ofEpochSecond(r.getExpiresAt().getSeconds()));
  }

  @Override
  public String toString() {
    return "IssuerTokenFetcher[issuer.v1.IssuerService]";
  }
}
