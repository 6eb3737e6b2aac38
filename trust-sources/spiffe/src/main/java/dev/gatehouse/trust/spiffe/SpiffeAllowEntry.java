package dev.gatehouse.trust.spiffe;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One {@code allow} entry of a SPIFFE-based configuration section: exactly one of an exact SPIFFE
 * ID or a whole trust domain, with the grants. Immutable.
 *
 * @param identity an exact SPIFFE ID
 * @param trustDomain every ID of this trust domain
 * @param roles roles granted
 * @param scopes scopes granted
 */
public record SpiffeAllowEntry(
    Optional<String> identity,
    Optional<String> trustDomain,
    List<String> roles,
    List<String> scopes) {
  /** Validates and copies. */
  public SpiffeAllowEntry {
    if (identity.isPresent() == trustDomain.isPresent()) {
      throw new IllegalArgumentException("exactly one of identity and trust_domain");
    }
    roles = List.copyOf(roles);
    scopes = List.copyOf(scopes);
  }

  /**
   * Reads the {@code allow} list of {@code o}: at least one entry, none listed twice.
   *
   * @throws ConfigException naming the offending entry
   */
  static List<SpiffeAllowEntry> readList(ConfigNode o) {
    List<SpiffeAllowEntry> allow = o.list("allow", SpiffeAllowEntry::read);
    if (allow.isEmpty()) {
      throw new ConfigException(o.path("allow"), "at least one allow entry is required");
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < allow.size(); i++) {
      SpiffeAllowEntry e = allow.get(i);
      String k = e.identity().map(x -> "id:" + x).orElse("td:" + e.trustDomain().orElse(""));
      if (!seen.add(k)) {
        throw new ConfigException(o.path("allow[" + i + "]"), "listed twice");
      }
    }
    return allow;
  }

  private static SpiffeAllowEntry read(ConfigNode o) {
    boolean id = o.has("identity");
    boolean td = o.has("trust_domain");
    if (id == td) {
      throw new ConfigException(o.path("identity"), "exactly one of identity and trust_domain");
    }
    Optional<String> identity = id ? Optional.of(o.requiredString("identity")) : Optional.empty();
    Optional<String> domain =
        td ? Optional.of(readTrustDomain(o, "trust_domain")) : Optional.empty();
    List<String> roles = o.stringList("roles");
    List<String> scopes = o.stringList("scopes");
    o.finish();
    return new SpiffeAllowEntry(identity, domain, roles, scopes);
  }

  /** A trust domain name as {@link TrustDomain#parse} accepts it: lower case, never normalised. */
  static String readTrustDomain(ConfigNode o, String key) {
    String td = o.requiredString(key);
    try {
      TrustDomain.parse(td);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(
          o.path(key), "must be a trust domain name: lower-case letters, digits, '.', '-', '_'");
    }
    return td;
  }

  /** Refuses a trust domain listed twice under {@code key}. */
  static void requireDistinctTrustDomains(ConfigNode o, String key, List<String> names) {
    ConfigNode.requireDistinct(
        names, i -> o.path(key + "[" + i + "].trust_domain"), "trust domain");
  }
}
