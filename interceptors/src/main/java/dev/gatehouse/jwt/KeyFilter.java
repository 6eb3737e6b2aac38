package dev.gatehouse.jwt;

import com.nimbusds.jose.Algorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.JWKSetCacheRefreshEvaluator;
import com.nimbusds.jose.jwk.source.JWKSetSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Logger;

/**
 * Drops every key an issuer's JWKS should not contain and pins each remaining key to exactly one
 * algorithm (written into the returned key's {@code alg}).
 *
 * <p>Dropped: symmetric ({@code oct}) and unsupported key types (OKP included), {@code use: enc},
 * {@code key_ops} without {@code verify}, RSA under 2048 bits, EC curves other than P-256/384/521,
 * a key whose {@code alg} is not allowed for the issuer or does not fit its type or curve, and
 * every key sharing a {@code kid} with another. A key without {@code alg} is pinned by curve (EC)
 * or to the issuer's first allowed RSA algorithm (RSA). Private parts are discarded.
 */
final class KeyFilter implements JWKSetSource<SecurityContext> {
  private static final Logger logger = Logger.getLogger(KeyFilter.class.getName());
  static final int MIN_RSA_BITS = 2048;

  private final String issuer;
  private final List<String> algorithms;
  private final JWKSetSource<SecurityContext> delegate;

  KeyFilter(String issuer, List<String> algorithms, JWKSetSource<SecurityContext> delegate) {
    this.issuer = issuer;
    this.algorithms = algorithms;
    this.delegate = delegate;
  }

  @Override
  public JWKSet getJWKSet(JWKSetCacheRefreshEvaluator eval, long now, SecurityContext ctx)
      throws KeySourceException {
    return filter(issuer, algorithms, delegate.getJWKSet(eval, now, ctx));
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }

  /** Returns the usable keys of {@code set}, each pinned to one algorithm. */
  static JWKSet filter(String issuer, List<String> algorithms, JWKSet set) {
    Map<String, Integer> kidCount = new HashMap<>();
    for (JWK k : set.getKeys()) {
      if (k.getKeyID() != null) {
        kidCount.merge(k.getKeyID(), 1, Integer::sum);
      }
    }
    List<JWK> out = new ArrayList<>();
    for (JWK k : set.getKeys()) {
      String kid = k.getKeyID();
      if (kid != null && kidCount.get(kid) > 1) {
        logger.warning(
            "issuer "
                + issuer
                + ": JWKS has several keys with kid "
                + LogSafe.quote(kid)
                + "; all of them are ignored");
        kidCount.put(kid, -1); // log once
        continue;
      }
      if (kid != null && kidCount.get(kid) < 0) {
        continue;
      }
      String why = unusable(k);
      String alg = why == null ? pin(k, algorithms) : null;
      if (why == null && alg == null) {
        why = "algorithm not allowed for the issuer or not matching the key";
      }
      if (why != null) {
        logger.warning(
            "issuer " + issuer + ": ignoring JWKS key kid " + LogSafe.quote(kid) + ": " + why);
        continue;
      }
      try {
        out.add(pinned(k, alg));
      } catch (RuntimeException e) {
        logger.warning(
            "issuer " + issuer + ": ignoring JWKS key kid " + LogSafe.quote(kid) + ": invalid");
      }
    }
    return new JWKSet(out);
  }

  /** Why a key can never verify a token, or null. */
  static String unusable(JWK k) {
    if (!(k instanceof RSAKey) && !(k instanceof ECKey)) {
      return "key type " + k.getKeyType() + " is not supported (only RSA and EC)";
    }
    if (k.getKeyUse() != null && !KeyUse.SIGNATURE.equals(k.getKeyUse())) {
      return "use is not sig";
    }
    if (k.getKeyOperations() != null && !k.getKeyOperations().contains(KeyOperation.VERIFY)) {
      return "key_ops does not allow verify";
    }
    if (k instanceof RSAKey && k.size() < MIN_RSA_BITS) {
      return "RSA key shorter than " + MIN_RSA_BITS + " bits";
    }
    if (k instanceof ECKey && Algorithms.forCurve(((ECKey) k).getCurve()) == null) {
      return "EC curve is not supported";
    }
    return null;
  }

  /** The one algorithm the key may verify for this issuer, or null. */
  static String pin(JWK k, List<String> algorithms) {
    Algorithm declared = k.getAlgorithm();
    if (k instanceof ECKey) {
      String byCurve = Algorithms.forCurve(((ECKey) k).getCurve());
      if (declared != null && !declared.getName().equals(byCurve)) {
        return null;
      }
      return algorithms.contains(byCurve) ? byCurve : null;
    }
    if (declared != null) {
      String name = declared.getName();
      return Algorithms.isSupported(name) && Algorithms.isRsa(name) && algorithms.contains(name)
          ? name
          : null;
    }
    for (String alg : algorithms) {
      if (Algorithms.isRsa(alg)) {
        return alg;
      }
    }
    return null;
  }

  private static JWK pinned(JWK k, String alg) {
    if (k instanceof RSAKey) {
      RSAKey pub = ((RSAKey) k).toPublicJWK();
      return new RSAKey.Builder(pub).algorithm(Algorithms.jws(alg)).build();
    }
    ECKey pub = ((ECKey) k).toPublicJWK();
    return new ECKey.Builder(pub).algorithm(Algorithms.jws(alg)).build();
  }
}
