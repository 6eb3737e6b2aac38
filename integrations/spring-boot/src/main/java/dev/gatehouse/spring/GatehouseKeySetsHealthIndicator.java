package dev.gatehouse.spring;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.spi.KeySetReachability.KeySetState;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Health of the key sets Gatehouse fetches (JWKS URLs and files of {@code user_jwt}, {@code
 * signed_token}, {@code spiffe_jwt}): UP when the last fetch of every one succeeded, DOWN naming
 * those whose last fetch failed or that were never fetched (calls needing them get {@code
 * UNAVAILABLE} once the outage tolerance has passed). Reads what the key caches recorded; never
 * fetches. Details: per key set, its location, whether it is reachable and when it was last
 * fetched. No key material.
 */
public final class GatehouseKeySetsHealthIndicator implements HealthIndicator {
  private final ConfiguredGatehouse gatehouse;

  /** Reports on {@code gatehouse}'s key sets. */
  public GatehouseKeySetsHealthIndicator(ConfiguredGatehouse gatehouse) {
    this.gatehouse = requireNonNull(gatehouse, "gatehouse");
  }

  @Override
  public Health health() {
    List<KeySetState> states = gatehouse.keySets();
    boolean allReachable = true;
    Map<String, Object> details = new LinkedHashMap<>();
    for (KeySetState s : states) {
      allReachable &= s.reachable();
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("location", s.location());
      one.put("reachable", s.reachable());
      one.put("lastSuccess", s.lastSuccess().map(Object::toString).orElse("never"));
      details.put(s.name(), one);
    }
    return (allReachable ? Health.up() : Health.down()).withDetail("keySets", details).build();
  }
}
