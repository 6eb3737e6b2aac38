package dev.gatehouse.examples.issuer;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The issuer's ES256 signing keys with rotation. Three kinds of key are published:
 *
 * <ul>
 *   <li>the <b>active</b> key, which signs;
 *   <li>the <b>next</b> key, published ahead of use, so verifiers that refreshed their key cache
 *       since the last rotation know it before its first token arrives;
 *   <li><b>retiring</b> keys, each served until its last token expires (that token's {@code exp}
 *       plus {@code grace}, for verifiers' clock skew), then dropped.
 * </ul>
 *
 * <p>{@link #rotate()} makes the next key active and generates a new next key. Private keys never
 * leave this object; {@link #publicKeys()} holds public keys only.
 */
public final class IssuerKeys {
  private record Retiring(ECKey key, Instant servedUntil) {}

  private final Clock clock;
  private final Duration grace;
  private ECKey active; // guarded by this
  private ECKey next; // guarded by this
  private Instant activeLastExpiry; // guarded by this
  private final List<Retiring> retiring = new ArrayList<>(); // guarded by this

  /**
   * A key ring with freshly generated keys.
   *
   * @param grace how long past its last token's {@code exp} a retired key is still served (the
   *     verifiers' clock skew, e.g. 30 s)
   */
  public IssuerKeys(Clock clock, Duration grace) {
    this.clock = requireNonNull(clock, "clock");
    this.grace = requireNonNull(grace, "grace");
    this.active = generate();
    this.next = generate();
  }

  /** Signs {@code claims} with the active key ({@code alg} ES256, {@code kid}, {@code typ} JWT). */
  public synchronized String sign(JWTClaimsSet claims) {
    requireNonNull(claims, "claims");
    Instant exp = claims.getExpirationTime().toInstant();
    if (activeLastExpiry == null || exp.isAfter(activeLastExpiry)) {
      activeLastExpiry = exp;
    }
    try {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.ES256)
                  .keyID(active.getKeyID())
                  .type(JOSEObjectType.JWT)
                  .build(),
              claims);
      jwt.sign(new ECDSASigner(active));
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException("signing failed", e);
    }
  }

  /**
   * Retires the active key (served until its last token expires), activates the pre-published next
   * key and publishes a new next key.
   */
  public synchronized void rotate() {
    Instant until = (activeLastExpiry == null ? clock.instant() : activeLastExpiry).plus(grace);
    retiring.add(new Retiring(active, until));
    active = next;
    activeLastExpiry = null;
    next = generate();
  }

  /** The {@code kid} of the key that signs now. */
  public synchronized String activeKid() {
    return active.getKeyID();
  }

  /** The published key set: active, next, and retiring keys whose last token is still valid. */
  public synchronized JWKSet publicKeys() {
    Instant now = clock.instant();
    retiring.removeIf(r -> !now.isBefore(r.servedUntil()));
    List<JWK> keys = new ArrayList<>();
    keys.add(active.toPublicJWK());
    keys.add(next.toPublicJWK());
    retiring.forEach(r -> keys.add(r.key().toPublicJWK()));
    return new JWKSet(keys);
  }

  private static ECKey generate() {
    try {
      return new ECKeyGenerator(Curve.P_256)
          .keyUse(KeyUse.SIGNATURE)
          .algorithm(JWSAlgorithm.ES256)
          .keyIDFromThumbprint(true)
          .generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("EC key generation failed", e);
    }
  }
}
