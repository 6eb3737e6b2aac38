package dev.gatehouse.trust.spiffe.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM reading for SVID files: certificates ({@code CERTIFICATE} blocks) and one unencrypted private
 * key as PKCS#8 ({@code PRIVATE KEY}, what SPIRE's helper writes), SEC1 ({@code EC PRIVATE KEY}) or
 * PKCS#1 ({@code RSA PRIVATE KEY}). Error messages name the file's role, never its content.
 */
final class Pem {
  private static final Pattern BLOCK =
      Pattern.compile(
          "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]*?)-----END \\1-----", Pattern.DOTALL);
  // 1.2.840.10045.2.1 id-ecPublicKey, 1.2.840.113549.1.1.1 rsaEncryption (DER, with tag/length).
  private static final byte[] OID_EC_PUBLIC_KEY = {
    0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01
  };
  private static final byte[] OID_RSA = {
    0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01
  };

  private Pem() {}

  /** Every certificate in {@code pem}; at least one. */
  static List<X509Certificate> certificates(byte[] pem, String what) throws CertificateException {
    String text = new String(pem, StandardCharsets.US_ASCII);
    if (!text.contains("-----BEGIN CERTIFICATE-----")) {
      throw new CertificateException(what + ": no PEM CERTIFICATE block");
    }
    Collection<? extends Certificate> parsed;
    try {
      parsed =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(pem));
    } catch (CertificateException e) {
      throw new CertificateException(what + ": not a readable PEM certificate list", e);
    }
    List<X509Certificate> out = new ArrayList<>();
    for (Certificate c : parsed) {
      if (!(c instanceof X509Certificate x)) {
        throw new CertificateException(what + ": not an X.509 certificate");
      }
      out.add(x);
    }
    int blocks = countBlocks(text, "CERTIFICATE");
    if (out.isEmpty() || out.size() != blocks) {
      // A file cut off mid-write: the parser may stop at the last complete block.
      throw new CertificateException(what + ": incomplete PEM certificate list");
    }
    return out;
  }

  /** The one private key in {@code pem}. */
  static PrivateKey privateKey(byte[] pem, String what) throws GeneralSecurityException {
    String text = new String(pem, StandardCharsets.US_ASCII);
    Matcher m = BLOCK.matcher(text);
    PrivateKey key = null;
    while (m.find()) {
      String type = m.group(1);
      if (!type.endsWith("PRIVATE KEY")) {
        continue;
      }
      if (key != null) {
        throw new GeneralSecurityException(what + ": more than one private key");
      }
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(m.group(2));
      } catch (IllegalArgumentException e) {
        throw new GeneralSecurityException(what + ": bad base64 in the " + type + " block");
      }
      key =
          switch (type) {
            case "PRIVATE KEY" -> pkcs8(der, what);
            case "EC PRIVATE KEY" -> pkcs8(sec1ToPkcs8(der, what), what);
            case "RSA PRIVATE KEY" ->
                pkcs8(
                    sequence(
                        integerZero(), sequence(OID_RSA, new byte[] {0x05, 0x00}), octets(der)),
                    what);
            default ->
                throw new GeneralSecurityException(
                    what + ": " + type + " is not supported (use an unencrypted PKCS#8 key)");
          };
    }
    if (key == null) {
      throw new GeneralSecurityException(what + ": no PEM PRIVATE KEY block");
    }
    return key;
  }

  private static int countBlocks(String text, String type) {
    int n = 0;
    String marker = "-----BEGIN " + type + "-----";
    for (int i = text.indexOf(marker); i >= 0; i = text.indexOf(marker, i + 1)) {
      n++;
    }
    return n;
  }

  private static PrivateKey pkcs8(byte[] der, String what) throws GeneralSecurityException {
    PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
    for (String algorithm : List.of("EC", "RSA", "Ed25519", "Ed448")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(spec);
      } catch (GeneralSecurityException | RuntimeException e) {
        // try the next algorithm
      }
    }
    throw new GeneralSecurityException(what + ": not a readable EC, RSA or EdDSA private key");
  }

  /**
   * Wraps an RFC 5915 ECPrivateKey in a PKCS#8 PrivateKeyInfo, taking the named curve from the
   * key's {@code [0] parameters}.
   */
  private static byte[] sec1ToPkcs8(byte[] sec1, String what) throws GeneralSecurityException {
    try {
      Der outer = new Der(sec1, 0);
      if (outer.tag != 0x30) {
        throw new GeneralSecurityException(what + ": EC PRIVATE KEY is not a DER SEQUENCE");
      }
      int at = outer.valueStart;
      byte[] curve = null;
      while (at < outer.end) {
        Der field = new Der(sec1, at);
        if (field.tag == (byte) 0xa0) {
          Der oid = new Der(sec1, field.valueStart);
          if (oid.tag != 0x06) {
            break;
          }
          curve = java.util.Arrays.copyOfRange(sec1, field.valueStart, oid.end);
        }
        at = field.end;
      }
      if (curve == null) {
        throw new GeneralSecurityException(
            what + ": EC PRIVATE KEY names no curve (parameters missing)");
      }
      return sequence(integerZero(), sequence(OID_EC_PUBLIC_KEY, curve), octets(sec1));
    } catch (IndexOutOfBoundsException e) {
      throw new GeneralSecurityException(what + ": EC PRIVATE KEY is truncated");
    }
  }

  /** One DER TLV header: tag, where the value starts, where the element ends. */
  private static final class Der {
    final byte tag;
    final int valueStart;
    final int end;

    Der(byte[] der, int at) {
      tag = der[at];
      int len = der[at + 1] & 0xff;
      int start = at + 2;
      if (len >= 0x80) {
        int n = len & 0x7f;
        if (n == 0 || n > 3) {
          throw new IndexOutOfBoundsException("DER length");
        }
        len = 0;
        for (int i = 0; i < n; i++) {
          len = (len << 8) | (der[start + i] & 0xff);
        }
        start += n;
      }
      if (start + len > der.length) {
        throw new IndexOutOfBoundsException("DER length");
      }
      valueStart = start;
      end = start + len;
    }
  }

  private static byte[] integerZero() {
    return new byte[] {0x02, 0x01, 0x00};
  }

  private static byte[] octets(byte[] value) {
    return tlv(0x04, value);
  }

  private static byte[] sequence(byte[]... parts) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      body.writeBytes(p);
    }
    return tlv(0x30, body.toByteArray());
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
    } else if (len < 0x10000) {
      out.write(0x82);
      out.write(len >> 8);
      out.write(len & 0xff);
    } else {
      out.write(0x83);
      out.write(len >> 16);
      out.write((len >> 8) & 0xff);
      out.write(len & 0xff);
    }
    out.writeBytes(value);
    return out.toByteArray();
  }
}
