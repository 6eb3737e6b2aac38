package dev.gatehouse.trust.spiffe;

import java.lang.reflect.Proxy;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Generates CA, intermediate and leaf certificates in the test (EC P-256, nothing committed), with
 * chosen SANs, keyUsage, basicConstraints and validity. Bouncy Castle is used only to encode the
 * certificates; keys and certificate objects are the JDK's.
 */
final class TestPki {
  // Deliberate: one reference instant for every certificate generated in a test run.
  @SuppressWarnings("TimeInStaticInitializer")
  static final Instant NOW = Instant.now();

  private static final AtomicLong SERIAL = new AtomicLong(1000);

  private TestPki() {}

  /** A certificate with its private key. */
  record Issued(X509Certificate cert, PrivateKey key, List<X509Certificate> chain) {
    /** The chain to present: this certificate, then its issuers below the root. */
    X509Certificate[] presented() {
      return chain.toArray(new X509Certificate[0]);
    }
  }

  /** What goes into a leaf certificate. Defaults: a valid X.509-SVID for {@code uri}. */
  static final class Spec {
    List<GeneralName> sans = new ArrayList<>();
    boolean ca;
    Integer keyUsage = KeyUsage.digitalSignature;
    boolean keyUsageCritical = true;
    KeyPurposeId[] eku;
    Instant notBefore = NOW.minus(Duration.ofHours(1));
    Instant notAfter = NOW.plus(Duration.ofHours(1));

    static Spec svid(String uri) {
      return new Spec().uri(uri);
    }

    Spec uri(String uri) {
      sans.add(new GeneralName(GeneralName.uniformResourceIdentifier, uri));
      return this;
    }

    Spec dns(String dns) {
      sans.add(new GeneralName(GeneralName.dNSName, dns));
      return this;
    }

    Spec ip(String ip) {
      sans.add(new GeneralName(GeneralName.iPAddress, ip));
      return this;
    }

    Spec ca(boolean ca) {
      this.ca = ca;
      return this;
    }

    Spec keyUsage(Integer bits, boolean critical) {
      this.keyUsage = bits;
      this.keyUsageCritical = critical;
      return this;
    }

    Spec eku(KeyPurposeId... eku) {
      this.eku = eku;
      return this;
    }

    Spec validity(Instant notBefore, Instant notAfter) {
      this.notBefore = notBefore;
      this.notAfter = notAfter;
      return this;
    }
  }

  /** A self-signed root CA for a trust domain, with the trust domain's SPIFFE ID as URI SAN. */
  static Issued rootCa(String trustDomain) {
    Spec spec =
        new Spec()
            .uri("spiffe://" + trustDomain)
            .ca(true)
            .keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign, true)
            .validity(NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(30)));
    return issue(null, "CN=root " + trustDomain, spec);
  }

  /** An intermediate CA signed by {@code issuer}. */
  static Issued intermediate(Issued issuer, String trustDomain, Spec spec) {
    return issue(issuer, "CN=intermediate " + trustDomain, spec);
  }

  /** A leaf signed by {@code issuer}. */
  static Issued leaf(Issued issuer, Spec spec) {
    return issue(issuer, "CN=leaf " + SERIAL.get(), spec);
  }

  static Issued issue(Issued issuer, String dn, Spec spec) {
    try {
      KeyPair kp = ecKey();
      X500Name subject = new X500Name(dn);
      X500Name issuerName =
          issuer == null
              ? subject
              : X500Name.getInstance(issuer.cert().getSubjectX500Principal().getEncoded());
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuerName,
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(spec.notBefore),
              Date.from(spec.notAfter),
              subject,
              kp.getPublic());
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(spec.ca));
      if (spec.keyUsage != null) {
        b.addExtension(Extension.keyUsage, spec.keyUsageCritical, new KeyUsage(spec.keyUsage));
      }
      if (!spec.sans.isEmpty()) {
        b.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(spec.sans.toArray(new GeneralName[0])));
      }
      if (spec.eku != null) {
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(spec.eku));
      }
      b.addExtension(
          Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(kp.getPublic()));
      if (issuer != null) {
        b.addExtension(
            Extension.authorityKeyIdentifier,
            false,
            utils.createAuthorityKeyIdentifier(issuer.cert()));
      }
      PrivateKey signer = issuer == null ? kp.getPrivate() : issuer.key();
      X509Certificate cert =
          new JcaX509CertificateConverter()
              .getCertificate(
                  b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
      List<X509Certificate> chain = new ArrayList<>();
      chain.add(cert);
      if (issuer != null
          && issuer.cert().getBasicConstraints() >= 0
          && !issuer
              .cert()
              .getSubjectX500Principal()
              .equals(issuer.cert().getIssuerX500Principal())) {
        chain.addAll(issuer.chain()); // intermediates travel with the leaf; the root does not
      }
      return new Issued(cert, kp.getPrivate(), List.copyOf(chain));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair ecKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  /** A TLS session that only answers {@code getPeerCertificates}. */
  static SSLSession session(Certificate... peer) {
    return (SSLSession)
        Proxy.newProxyInstance(
            SSLSession.class.getClassLoader(),
            new Class<?>[] {SSLSession.class},
            (proxy, method, args) -> {
              if (method.getName().equals("getPeerCertificates")) {
                if (peer.length == 0) {
                  throw new SSLPeerUnverifiedException("peer not authenticated");
                }
                return peer.clone();
              }
              if (method.getName().equals("toString")) {
                return "TestSession";
              }
              if (method.getName().equals("hashCode")) {
                return System.identityHashCode(proxy);
              }
              if (method.getName().equals("equals")) {
                return proxy == args[0];
              }
              throw new UnsupportedOperationException(method.getName());
            });
  }
}
