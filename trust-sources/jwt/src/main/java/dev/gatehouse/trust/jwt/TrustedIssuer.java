package dev.gatehouse.trust.jwt;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.trust.jwt.internal.JwtSettings;
import dev.gatehouse.trust.jwt.internal.TrustAnchor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One trusted token issuer: its exact {@code iss} string, where its keys come from, the audiences
 * its tokens must name (one of them), and the algorithms it may use.
 *
 * <p>Keys are only ever looked up in this issuer's own key set. The algorithm allow-list defaults
 * to {@code [ES256, RS256, PS256]}; only asymmetric algorithms (ES256/384/512, RS256/384/512,
 * PS256/384/512) can be allowed. Its order matters for RSA keys without an {@code alg} member: such
 * a key is pinned to the <em>first</em> RSA algorithm of the list, so one RSA key never verifies
 * both RS256 and PS256. EC keys without {@code alg} are pinned by curve (P-256 to ES256, P-384 to
 * ES384, P-521 to ES512).
 */
public final class TrustedIssuer {
  private final String issuer;
  private final JwksSource keys;
  private final Set<String> audiences;
  private final List<String> algorithms;

  private TrustedIssuer(Builder b) {
    this.issuer = b.issuer;
    this.keys = b.keys;
    this.audiences = Set.copyOf(new LinkedHashSet<>(b.audiences));
    this.algorithms = List.copyOf(b.algorithms);
  }

  /** A builder for the issuer whose tokens carry exactly {@code iss}. */
  public static Builder newBuilder(String issuer) {
    return new Builder(issuer);
  }

  /** The exact {@code iss} value. */
  public String issuer() {
    return issuer;
  }

  /** Where the issuer's keys come from. */
  public JwksSource keys() {
    return keys;
  }

  /** The accepted audiences; a token must name at least one. */
  public Set<String> audiences() {
    return audiences;
  }

  /** The allowed algorithms, in configured order. */
  public List<String> algorithms() {
    return algorithms;
  }

  /** This issuer as a key set of the verification core. */
  TrustAnchor anchor() {
    return TrustAnchor.of(issuer, keys, algorithms, audiences);
  }

  @Override
  public String toString() {
    return "TrustedIssuer{"
        + issuer
        + ", "
        + keys
        + ", audiences="
        + audiences
        + ", algorithms="
        + algorithms
        + "}";
  }

  /** Builds a {@link TrustedIssuer}; {@link #build()} validates every field. */
  public static final class Builder {
    private final String issuer;
    private JwksSource keys;
    private final List<String> audiences = new ArrayList<>();
    private List<String> algorithms = JwtSettings.DEFAULT_ALGORITHMS;

    private Builder(String issuer) {
      this.issuer = requireNonNull(issuer, "issuer");
    }

    /** Where the keys come from (required). */
    public Builder keys(JwksSource keys) {
      this.keys = requireNonNull(keys, "keys");
      return this;
    }

    /** Adds accepted audiences (at least one is required). */
    public Builder audiences(Collection<String> audiences) {
      requireNonNull(audiences, "audiences").forEach(a -> this.audiences.add(requireNonNull(a)));
      return this;
    }

    /** Adds one accepted audience. */
    public Builder audience(String audience) {
      audiences.add(requireNonNull(audience, "audience"));
      return this;
    }

    /** Replaces the algorithm allow-list (default {@code [ES256, RS256, PS256]}). */
    public Builder algorithms(List<String> algorithms) {
      this.algorithms = new ArrayList<>(requireNonNull(algorithms, "algorithms"));
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException on an empty issuer, missing keys, no audience, an empty,
     *     duplicated or unsupported algorithm
     */
    public TrustedIssuer build() {
      if (issuer.isEmpty()) {
        throw new IllegalArgumentException("issuer must not be empty");
      }
      if (keys == null) {
        throw new IllegalArgumentException(
            "issuer " + issuer + ": no key source (JWKS) configured");
      }
      // The core's own validation: audiences, then the algorithm list (supported, none twice).
      TrustAnchor.of(issuer, keys, algorithms, audiences);
      return new TrustedIssuer(this);
    }
  }
}
