package dev.gatehouse.client;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyOperation;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns PEM (PKCS#8), private-JWK and in-memory keys into {@link LoadedKey}s, checking that the key
 * fits the algorithm and that the public part matches the private part. Every failure is a {@link
 * KeyLoadException} with a log-safe message.
 */
final class KeyLoader {
  private static final int MIN_RSA_BITS = 2048;
  private static final int MAX_KID_LENGTH = 256;
  private static final Pattern PEM_BLOCK =
      Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----");
  private static final Pattern PEM_ANY_BEGIN = Pattern.compile("-----BEGIN ");
  private static final SecureRandom RANDOM = new SecureRandom();

  private KeyLoader() {}

  /**
   * Loads a PEM file's content: exactly one {@code PRIVATE KEY} (unencrypted PKCS#8, EC P-256 or
   * RSA) block, optionally one {@code PUBLIC KEY} block (needed for an EC key whose PKCS#8 does not
   * embed its public key) and optionally {@code EC PARAMETERS}.
   *
   * @param kid the configured key id, or {@code null} for the RFC 7638 thumbprint
   */
  static LoadedKey fromPem(byte[] content, String kid, SigningAlgorithm alg)
      throws KeyLoadException {
    String text = new String(content, StandardCharsets.US_ASCII);
    byte[] privateDer = null;
    byte[] publicDer = null;
    int blocks = 0;
    Matcher m = PEM_BLOCK.matcher(text);
    while (m.find()) {
      blocks++;
      String label = m.group(1);
      byte[] der = decodeBase64(m.group(2));
      switch (label) {
        case "PRIVATE KEY" -> {
          if (privateDer != null) {
            throw new KeyLoadException("PEM holds more than one PRIVATE KEY block");
          }
          privateDer = der;
        }
        case "PUBLIC KEY" -> {
          if (publicDer != null) {
            throw new KeyLoadException("PEM holds more than one PUBLIC KEY block");
          }
          publicDer = der;
        }
        case "EC PARAMETERS" -> {
          // written by `openssl ecparam -genkey`; the curve is also in the PKCS#8 structure
        }
        case "EC PRIVATE KEY", "RSA PRIVATE KEY" ->
            throw new KeyLoadException(
                label
                    + " (SEC1/PKCS#1) is not supported; convert it with"
                    + " `openssl pkcs8 -topk8 -nocrypt`");
        case "ENCRYPTED PRIVATE KEY" ->
            throw new KeyLoadException("encrypted PKCS#8 keys are not supported");
        default -> throw new KeyLoadException("unexpected PEM block: " + label);
      }
    }
    int begins = 0;
    Matcher b = PEM_ANY_BEGIN.matcher(text);
    while (b.find()) {
      begins++;
    }
    if (begins != blocks) {
      throw new KeyLoadException("malformed PEM block");
    }
    if (privateDer == null) {
      throw new KeyLoadException("PEM holds no PRIVATE KEY block");
    }
    try {
      PrivateKey privateKey;
      PublicKey publicKey;
      if (alg.usesRsa()) {
        privateKey = generatePrivate("RSA", privateDer);
        publicKey = publicDer != null ? generatePublic("RSA", publicDer) : rsaPublic(privateKey);
      } else {
        privateKey = generatePrivate("EC", privateDer);
        publicKey =
            publicDer != null
                ? generatePublic("EC", publicDer)
                : ecPublicFromPkcs8((ECPrivateKey) privateKey, privateDer);
      }
      return fromKeyPair(new KeyPair(publicKey, privateKey), kid, alg);
    } finally {
      Arrays.fill(privateDer, (byte) 0);
    }
  }

  /**
   * Loads a private JWK (EC P-256 or RSA) that carries a {@code kid}. An {@code alg}, {@code use}
   * or {@code key_ops} member, when present, must agree with signing under {@code alg}.
   */
  static LoadedKey fromJwk(byte[] content, SigningAlgorithm alg) throws KeyLoadException {
    JWK jwk;
    try {
      jwk = JWK.parse(new String(content, StandardCharsets.UTF_8));
    } catch (ParseException | RuntimeException e) {
      throw new KeyLoadException("not a valid JWK (" + e.getClass().getSimpleName() + ")");
    }
    if (!jwk.isPrivate()) {
      throw new KeyLoadException("the JWK has no private part");
    }
    if (jwk.getKeyID() == null) {
      throw new KeyLoadException("the JWK has no kid");
    }
    if (jwk.getAlgorithm() != null && !jwk.getAlgorithm().getName().equals(alg.name())) {
      throw new KeyLoadException(
          "the JWK's alg " + jwk.getAlgorithm().getName() + " is not the configured " + alg);
    }
    if (jwk.getKeyUse() != null && !KeyUse.SIGNATURE.equals(jwk.getKeyUse())) {
      throw new KeyLoadException("the JWK's use is not sig");
    }
    if (jwk.getKeyOperations() != null && !jwk.getKeyOperations().contains(KeyOperation.SIGN)) {
      throw new KeyLoadException("the JWK's key_ops do not include sign");
    }
    try {
      KeyPair pair;
      if (jwk instanceof ECKey ec) {
        if (alg.usesRsa()) {
          throw new KeyLoadException("an EC key cannot sign " + alg);
        }
        pair = new KeyPair(ec.toECPublicKey(), ec.toECPrivateKey());
      } else if (jwk instanceof RSAKey rsa) {
        if (!alg.usesRsa()) {
          throw new KeyLoadException("an RSA key cannot sign " + alg);
        }
        pair = new KeyPair(rsa.toRSAPublicKey(), rsa.toRSAPrivateKey());
      } else {
        throw new KeyLoadException("unsupported JWK key type " + jwk.getKeyType());
      }
      return fromKeyPair(pair, jwk.getKeyID(), alg);
    } catch (JOSEException e) {
      throw new KeyLoadException(
          "the JWK cannot be converted (" + e.getClass().getSimpleName() + ")");
    }
  }

  /**
   * Checks a key pair against {@code alg} and makes a {@link LoadedKey}.
   *
   * @param kid the key id, or {@code null} for the RFC 7638 thumbprint of the public key
   */
  static LoadedKey fromKeyPair(KeyPair pair, String kid, SigningAlgorithm alg)
      throws KeyLoadException {
    if (pair == null || pair.getPrivate() == null || pair.getPublic() == null) {
      throw new KeyLoadException("the key pair is incomplete");
    }
    if (kid != null) {
      checkKid(kid);
    }
    try {
      JWK publicJwk;
      JWSSigner signer;
      JWSVerifier verifier;
      if (alg.usesRsa()) {
        if (!(pair.getPrivate() instanceof RSAPrivateKey priv)
            || !(pair.getPublic() instanceof RSAPublicKey pub)) {
          throw new KeyLoadException(alg + " needs an RSA key");
        }
        if (pub.getModulus().bitLength() < MIN_RSA_BITS) {
          throw new KeyLoadException("RSA keys must have at least " + MIN_RSA_BITS + " bits");
        }
        publicJwk = new RSAKey.Builder(pub).build();
        signer = new RSASSASigner(priv);
        verifier = new RSASSAVerifier(pub);
      } else {
        if (!(pair.getPrivate() instanceof ECPrivateKey priv)
            || !(pair.getPublic() instanceof ECPublicKey pub)) {
          throw new KeyLoadException(alg + " needs an EC P-256 key");
        }
        if (!Curve.P_256.equals(Curve.forECParameterSpec(priv.getParams()))
            || !Curve.P_256.equals(Curve.forECParameterSpec(pub.getParams()))) {
          throw new KeyLoadException(alg + " needs an EC key on curve P-256");
        }
        publicJwk = new ECKey.Builder(Curve.P_256, pub).build();
        signer = new ECDSASigner(priv, Curve.P_256);
        verifier = new ECDSAVerifier(pub);
      }
      String thumbprint = publicJwk.computeThumbprint().toString();
      String effectiveKid = kid != null ? kid : thumbprint;
      checkMatches(signer, verifier, alg);
      JWK published = withMetadata(publicJwk, effectiveKid, alg);
      return new LoadedKey(effectiveKid, alg, published, signer, thumbprint);
    } catch (JOSEException e) {
      throw new KeyLoadException("the key cannot be used (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static JWK withMetadata(JWK publicJwk, String kid, SigningAlgorithm alg) {
    if (publicJwk instanceof RSAKey rsa) {
      return new RSAKey.Builder(rsa.toPublicJWK())
          .keyID(kid)
          .algorithm(alg.jws())
          .keyUse(KeyUse.SIGNATURE)
          .build();
    }
    ECKey ec = (ECKey) publicJwk;
    return new ECKey.Builder(ec.toPublicJWK())
        .keyID(kid)
        .algorithm(alg.jws())
        .keyUse(KeyUse.SIGNATURE)
        .build();
  }

  /** Signs a random payload and verifies it with the public part: catches a mismatched pair. */
  private static void checkMatches(JWSSigner signer, JWSVerifier verifier, SigningAlgorithm alg)
      throws KeyLoadException, JOSEException {
    byte[] probe = new byte[16];
    RANDOM.nextBytes(probe);
    JWSObject jws = new JWSObject(new JWSHeader(alg.jws()), new Payload(probe));
    jws.sign(signer);
    if (!jws.verify(verifier)) {
      throw new KeyLoadException("the public key does not match the private key");
    }
  }

  static void checkKid(String kid) throws KeyLoadException {
    if (kid.isBlank() || kid.length() > MAX_KID_LENGTH) {
      throw new KeyLoadException("kid must be 1.." + MAX_KID_LENGTH + " characters, not blank");
    }
    for (int i = 0; i < kid.length(); i++) {
      char c = kid.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        throw new KeyLoadException("kid must be printable ASCII without spaces");
      }
    }
  }

  private static byte[] decodeBase64(String body) throws KeyLoadException {
    try {
      return Base64.getDecoder().decode(body.replaceAll("\\s", ""));
    } catch (IllegalArgumentException e) {
      throw new KeyLoadException("malformed base64 in PEM");
    }
  }

  private static PrivateKey generatePrivate(String type, byte[] der) throws KeyLoadException {
    try {
      return KeyFactory.getInstance(type).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new KeyLoadException("PRIVATE KEY is not an unencrypted PKCS#8 " + type + " key");
    }
  }

  private static PublicKey generatePublic(String type, byte[] der) throws KeyLoadException {
    try {
      return KeyFactory.getInstance(type).generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new KeyLoadException(
          "PUBLIC KEY is not an X.509 SubjectPublicKeyInfo " + type + " key");
    }
  }

  private static PublicKey rsaPublic(PrivateKey key) throws KeyLoadException {
    if (!(key instanceof RSAPrivateCrtKey crt) || crt.getPublicExponent() == null) {
      throw new KeyLoadException("RSA key without CRT parameters needs a PUBLIC KEY block");
    }
    try {
      return KeyFactory.getInstance("RSA")
          .generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
    } catch (GeneralSecurityException e) {
      throw new KeyLoadException("RSA public key cannot be derived");
    }
  }

  /**
   * Reads the public key OpenSSL embeds in a PKCS#8 EC key (the optional {@code [1] publicKey} of
   * the RFC 5915 {@code ECPrivateKey}). The JDK's own encoding omits it; then a {@code PUBLIC KEY}
   * block is needed.
   */
  private static PublicKey ecPublicFromPkcs8(ECPrivateKey key, byte[] pkcs8)
      throws KeyLoadException {
    byte[] point = null;
    try {
      Der info = new Der(pkcs8).enter(0x30);
      info.skip(0x02); // version
      info.skip(0x30); // AlgorithmIdentifier
      Der ecKey = new Der(info.read(0x04)).enter(0x30);
      ecKey.skip(0x02); // version 1
      ecKey.skip(0x04); // privateKey
      while (ecKey.hasMore()) {
        int tag = ecKey.peekTag();
        byte[] value = ecKey.read(tag);
        if (tag == 0xA1) {
          byte[] bits = new Der(value).read(0x03);
          if (bits.length < 1 || bits[0] != 0) {
            throw new KeyLoadException("malformed EC public key in PKCS#8");
          }
          point = Arrays.copyOfRange(bits, 1, bits.length);
        }
      }
    } catch (IllegalArgumentException e) {
      throw new KeyLoadException("malformed PKCS#8 structure");
    }
    if (point == null) {
      throw new KeyLoadException(
          "the EC private key does not embed its public key; add a PUBLIC KEY block to the file");
    }
    int size = (key.getParams().getCurve().getField().getFieldSize() + 7) / 8;
    if (point.length != 1 + 2 * size || point[0] != 0x04) {
      throw new KeyLoadException("only uncompressed EC public keys are supported");
    }
    BigInteger x = new BigInteger(1, Arrays.copyOfRange(point, 1, 1 + size));
    BigInteger y = new BigInteger(1, Arrays.copyOfRange(point, 1 + size, point.length));
    try {
      return KeyFactory.getInstance("EC")
          .generatePublic(new ECPublicKeySpec(new ECPoint(x, y), key.getParams()));
    } catch (GeneralSecurityException e) {
      throw new KeyLoadException("EC public key cannot be built");
    }
  }

  /** A minimal DER reader over one level of TLVs (definite lengths only). */
  private static final class Der {
    private final byte[] data;
    private int pos;

    Der(byte[] data) {
      this.data = data;
    }

    boolean hasMore() {
      return pos < data.length;
    }

    int peekTag() {
      if (pos >= data.length) {
        throw new IllegalArgumentException("truncated");
      }
      return data[pos] & 0xff;
    }

    Der enter(int tag) {
      return new Der(read(tag));
    }

    void skip(int tag) {
      read(tag);
    }

    byte[] read(int tag) {
      if (peekTag() != tag) {
        throw new IllegalArgumentException("unexpected tag");
      }
      pos++;
      if (pos >= data.length) {
        throw new IllegalArgumentException("truncated");
      }
      int len = data[pos++] & 0xff;
      if (len >= 0x80) {
        int n = len & 0x7f;
        if (n == 0 || n > 3) {
          throw new IllegalArgumentException("bad length");
        }
        len = 0;
        for (int i = 0; i < n; i++) {
          if (pos >= data.length) {
            throw new IllegalArgumentException("truncated");
          }
          len = (len << 8) | (data[pos++] & 0xff);
        }
      }
      if (len > data.length - pos) {
        throw new IllegalArgumentException("truncated");
      }
      byte[] out = Arrays.copyOfRange(data, pos, pos + len);
      pos += len;
      return out;
    }
  }
}
