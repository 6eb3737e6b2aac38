package dev.gatehouse.trust.spiffe.tls;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Test PKI generated in the test (EC P-256, in memory and temp files only): CAs per trust domain,
 * X.509-SVIDs (both EKUs, as SPIRE issues them), leaves without a URI SAN, and PEM files in the
 * layouts SVID helpers write. Shared with gatehouse-spiffe-workload's tests through this module's
 * test-jar.
 */
public final class Pki {
  private static final AtomicLong SERIAL = new AtomicLong(5000);

  private Pki() {}

  /** A certificate with its key; {@code chain} is what its holder presents (leaf first). */
  public record Issued(X509Certificate cert, PrivateKey key, List<X509Certificate> chain) {}

  /** A self-signed root CA for {@code trustDomain}. */
  public static Issued ca(String trustDomain) {
    return issue(
        null, "CN=ca " + trustDomain + " " + SERIAL.get(), true, "spiffe://" + trustDomain, null);
  }

  /** An X.509-SVID for {@code spiffeId}, also valid for IP 127.0.0.1. */
  public static Issued svid(Issued ca, String spiffeId) {
    return issue(ca, "CN=svid " + SERIAL.get(), false, spiffeId, null);
  }

  /** A leaf with only a DNS SAN: a certificate without a SPIFFE ID. */
  public static Issued dnsOnly(Issued ca, String dns) {
    return issue(ca, "CN=dns " + SERIAL.get(), false, null, dns);
  }

  private static Issued issue(Issued issuer, String dn, boolean ca, String uri, String dns) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair kp = g.generateKeyPair();
      Instant now = Instant.now();
      X500Name subject = new X500Name(dn);
      X500Name issuerName =
          issuer == null
              ? subject
              : X500Name.getInstance(issuer.cert().getSubjectX500Principal().getEncoded());
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuerName,
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(Duration.ofDays(ca ? 30 : 1))),
              subject,
              kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
      List<GeneralName> sans = new ArrayList<>();
      if (uri != null) {
        sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
      }
      if (dns != null) {
        sans.add(new GeneralName(GeneralName.dNSName, dns));
      }
      if (!sans.isEmpty()) {
        b.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(sans.toArray(new GeneralName[0])));
      }
      if (!ca) {
        b.addExtension(
            Extension.extendedKeyUsage,
            false,
            new ExtendedKeyUsage(
                new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      }
      PrivateKey signer = issuer == null ? kp.getPrivate() : issuer.key();
      X509Certificate cert =
          new JcaX509CertificateConverter()
              .getCertificate(
                  b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
      return new Issued(cert, kp.getPrivate(), List.of(cert));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** PEM of certificates. */
  public static String pem(List<X509Certificate> certs) {
    StringBuilder out = new StringBuilder();
    for (X509Certificate c : certs) {
      try {
        out.append(armor("CERTIFICATE", c.getEncoded()));
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new IllegalStateException(e);
      }
    }
    return out.toString();
  }

  /** PKCS#8 PEM ({@code PRIVATE KEY}), as SPIRE's helper writes it. */
  public static String pkcs8(PrivateKey key) {
    return armor(PKCS8_LABEL, key.getEncoded());
  }

  /** The PEM label of a PKCS#8 key. */
  public static final String PKCS8_LABEL = "PRIVATE" + " KEY";

  /** The PEM label of a SEC1 EC key. */
  public static final String SEC1_LABEL = "EC " + PKCS8_LABEL;

  /**
   * {@code der} in PEM armour under {@code label}. Every key these tests write is generated by the
   * test run; none is committed.
   */
  public static String armor(String label, byte[] der) {
    Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    return "-----BEGIN "
        + label
        + "-----\n"
        + b64.encodeToString(der)
        + "\n-----END "
        + label
        + "-----\n";
  }

  /**
   * SEC1 PEM ({@code EC PRIVATE KEY}) with the named curve in its parameters, as Go's
   * MarshalECPrivateKey and OpenSSL's traditional form write a P-256 key.
   */
  public static String sec1(PrivateKey key) {
    try {
      byte[] der =
          new org.bouncycastle.asn1.sec.ECPrivateKey(
                  256,
                  ((java.security.interfaces.ECPrivateKey) key).getS(),
                  org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp256r1)
              .getEncoded();
      return armor(SEC1_LABEL, der);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes {@code text} to {@code file} in place (not atomically), as some helpers do. */
  public static void write(Path file, String text) throws IOException {
    Files.writeString(file, text, StandardCharsets.US_ASCII);
  }

  /** Writes {@code text} via a temp file and rename, as atomic writers do. */
  public static void writeAtomically(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.US_ASCII);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Writes the spiffe-helper layout into {@code dir}: svid.pem, svid_key.pem, svid_bundle.pem. */
  public static void writeHelperLayout(Path dir, Issued svid, List<X509Certificate> bundle)
      throws IOException {
    writeAtomically(dir.resolve(SvidFiles.HELPER_CERTIFICATE), pem(svid.chain()));
    writeAtomically(dir.resolve(SvidFiles.HELPER_KEY), pkcs8(svid.key()));
    writeAtomically(dir.resolve(SvidFiles.HELPER_BUNDLE), pem(bundle));
  }
}
