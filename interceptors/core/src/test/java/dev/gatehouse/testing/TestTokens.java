package dev.gatehouse.testing;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** Mints test tokens with arbitrary headers and claims; keys are generated per test run. */
public final class TestTokens {
  private TestTokens() {}

  /** A new P-256 key with {@code kid}. */
  public static ECKey ecKey(String kid) {
    try {
      return new ECKeyGenerator(Curve.P_256).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A new 2048-bit RSA key with {@code kid}. */
  public static RSAKey rsaKey(String kid) {
    try {
      return new RSAKeyGenerator(2048).keyID(kid).generate();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A header {@code {"alg": alg, "kid": kid}} (kid omitted when null). */
  public static Map<String, Object> header(String alg, String kid) {
    Map<String, Object> h = new LinkedHashMap<>();
    h.put("alg", alg);
    if (kid != null) {
      h.put("kid", kid);
    }
    return h;
  }

  /** Claims iss, sub, aud, iat = now, exp = now + ttlSeconds. */
  public static Map<String, Object> claims(
      String iss, String sub, Object aud, Instant now, long ttlSeconds) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("iss", iss);
    c.put("sub", sub);
    c.put("aud", aud);
    c.put("iat", now.getEpochSecond());
    c.put("exp", now.getEpochSecond() + ttlSeconds);
    return c;
  }

  /** base64url(JSON(map)). */
  public static String encode(Map<String, Object> json) {
    return Base64URL.encode(JSONObjectUtils.toJSONString(json).getBytes(StandardCharsets.UTF_8))
        .toString();
  }

  /** Signs header.payload with {@code key} using the header's {@code alg}. */
  public static String sign(JWK key, Map<String, Object> header, Map<String, Object> claims) {
    String input = encode(header) + "." + encode(claims);
    return input + "." + signature(key, (String) header.get("alg"), input);
  }

  /** The base64url signature of {@code input} with {@code key} under {@code alg}. */
  public static String signature(JWK key, String alg, String input) {
    try {
      JWSAlgorithm a = JWSAlgorithm.parse(alg);
      JWSSigner signer;
      if (key instanceof ECKey eCKey) {
        signer = new ECDSASigner(eCKey);
      } else if (key instanceof RSAKey rSAKey) {
        // weak keys allowed: tests check that the verifier refuses them
        signer =
            new RSASSASigner(
                rSAKey,
                java.util.Set.of(com.nimbusds.jose.crypto.opts.AllowWeakRSAKey.getInstance()));
      } else {
        throw new IllegalArgumentException("unsupported key");
      }
      return signer.sign(new JWSHeader(a), input.getBytes(StandardCharsets.US_ASCII)).toString();
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An HMAC-SHA256 token keyed with {@code secret}. */
  public static String hmac(byte[] secret, Map<String, Object> header, Map<String, Object> claims) {
    try {
      String input = encode(header) + "." + encode(claims);
      Base64URL sig =
          new MACSigner(secret)
              .sign(new JWSHeader(JWSAlgorithm.HS256), input.getBytes(StandardCharsets.US_ASCII));
      return input + "." + sig;
    } catch (JOSEException e) {
      throw new IllegalStateException(e);
    }
  }
}
