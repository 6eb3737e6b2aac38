package dev.gatehouse.client;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.RSAKey;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

/** Keys generated in the test, and their PEM and JWK encodings. Nothing is ever committed. */
final class TestKeys {
  private TestKeys() {}

  static KeyPair ec() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  static KeyPair ecP384() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp384r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  static KeyPair rsa(int bits) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(bits);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  static String pem(String label, byte[] der) {
    return "-----BEGIN "
        + label
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + label
        + "-----\n";
  }

  /** PKCS#8 private key plus SPKI public key. */
  static String pemWithPublic(KeyPair kp) {
    return pem("PRIVATE KEY", kp.getPrivate().getEncoded())
        + pem("PUBLIC KEY", kp.getPublic().getEncoded());
  }

  /** PKCS#8 private key only (the JDK encoding: an EC key then lacks its public key). */
  static String pemPrivateOnly(KeyPair kp) {
    return pem("PRIVATE KEY", kp.getPrivate().getEncoded());
  }

  /** PKCS#8 P-256 key with the public key embedded in ECPrivateKey, the way OpenSSL writes it. */
  static String pemOpenSslStyle(KeyPair kp) {
    ECPrivateKey priv = (ECPrivateKey) kp.getPrivate();
    ECPublicKey pub = (ECPublicKey) kp.getPublic();
    byte[] point =
        concat(
            new byte[] {0x04},
            unsigned(pub.getW().getAffineX(), 32),
            unsigned(pub.getW().getAffineY(), 32));
    byte[] ecPrivateKey =
        tlv(
            0x30,
            concat(
                new byte[] {0x02, 0x01, 0x01},
                tlv(0x04, unsigned(priv.getS(), 32)),
                tlv(0xA1, tlv(0x03, concat(new byte[] {0x00}, point)))));
    byte[] algId =
        tlv(
            0x30,
            concat(
                tlv(0x06, new byte[] {0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x02, 0x01}),
                tlv(
                    0x06,
                    new byte[] {0x2A, (byte) 0x86, 0x48, (byte) 0xCE, 0x3D, 0x03, 0x01, 0x07})));
    byte[] pkcs8 = tlv(0x30, concat(new byte[] {0x02, 0x01, 0x00}, algId, tlv(0x04, ecPrivateKey)));
    return pem("PRIVATE KEY", pkcs8);
  }

  static ECKey ecJwk(KeyPair kp, String kid) {
    return new ECKey.Builder(Curve.P_256, (ECPublicKey) kp.getPublic())
        .privateKey(kp.getPrivate())
        .keyID(kid)
        .build();
  }

  static RSAKey rsaJwk(KeyPair kp, String kid) {
    return new RSAKey.Builder((RSAPublicKey) kp.getPublic())
        .privateKey(kp.getPrivate())
        .keyID(kid)
        .build();
  }

  static String thumbprint(KeyPair kp) throws Exception {
    if (kp.getPublic() instanceof ECPublicKey ec) {
      return new ECKey.Builder(Curve.P_256, ec).build().computeThumbprint().toString();
    }
    return new RSAKey.Builder((RSAPublicKey) kp.getPublic()).build().computeThumbprint().toString();
  }

  /** Replaces a file the way a secret volume does: write aside, then move over. */
  static void replace(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, content, StandardCharsets.US_ASCII);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static byte[] unsigned(BigInteger v, int size) {
    byte[] raw = v.toByteArray();
    byte[] out = new byte[size];
    int copy = Math.min(raw.length, size);
    System.arraycopy(raw, raw.length - copy, out, size - copy, copy);
    return out;
  }

  private static byte[] tlv(int tag, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int len = value.length;
    if (len < 0x80) {
      out.write(len);
    } else if (len < 0x100) {
      out.write(0x81);
      out.write(len);
    } else {
      out.write(0x82);
      out.write(len >> 8);
      out.write(len & 0xff);
    }
    out.writeBytes(value);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
