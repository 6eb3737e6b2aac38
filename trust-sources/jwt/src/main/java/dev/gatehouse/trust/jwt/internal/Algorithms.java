package dev.gatehouse.trust.jwt.internal;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import java.util.List;
import java.util.Set;

/** The asymmetric JWS algorithms Gatehouse accepts, and how each maps to a key type. */
final class Algorithms {
  /** Every algorithm an issuer may allow. HMAC and {@code none} are never in it. */
  static final List<String> SUPPORTED =
      List.of("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512");

  /** The default per-issuer allow-list. */
  static final List<String> DEFAULT = List.of("ES256", "RS256", "PS256");

  private static final Set<String> SUPPORTED_SET = Set.copyOf(SUPPORTED);

  private Algorithms() {}

  /** Whether {@code alg} is one of {@link #SUPPORTED}. */
  static boolean isSupported(String alg) {
    return alg != null && SUPPORTED_SET.contains(alg);
  }

  static boolean isRsa(String alg) {
    return alg.startsWith("RS") || alg.startsWith("PS");
  }

  static boolean isEc(String alg) {
    return alg.startsWith("ES");
  }

  /** The only algorithm an EC key on {@code curve} may verify, or null for unsupported curves. */
  static String forCurve(Curve curve) {
    if (Curve.P_256.equals(curve)) {
      return "ES256";
    }
    if (Curve.P_384.equals(curve)) {
      return "ES384";
    }
    if (Curve.P_521.equals(curve)) {
      return "ES512";
    }
    return null;
  }

  static JWSAlgorithm jws(String alg) {
    return JWSAlgorithm.parse(alg);
  }
}
