package dev.gatehouse.trust.jwt.internal;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Verifies compact JWS tokens by running single-job parts in a fixed order, each failure mapped to
 * a {@link Reason}:
 *
 * <ol>
 *   <li>framing ({@link CompactJws}): at most {@link JwtSettings#maxTokenBytes()}, three canonical
 *       base64url segments, header and payload JSON objects ({@code MALFORMED_CREDENTIALS});
 *   <li>header ({@link HeaderPolicy}): allowed members, {@code alg}, {@code kid}, {@code typ};
 *   <li>key set ({@link KeySelector}): by the unverified {@code iss}, or by the trust domain of the
 *       unverified SPIFFE {@code sub}; the token's algorithm in that set's allow-list ({@code
 *       ALGORITHM_NOT_ALLOWED});
 *   <li>key: by {@code kid} in that set only; the key's pinned algorithm must equal the token's; no
 *       {@code kid} only when exactly one key fits; an unknown {@code kid} triggers one refresh (at
 *       most one successful refresh per key set per 30 s), then {@code UNKNOWN_KEY}; keys that
 *       cannot be fetched make the result {@link JwtVerification#isUnavailable() unavailable};
 *   <li>signature ({@code BAD_SIGNATURE}), memoised per (token, key object) when the settings allow
 *       it;
 *   <li>claims ({@link ClaimsPolicy}).
 * </ol>
 *
 * <p>Thread-safe. A call blocks only when keys must be fetched, for at most about twice the fetch
 * timeout, and at most 16 calls per key set block at once (the others are answered unavailable at
 * once). {@link #close()} stops the key selector's background refresh threads.
 */
public final class JwtVerifier implements AutoCloseable {
  private final JwtSettings settings;
  private final HeaderPolicy headers;
  private final KeySelector keys;
  private final ClaimsPolicy claims;
  private final SignatureCache signatures;

  private JwtVerifier(Builder b) {
    this.settings = b.settings;
    this.headers = b.headers;
    this.keys = b.keys;
    this.claims = b.claims;
    this.signatures = new SignatureCache(settings.signatureCacheSize());
  }

  /** A builder composing the parts for {@code settings}. */
  public static Builder newBuilder(JwtSettings settings) {
    return new Builder(settings);
  }

  /** Where each fetched key set stands (never fetches); in-memory sets are left out. */
  public java.util.List<dev.gatehouse.spi.KeySetReachability.KeySetState> keySetStates() {
    return keys.keySetStates();
  }

  /** The names of the configured key sets (issuers or trust domains). */
  public Set<String> issuers() {
    return keys.names();
  }

  /** The key selection (a reload hands its key caches on to the next verifier). */
  KeySelector keySelector() {
    return keys;
  }

  /** The shared settings. */
  public JwtSettings settings() {
    return settings;
  }

  /** The clock used for every time check. */
  public Clock clock() {
    return settings.clock();
  }

  /**
   * Reads the one {@code Bearer} credential of {@code header} and verifies it. Absent header: a
   * result whose {@link JwtVerification#toFailure()} is "no credential"; two values or another
   * scheme: a refusal. Never throws for bad input.
   */
  public JwtVerification verifyBearer(IncomingCall request, String header) {
    List<String> values = request.headerValues(header);
    if (values.isEmpty()) {
      return JwtVerification.absent();
    }
    if (values.size() > 1) {
      return JwtVerification.rejected(
          Reason.DUPLICATE_CREDENTIALS, "header " + header + " repeated");
    }
    Optional<String> token = BearerToken.parse(values.get(0));
    if (token.isEmpty()) {
      return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, "not a Bearer credential");
    }
    return verify(token.get());
  }

  /** Verifies a compact JWS. Never throws for bad input. */
  public JwtVerification verify(String token) {
    return verify(token, null);
  }

  /**
   * The signature layer only, for known-answer and Wycheproof tests: the framing, header, algorithm
   * and key checks and the signature, with the key set given instead of chosen from the claims; the
   * payload need not be JSON and no claim is checked. Never use it to authenticate.
   */
  JwtVerification verifySignatureOnly(String token, String issuer) {
    return verify(token, requireNonNull(issuer, "issuer"));
  }

  private JwtVerification verify(String token, String fixedKeySet) {
    CompactJws raw;
    try {
      raw = CompactJws.parse(token, settings.maxTokenBytes(), fixedKeySet == null);
    } catch (CompactJws.Malformed e) {
      return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, e.getMessage());
    }
    Optional<JwtVerification> badHeader = headers.check(raw.header);
    if (badHeader.isPresent()) {
      return badHeader.get();
    }
    String alg = (String) raw.header.get("alg");
    String kid = (String) raw.header.get("kid");
    KeySelection chosen = fixedKeySet == null ? keys.select(raw.payload) : keys.named(fixedKeySet);
    if (!chosen.isFound()) {
      return JwtVerification.rejected(chosen.reason, chosen.detail);
    }
    IssuerKeys set = chosen.keys;
    String name = set.issuer;
    if (!set.algorithms.contains(alg)) {
      return JwtVerification.rejected(
          Reason.ALGORITHM_NOT_ALLOWED,
          "algorithm " + alg + " not allowed for " + chosen.label + name);
    }
    IssuerKeys.Lookup lookup = set.select(kid, alg, settings.clock().millis());
    if (lookup.unavailable) {
      return JwtVerification.unavailable(lookup.detail);
    }
    if (lookup.key == null) {
      return JwtVerification.rejected(lookup.reason, lookup.detail);
    }
    String who = chosen.label + name + " kid " + (kid == null ? "-" : LogSafe.quote(kid));
    try {
      // The same token under the same key object verified before: the result cannot differ.
      if (!signatures.verifiedBefore(raw.token, lookup.key)) {
        JWSObject jws = JWSObject.parse(raw.token);
        if (!alg.equals(jws.getHeader().getAlgorithm().getName())) {
          return JwtVerification.rejected(Reason.ALGORITHM_NOT_ALLOWED, who + ": alg mismatch");
        }
        if (!jws.verify(verifierFor(lookup.key))) {
          return JwtVerification.rejected(
              Reason.BAD_SIGNATURE, who + ": signature does not verify");
        }
        signatures.remember(raw.token, lookup.key);
      }
    } catch (ParseException e) {
      return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, who + ": not a JWS");
    } catch (JOSEException | RuntimeException e) {
      return JwtVerification.rejected(
          Reason.BAD_SIGNATURE,
          who + ": signature check failed (" + e.getClass().getSimpleName() + ")");
    }
    if (fixedKeySet != null) {
      return JwtVerification.verified(
          new VerifiedJwt(name, kid, alg, Map.of(), List.of(), Instant.EPOCH, null));
    }
    return claims.check(
        raw.payload,
        set.anchor.audiences(),
        settings.clock().millis(),
        settings.clockSkew().toSeconds(),
        name,
        kid,
        alg,
        who);
  }

  private static JWSVerifier verifierFor(JWK key) throws JOSEException {
    if (key instanceof ECKey eCKey) {
      return new ECDSAVerifier(eCKey);
    }
    if (key instanceof RSAKey rSAKey) {
      return new RSASSAVerifier(rSAKey);
    }
    throw new JOSEException("unsupported key type");
  }

  /** Stops the background refresh threads and releases the key sources. */
  @Override
  public void close() {
    keys.close();
  }

  @Override
  public String toString() {
    return "JwtVerifier{" + keys + ", " + headers + ", " + claims + "}";
  }

  /**
   * Composes a {@link JwtVerifier} from its parts; each part is set exactly once and {@link
   * #build()} refuses a missing part or parts that contradict each other. The order in which the
   * parts run is fixed by the verifier, not by the order of the calls.
   */
  public static final class Builder {
    private final JwtSettings settings;
    private HeaderPolicy headers;
    private KeySelector keys;
    private ClaimsPolicy claims;

    private Builder(JwtSettings settings) {
      this.settings = requireNonNull(settings, "settings");
    }

    /**
     * The header rules.
     *
     * @throws IllegalStateException if already set
     */
    public Builder headerPolicy(HeaderPolicy policy) {
      requireNonNull(policy, "policy");
      if (headers != null) {
        throw new IllegalStateException("header policy already set");
      }
      this.headers = policy;
      return this;
    }

    /**
     * The key selection; the verifier owns it from {@link #build()} on and closes it.
     *
     * @throws IllegalStateException if already set
     */
    public Builder keySelector(KeySelector selector) {
      requireNonNull(selector, "selector");
      if (keys != null) {
        throw new IllegalStateException("key selector already set");
      }
      this.keys = selector;
      return this;
    }

    /**
     * The claim rules.
     *
     * @throws IllegalStateException if already set
     */
    public Builder claimsPolicy(ClaimsPolicy policy) {
      requireNonNull(policy, "policy");
      if (claims != null) {
        throw new IllegalStateException("claims policy already set");
      }
      this.claims = policy;
      return this;
    }

    /**
     * Validates and builds. On failure the key selector, if set, is closed.
     *
     * @throws IllegalStateException on a missing part
     * @throws IllegalArgumentException when the key selector was started with other settings (its
     *     clock, fetch timeout or outage tolerance would then differ from the verifier's)
     */
    public JwtVerifier build() {
      try {
        if (headers == null) {
          throw new IllegalStateException("no header policy");
        }
        if (keys == null) {
          throw new IllegalStateException("no key selector");
        }
        if (claims == null) {
          throw new IllegalStateException("no claims policy");
        }
        if (keys.settings() != settings) {
          throw new IllegalArgumentException(
              "the key selector was built with other settings than the verifier");
        }
        return new JwtVerifier(this);
      } catch (RuntimeException e) {
        if (keys != null) {
          keys.close();
        }
        throw e;
      }
    }
  }
}
