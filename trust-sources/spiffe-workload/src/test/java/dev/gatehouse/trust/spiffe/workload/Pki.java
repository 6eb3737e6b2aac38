package dev.gatehouse.trust.spiffe.workload;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Test CAs and X.509-SVIDs, generated per run. */
final class Pki {
  private static final AtomicLong SERIAL = new AtomicLong(1);

  record Issued(X509Certificate cert, PrivateKey key) {}

  private Pki() {}

  static Issued ca(String trustDomain) {
    return issue(
        null, "CN=ca " + trustDomain + " " + SERIAL.get(), "spiffe://" + trustDomain, true);
  }

  static Issued svid(Issued ca, String id) {
    return issue(ca, "CN=svid " + SERIAL.get(), id, false);
  }

  private static Issued issue(Issued issuer, String dn, String uri, boolean ca) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair kp = g.generateKeyPair();
      X500Name subject = new X500Name(dn);
      X500Name issuerName =
          issuer == null
              ? subject
              : X500Name.getInstance(issuer.cert().getSubjectX500Principal().getEncoded());
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuerName,
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(Duration.ofHours(ca ? 48 : 1))),
              subject,
              kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri)));
      PrivateKey signer = issuer == null ? kp.getPrivate() : issuer.key();
      X509Certificate cert =
          new JcaX509CertificateConverter()
              .getCertificate(
                  b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
      return new Issued(cert, kp.getPrivate());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
