package dev.gatehouse.trust.jwt;

import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Client certificates for the certificate-binding (RFC 8705) tests: made here, never committed. */
final class PeerCertificates {
  private PeerCertificates() {}

  /** A self-signed EC certificate for {@code dn}, valid from yesterday to tomorrow. */
  static X509Certificate selfSigned(String dn) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair kp = g.generateKeyPair();
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              new X500Name(dn),
              BigInteger.ONE,
              Date.from(now.minus(Duration.ofDays(1))),
              Date.from(now.plus(Duration.ofDays(1))),
              new X500Name(dn),
              kp.getPublic());
      return new JcaX509CertificateConverter()
          .getCertificate(
              b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A TLS session presenting {@code peer} (none when null). */
  static SSLSession session(X509Certificate peer) {
    if (peer == null) {
      return null;
    }
    return (SSLSession)
        Proxy.newProxyInstance(
            SSLSession.class.getClassLoader(),
            new Class<?>[] {SSLSession.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getPeerCertificates")) {
                return new Certificate[] {peer};
              }
              if (method.getName().equals("getPeerPrincipal")) {
                throw new SSLPeerUnverifiedException("not used");
              }
              return null;
            });
  }
}
