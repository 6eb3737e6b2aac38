package dev.gatehouse.spi;

import java.time.Instant;

/**
 * Optional capability of a {@link TrustSource} that trusts CA certificates: when the first of them
 * expires, for monitoring. Read-only: reading it never affects a decision.
 */
public interface BundleExpiry {
  /**
   * The earliest {@code notAfter} of the CA certificates trusted now; {@link Instant#MAX} if none.
   */
  Instant earliestBundleExpiry();
}
