package dev.gatehouse.trust.spiffe;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jose.util.X509CertUtils;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One trust domain's SPIFFE bundle: its X.509 authorities (CA certificates that issue X.509-SVIDs)
 * and JWT authorities (keys that sign JWT-SVIDs), as the SPIFFE Trust Domain and Bundle
 * specification's JSON format carries them: a JWK set whose keys have {@code use} {@code x509-svid}
 * (one certificate in {@code x5c}) or {@code jwt-svid}, with the optional top-level {@code
 * spiffe_refresh_hint} (seconds) and {@code spiffe_sequence}. Keys of any other use are ignored.
 * Immutable.
 *
 * @param trustDomain the trust domain the bundle is for (the document does not name it)
 * @param x509Authorities the CA certificates, in document order
 * @param jwtAuthorities the JWT-SVID signing keys (public parts)
 * @param refreshHint how often the publisher suggests fetching the bundle again, if given
 * @param sequence the publisher's sequence number, if given
 */
public record SpiffeBundle(
    TrustDomain trustDomain,
    List<X509Certificate> x509Authorities,
    JWKSet jwtAuthorities,
    Optional<Duration> refreshHint,
    OptionalLong sequence) {
  /** The largest bundle document accepted: 1 MiB. */
  public static final int MAX_BYTES = 1 << 20;

  /** Validates and copies. */
  public SpiffeBundle {
    requireNonNull(trustDomain, "trustDomain");
    x509Authorities = List.copyOf(x509Authorities);
    jwtAuthorities = requireNonNull(jwtAuthorities, "jwtAuthorities").toPublicJWKSet();
    requireNonNull(refreshHint, "refreshHint");
    requireNonNull(sequence, "sequence");
  }

  /**
   * Parses a bundle document in the SPIFFE JSON format.
   *
   * @throws IllegalArgumentException if the document is larger than {@value #MAX_BYTES} bytes, not
   *     a JWK set, an {@code x509-svid} key does not carry exactly one certificate, a {@code
   *     jwt-svid} key has no {@code kid}, or the refresh hint or sequence is not a non-negative
   *     integer; the message never quotes key material
   */
  public static SpiffeBundle parse(TrustDomain trustDomain, String json) {
    requireNonNull(trustDomain, "trustDomain");
    requireNonNull(json, "json");
    if (json.length() > MAX_BYTES) {
      throw new IllegalArgumentException(
          "the bundle of trust domain " + trustDomain + " is larger than " + MAX_BYTES + " bytes");
    }
    JWKSet set;
    try {
      set = JWKSet.parse(json);
    } catch (ParseException e) {
      throw new IllegalArgumentException(
          "the bundle of trust domain " + trustDomain + " is not a SPIFFE bundle (a JWK set)", e);
    }
    List<X509Certificate> x509 = new ArrayList<>();
    List<JWK> jwt = new ArrayList<>();
    for (JWK key : set.getKeys()) {
      String use = key.getKeyUse() == null ? null : key.getKeyUse().identifier();
      if ("x509-svid".equals(use)) {
        List<Base64> chain = key.getX509CertChain();
        if (chain == null || chain.size() != 1) {
          throw new IllegalArgumentException(
              "the bundle of trust domain "
                  + trustDomain
                  + " has an x509-svid key without exactly one certificate in x5c");
        }
        X509Certificate cert = X509CertUtils.parse(chain.get(0).decode());
        if (cert == null) {
          throw new IllegalArgumentException(
              "the bundle of trust domain "
                  + trustDomain
                  + " has an x509-svid key whose x5c is not an X.509 certificate");
        }
        x509.add(cert);
      } else if ("jwt-svid".equals(use)) {
        if (key.getKeyID() == null || key.getKeyID().isEmpty()) {
          throw new IllegalArgumentException(
              "the bundle of trust domain " + trustDomain + " has a jwt-svid key without kid");
        }
        jwt.add(key);
      }
    }
    Map<String, Object> extra = set.getAdditionalMembers();
    Optional<Duration> hint =
        optionalLong(extra.get("spiffe_refresh_hint"), "spiffe_refresh_hint", trustDomain)
            .map(Duration::ofSeconds);
    Optional<Long> seq = optionalLong(extra.get("spiffe_sequence"), "spiffe_sequence", trustDomain);
    return new SpiffeBundle(
        trustDomain,
        x509,
        new JWKSet(jwt),
        hint,
        seq.isPresent() ? OptionalLong.of(seq.get()) : OptionalLong.empty());
  }

  private static Optional<Long> optionalLong(Object value, String field, TrustDomain td) {
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() == n.longValue()) {
      return Optional.of(n.longValue());
    }
    throw new IllegalArgumentException(
        "the bundle of trust domain "
            + td
            + " has a "
            + field
            + " that is not a whole number >= 0");
  }

  /** Names the trust domain and counts; never prints key material. */
  @Override
  public String toString() {
    return "SpiffeBundle{"
        + trustDomain
        + ", x509Authorities="
        + x509Authorities.size()
        + ", jwtAuthorities="
        + jwtAuthorities.size()
        + refreshHint.map(h -> ", refreshHint=" + h).orElse("")
        + "}";
  }
}
