package dev.gatehouse.client;

import java.io.IOException;

/**
 * Where the calling workload's JWT-SVIDs come from, one audience at a time: a file a helper such as
 * spiffe-helper rewrites ({@link JwtSvidFileSource}), or the SPIFFE Workload API ({@code
 * WorkloadApiJwtSvids} in {@code gatehouse-spiffe-workload}). {@link JwtSvidCallCredentials} calls
 * it on the call's executor, at most once at a time per audience, and caches the result until half
 * of its lifetime has passed.
 *
 * <p>Implementations are thread-safe and never log the token.
 */
public interface JwtSvidSource {
  /**
   * Fetches a current JWT-SVID (a compact JWS) for {@code audience}. May block (a file read, a
   * Workload API round trip); it is never called on a transport thread.
   *
   * @throws IOException when no JWT-SVID can be obtained now; the message must not contain a token
   */
  String fetch(String audience) throws IOException;
}
