package dev.gatehouse.trust.jwt.internal;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.Reason;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * JWT-SVID key selection: each key set is the JWT bundle of one SPIFFE trust domain (a {@link
 * TrustAnchor} named by the trust-domain name), and the bundle is picked by the trust domain of the
 * token's unverified {@code sub}, so a bundle can only ever vouch for identities of its own trust
 * domain. {@code iss} plays no part. A {@code sub} that is missing, not a string or not accepted by
 * the reader is {@link Reason#INVALID_CLAIMS}; a trust domain without a bundle {@link
 * Reason#UNKNOWN_ISSUER}. Bundles are filtered by the JWT-SVID rules of {@link KeyFilter} ({@code
 * use} may be {@code jwt-svid}; a key without {@code kid} is dropped).
 */
public final class TrustDomainKeySelector implements KeySelector {
  private static final String LABEL = "trust domain ";

  private final KeySets keys;
  private final Function<String, Optional<String>> trustDomainOfSubject;

  private TrustDomainKeySelector(
      KeySets keys, Function<String, Optional<String>> trustDomainOfSubject) {
    this.keys = keys;
    this.trustDomainOfSubject = trustDomainOfSubject;
  }

  /**
   * Starts fetching every bundle in the background.
   *
   * @param bundles one anchor per trust domain, named by the trust-domain name
   * @param trustDomainOfSubject reads the trust-domain name from the unverified {@code sub}; empty
   *     (or an exception, or null) when {@code sub} is not a valid SPIFFE ID, which refuses the
   *     token. It must parse strictly: the name it returns picks the only keys that may verify the
   *     token
   * @throws IllegalArgumentException on no bundle or a trust domain given twice
   */
  public static TrustDomainKeySelector of(
      JwtSettings settings,
      Collection<TrustAnchor> bundles,
      Function<String, Optional<String>> trustDomainOfSubject) {
    requireNonNull(settings, "settings");
    requireNonNull(trustDomainOfSubject, "trustDomainOfSubject");
    List<TrustAnchor> anchors = List.copyOf(requireNonNull(bundles, "bundles"));
    return new TrustDomainKeySelector(
        new KeySets(settings, anchors, KeyFilter::forJwtSvidBundle), trustDomainOfSubject);
  }

  /**
   * Like {@link #of(JwtSettings, Collection, Function)}, for a configuration reload: every trust
   * domain whose bundle location (URL or file), algorithms, fetch timeout and outage tolerance are
   * those it had in {@code previous} keeps that verifier's cached bundle (shared, not copied, and
   * not fetched again); the others are fetched anew. Closing {@code previous} afterwards leaves the
   * shared bundles running.
   *
   * @param previous the verifier this selector's verifier replaces; a verifier that does not select
   *     by trust domain, or is already closed, shares nothing
   */
  public static TrustDomainKeySelector of(
      JwtSettings settings,
      Collection<TrustAnchor> bundles,
      Function<String, Optional<String>> trustDomainOfSubject,
      JwtVerifier previous) {
    requireNonNull(settings, "settings");
    requireNonNull(trustDomainOfSubject, "trustDomainOfSubject");
    requireNonNull(previous, "previous");
    List<TrustAnchor> anchors = List.copyOf(requireNonNull(bundles, "bundles"));
    KeySets before =
        previous.keySelector() instanceof TrustDomainKeySelector selector ? selector.keys : null;
    return new TrustDomainKeySelector(
        new KeySets(settings, anchors, KeyFilter::forJwtSvidBundle, before), trustDomainOfSubject);
  }

  @Override
  public Set<String> names() {
    return keys.names();
  }

  @Override
  public java.util.List<dev.gatehouse.spi.KeySetReachability.KeySetState> keySetStates() {
    return keys.states();
  }

  @Override
  public JwtSettings settings() {
    return keys.settings();
  }

  @Override
  public KeySelection select(Map<String, Object> claims) {
    Object sub = claims.get("sub");
    if (!(sub instanceof String string)) {
      return KeySelection.refused(Reason.INVALID_CLAIMS, "sub missing or not a string");
    }
    String td = trustDomainOf(string);
    if (td == null) {
      return KeySelection.refused(Reason.INVALID_CLAIMS, "sub is not a valid SPIFFE ID");
    }
    return named(td);
  }

  @Override
  public KeySelection named(String name) {
    IssuerKeys set = keys.get(name);
    if (set == null) {
      return KeySelection.refused(
          Reason.UNKNOWN_ISSUER, LABEL + LogSafe.quote(name) + " not configured");
    }
    return KeySelection.found(set, LABEL);
  }

  /** The trust domain the configured function reads from {@code sub}, or null. Never throws. */
  private String trustDomainOf(String sub) {
    try {
      Optional<String> td = trustDomainOfSubject.apply(sub);
      return td == null || td.isEmpty() || td.get().isEmpty() ? null : td.get();
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public void close() {
    keys.close();
  }

  @Override
  public String toString() {
    return "TrustDomainKeySelector" + names();
  }
}
