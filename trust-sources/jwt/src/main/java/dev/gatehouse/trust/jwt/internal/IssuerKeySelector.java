package dev.gatehouse.trust.jwt.internal;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.Reason;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Issuer-bound key selection: the unverified {@code iss} (a string) names the only key set that may
 * verify the token, so a key of issuer A never vouches for a token claiming issuer B. A missing or
 * non-string {@code iss} is {@link Reason#INVALID_CLAIMS}, an issuer that is not configured {@link
 * Reason#UNKNOWN_ISSUER}. Each issuer's JWKS is filtered by the issuer rules of {@link KeyFilter}.
 */
public final class IssuerKeySelector implements KeySelector {
  private static final String LABEL = "issuer ";

  private final KeySets keys;

  private IssuerKeySelector(KeySets keys) {
    this.keys = keys;
  }

  /**
   * Starts fetching every issuer's keys in the background.
   *
   * @param issuers one anchor per issuer, each named by its exact {@code iss}
   * @throws IllegalArgumentException on no issuer or an issuer given twice
   */
  public static IssuerKeySelector of(JwtSettings settings, Collection<TrustAnchor> issuers) {
    requireNonNull(settings, "settings");
    List<TrustAnchor> anchors = List.copyOf(requireNonNull(issuers, "issuers"));
    return new IssuerKeySelector(new KeySets(settings, anchors, KeyFilter::forIssuer));
  }

  /**
   * Like {@link #of(JwtSettings, Collection)}, for a configuration reload: every issuer whose key
   * location (URL or file), algorithms, fetch timeout and outage tolerance are those it had in
   * {@code previous} keeps that verifier's cached keys (shared, not copied, and not fetched again);
   * the others are fetched anew. Closing {@code previous} afterwards leaves the shared keys
   * running.
   *
   * @param previous the verifier this selector's verifier replaces; a verifier that does not select
   *     by issuer, or is already closed, shares nothing
   */
  public static IssuerKeySelector of(
      JwtSettings settings, Collection<TrustAnchor> issuers, JwtVerifier previous) {
    requireNonNull(settings, "settings");
    requireNonNull(previous, "previous");
    List<TrustAnchor> anchors = List.copyOf(requireNonNull(issuers, "issuers"));
    KeySets before =
        previous.keySelector() instanceof IssuerKeySelector selector ? selector.keys : null;
    return new IssuerKeySelector(new KeySets(settings, anchors, KeyFilter::forIssuer, before));
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
    Object iss = claims.get("iss");
    if (!(iss instanceof String string)) {
      return KeySelection.refused(Reason.INVALID_CLAIMS, "iss missing or not a string");
    }
    return named(string);
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

  @Override
  public void close() {
    keys.close();
  }

  @Override
  public String toString() {
    return "IssuerKeySelector" + names();
  }
}
