package dev.gatehouse.client;

/**
 * Obtains service tokens from an issuer (a central token service) instead of signing them locally:
 * the SPI behind {@link ServiceTokenCallCredentials.Builder#fetchFrom(TokenFetcher)}. One
 * implementation per issuer protocol; the credentials do the caching, refreshing and failing.
 *
 * <p>Implementations must bound the time a fetch takes (a deadline on the issuer call), may be
 * called from several threads (at most one fetch per audience at a time), and must never put the
 * token in an exception message or log line.
 */
@FunctionalInterface
public interface TokenFetcher {
  /**
   * A fresh token for {@code audience}.
   *
   * @throws Exception when the issuer cannot be reached or refuses; the credentials keep using a
   *     still-valid token, back off and retry
   */
  IssuedToken fetch(String audience) throws Exception;
}
