package dev.gatehouse.client;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Date;

/** Mints one service token: fixed header members, exact claims, random {@code jti}. */
final class TokenMinter {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Duration REFRESH_MARGIN = Duration.ofSeconds(60);
  private static final Duration MAX_SAFETY = Duration.ofSeconds(30);

  /**
   * A minted token and when to replace it.
   *
   * @param jwt the compact JWS; never logged
   * @param kid the key that signed it
   * @param refreshAt from then on one caller refreshes it ahead of expiry
   * @param usableUntil from then on it is no longer sent
   */
  record Token(String jwt, String kid, Instant refreshAt, Instant usableUntil) {
    @Override
    public String toString() {
      return "Token[kid=" + kid + ", refreshAt=" + refreshAt + "]";
    }
  }

  private final String identity;
  private final SigningKeySource keySource;
  private final Duration lifetime;
  private final String clusterId;
  private final String scope;
  private final Clock clock;
  private final Runnable signHook;
  private final DelegatedUser user;

  TokenMinter(
      String identity,
      SigningKeySource keySource,
      Duration lifetime,
      String clusterId,
      String scope,
      Clock clock,
      Runnable signHook) {
    this(identity, keySource, lifetime, clusterId, scope, clock, signHook, null);
  }

  private TokenMinter(
      String identity,
      SigningKeySource keySource,
      Duration lifetime,
      String clusterId,
      String scope,
      Clock clock,
      Runnable signHook,
      DelegatedUser user) {
    this.user = user;
    this.identity = identity;
    this.keySource = keySource;
    this.lifetime = lifetime;
    this.clusterId = clusterId;
    this.scope = scope;
    this.clock = clock;
    this.signHook = signHook;
  }

  /** This minter, putting {@code user} in every token as the {@value DelegatedUser#CLAIM}. */
  TokenMinter forUser(DelegatedUser user) {
    return new TokenMinter(identity, keySource, lifetime, clusterId, scope, clock, signHook, user);
  }

  String identity() {
    return identity;
  }

  SigningKeySource keySource() {
    return keySource;
  }

  Clock clock() {
    return clock;
  }

  /** Signs a token for {@code audience} with {@code key}, issued at {@code now}. */
  Token mint(String audience, LoadedKey key, Instant now) throws JOSEException {
    signHook.run();
    Instant iat = now.truncatedTo(ChronoUnit.SECONDS);
    Instant exp = iat.plus(lifetime);
    JWTClaimsSet.Builder claims =
        new JWTClaimsSet.Builder()
            .issuer(identity)
            .subject(identity)
            .audience(audience)
            .issueTime(Date.from(iat))
            .expirationTime(Date.from(exp))
            .jwtID(newJti());
    if (clusterId != null) {
      claims.claim("cluster_id", clusterId);
    }
    if (scope != null) {
      claims.claim("scope", scope);
    }
    if (user != null) {
      claims.claim(DelegatedUser.CLAIM, user.claimValue());
    }
    JWSHeader header =
        new JWSHeader.Builder(key.algorithm().jws())
            .keyID(key.kid())
            .type(JOSEObjectType.JWT)
            .build();
    SignedJWT jwt = new SignedJWT(header, claims.build());
    jwt.sign(key.signer());
    return new Token(jwt.serialize(), key.kid(), refreshAt(iat), usableUntil(exp));
  }

  /** 80% of the lifetime or 60 s before expiry, whichever is first, but not before half. */
  Instant refreshAt(Instant iat) {
    Duration eighty = lifetime.multipliedBy(4).dividedBy(5);
    Duration margin = lifetime.minus(REFRESH_MARGIN);
    Duration at = eighty.compareTo(margin) < 0 ? eighty : margin;
    Duration half = lifetime.dividedBy(2);
    return iat.plus(at.compareTo(half) < 0 ? half : at);
  }

  /**
   * A token is not sent in its last tenth of life (at most 30 s), to allow for latency and skew.
   */
  Instant usableUntil(Instant exp) {
    Duration tenth = lifetime.dividedBy(10);
    return exp.minus(tenth.compareTo(MAX_SAFETY) < 0 ? tenth : MAX_SAFETY);
  }

  private static String newJti() {
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(id);
  }
}
