package dev.gatehouse.trust.spiffe.workload;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.client.JwtSvidSource;
import java.io.IOException;

/**
 * JWT-SVIDs from the Workload API for {@code JwtSvidCallCredentials} (gatehouse-client): each fetch
 * asks the agent for a JWT-SVID of the requested audience; the credentials cache it until half of
 * its lifetime has passed.
 *
 * <pre>{@code
 * JwtSvidCallCredentials creds = JwtSvidCallCredentials.newBuilder()
 *     .source(WorkloadApiJwtSvids.of(agent))
 *     .audience("trips")
 *     .build();
 * }</pre>
 */
public final class WorkloadApiJwtSvids implements JwtSvidSource {
  private final WorkloadApiFeed feed;

  private WorkloadApiJwtSvids(WorkloadApiFeed feed) {
    this.feed = feed;
  }

  /** JWT-SVIDs fetched through {@code feed}'s connection. */
  public static WorkloadApiJwtSvids of(WorkloadApiFeed feed) {
    return new WorkloadApiJwtSvids(requireNonNull(feed, "feed"));
  }

  @Override
  public String fetch(String audience) throws IOException {
    return feed.fetchJwtSvid(audience);
  }

  @Override
  public String toString() {
    return "WorkloadApiJwtSvids{" + feed.socket() + "}";
  }
}
