package dev.gatehouse.trust.mesh;

import dev.gatehouse.trust.spiffe.SpiffeId;
import java.util.List;
import java.util.Optional;

/**
 * Reads a workload identity written either as a SPIFFE ID or as an Istio principal {@code
 * TRUST-DOMAIN/ns/NAMESPACE/sa/SERVICE-ACCOUNT}; both give the same {@link SpiffeId}.
 */
final class Identities {
  private Identities() {}

  /**
   * The identity, or empty if {@code text} is neither a valid SPIFFE ID nor an Istio principal of
   * exactly the shape {@code TD/ns/N/sa/S}. Nothing is normalised: upper case in the scheme or
   * trust domain is refused.
   */
  static Optional<SpiffeId> parse(String text) {
    if (text == null || text.isEmpty()) {
      return Optional.empty();
    }
    if (text.startsWith(SpiffeId.SCHEME_PREFIX)) {
      return SpiffeId.tryParse(text);
    }
    if (text.indexOf(':') >= 0) {
      return Optional.empty(); // another scheme, or an upper-case "SPIFFE://"
    }
    Optional<SpiffeId> id = SpiffeId.tryParse(SpiffeId.SCHEME_PREFIX + text);
    if (id.isEmpty()) {
      return id;
    }
    List<String> segments = id.get().pathSegments();
    boolean istioShape =
        segments.size() == 4 && segments.get(0).equals("ns") && segments.get(2).equals("sa");
    return istioShape ? id : Optional.empty();
  }
}
