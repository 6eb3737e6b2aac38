package dev.gatehouse.spi;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Optional capability of an {@link Authenticator} that fetches key sets (JWKS URLs or files): where
 * each key set stands, for health checks. Reading it never triggers a fetch. Authenticators that
 * hold no fetched key set do not implement it.
 */
public interface KeySetReachability {
  /** One entry per fetched key set, in configured order; in-memory key sets are left out. */
  List<KeySetState> keySets();

  /**
   * One key set.
   *
   * @param name the issuer or trust domain the key set belongs to
   * @param location where it is fetched from ({@code jwks_uri URL} or {@code jwks_file PATH})
   * @param reachable true when the last fetch succeeded (keys are then current); false when none
   *     has succeeded yet or the last one failed (cached keys may still serve within the outage
   *     tolerance)
   * @param lastSuccess when a fetch last succeeded, if ever
   */
  record KeySetState(
      String name, String location, boolean reachable, Optional<Instant> lastSuccess) {
    /** Validates. */
    public KeySetState {
      requireNonNull(name, "name");
      requireNonNull(location, "location");
      requireNonNull(lastSuccess, "lastSuccess");
    }
  }
}
