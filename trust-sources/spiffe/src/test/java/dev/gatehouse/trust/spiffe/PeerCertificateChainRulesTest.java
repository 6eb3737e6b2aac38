package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.AuthResult.Outcome;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.trust.spiffe.TestPki.Issued;
import dev.gatehouse.trust.spiffe.TestPki.Spec;
import io.grpc.Metadata;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/**
 * X.509-SVID chain rules of {@link PeerCertificateTrustSource}: a leaf names a workload (an ID with
 * a path), an expired bundle CA or a path-length violation anchors nothing, and one CA key may
 * anchor one trust domain only.
 */
class PeerCertificateChainRulesTest {
  private static final String A = "example.org";
  private static final String B = "other.org";
  private static final Issued CA_A = TestPki.rootCa(A);

  private static AuthResult call(PeerCertificateTrustSource source, Certificate... peer) {
    return source.authenticate(
        IncomingCall.of(
            "gatehouse.test.v1.Probe/Worker", new Metadata(), null, TestPki.session(peer)));
  }

  /**
   * X509-SVID §3.1 / §5.2: a leaf's SPIFFE ID MUST have a non-root path; the validator MUST check
   * it. {@code spiffe://example.org} is the trust domain's own ID (what signing certificates
   * carry), never a workload.
   */
  @Test
  void authenticate_leafWithTrustDomainIdOnly_invalidCertificate() {
    PeerCertificateTrustSource source =
        PeerCertificateTrustSource.newBuilder()
            .addBundle(A, List.of(CA_A.cert()))
            .allowTrustDomain(A, Set.of("member"), Set.of())
            .build();
    Issued leaf = TestPki.leaf(CA_A, Spec.svid("spiffe://example.org"));
    AuthResult r = call(source, leaf.presented());
    assertEquals(Outcome.REJECTED, r.outcome(), r.toString());
    assertEquals(Reason.INVALID_CERTIFICATE, r.reason());
  }

  /**
   * A bundle CA that expired must no longer vouch for anything. Java's PKIX validator never checks
   * a trust anchor's validity, so the source has to (go-spiffe's x509.Verify does).
   */
  @Test
  void authenticate_bundleCaExpired_invalidCertificate() {
    Instant now = TestPki.NOW;
    Issued expiredRoot =
        TestPki.issue(
            null,
            "CN=expired root " + A,
            new Spec()
                .uri("spiffe://" + A)
                .ca(true)
                .keyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign, true)
                .validity(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1))));
    Issued leaf =
        TestPki.leaf(
            expiredRoot,
            Spec.svid("spiffe://example.org/ns/trips/sa/worker")
                .validity(now.minus(Duration.ofDays(2)), now.plus(Duration.ofHours(1))));
    PeerCertificateTrustSource source =
        PeerCertificateTrustSource.newBuilder()
            .addBundle(A, List.of(expiredRoot.cert()))
            .allow("spiffe://example.org/ns/trips/sa/worker", Set.of("w"), Set.of())
            .build();
    AuthResult r = call(source, leaf.presented());
    assertEquals(Outcome.REJECTED, r.outcome(), r.toString());
    assertEquals(Reason.INVALID_CERTIFICATE, r.reason());
  }

  /**
   * "A CA may vouch for one trust domain only" is checked by certificate equality; the same CA key
   * re-issued as a second self-signed certificate (new serial) passes, and then one key vouches for
   * two trust domains: it signs a leaf for B although it is A's CA.
   */
  @Test
  void build_sameCaKeyReissuedForSecondTrustDomain_fails() throws Exception {
    X509Certificate reissued = reissueSelfSigned(CA_A);
    assertThrows(
        IllegalArgumentException.class,
        () ->
            PeerCertificateTrustSource.newBuilder()
                .addBundle(A, List.of(CA_A.cert()))
                .addBundle(B, List.of(reissued))
                .allowTrustDomain(B, Set.of("b"), Set.of())
                .build());
  }

  /**
   * A bundle root whose basicConstraints say pathLenConstraint 0 may only sign leaves directly.
   * Java's PKIX ignores the anchor certificate's own constraints; RFC 5280 path validation as
   * go-spiffe applies it (Go's x509 checks the root's MaxPathLen) refuses a leaf below an
   * intermediate.
   */
  @Test
  void authenticate_intermediateBelowRootWithPathLenZero_invalidCertificate() throws Exception {
    KeyPair rootKey = ecKey();
    X500Name rootName = new X500Name("CN=pathlen0 root");
    X509Certificate root =
        cert(
            rootName,
            rootName,
            rootKey.getPublic(),
            rootKey.getPrivate(),
            new BasicConstraints(0),
            KeyUsage.keyCertSign | KeyUsage.cRLSign,
            "spiffe://" + A);
    KeyPair intKey = ecKey();
    X500Name intName = new X500Name("CN=int below pathlen0");
    X509Certificate intermediate =
        cert(
            rootName,
            intName,
            intKey.getPublic(),
            rootKey.getPrivate(),
            new BasicConstraints(true),
            KeyUsage.keyCertSign | KeyUsage.cRLSign,
            "spiffe://" + A);
    KeyPair leafKey = ecKey();
    X509Certificate leaf =
        cert(
            intName,
            new X500Name("CN=leaf"),
            leafKey.getPublic(),
            intKey.getPrivate(),
            new BasicConstraints(false),
            KeyUsage.digitalSignature,
            "spiffe://example.org/ns/trips/sa/worker");
    PeerCertificateTrustSource source =
        PeerCertificateTrustSource.newBuilder()
            .addBundle(A, List.of(root))
            .allow("spiffe://example.org/ns/trips/sa/worker", Set.of("w"), Set.of())
            .build();
    AuthResult r = call(source, leaf, intermediate);
    assertEquals(Outcome.REJECTED, r.outcome(), r.toString());
    assertEquals(Reason.INVALID_CERTIFICATE, r.reason());
  }

  private static KeyPair ecKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static X509Certificate cert(
      X500Name issuer,
      X500Name subject,
      PublicKey key,
      PrivateKey signer,
      BasicConstraints bc,
      int keyUsage,
      String uri)
      throws Exception {
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            issuer,
            BigInteger.valueOf(System.nanoTime()),
            Date.from(TestPki.NOW.minus(Duration.ofDays(1))),
            Date.from(TestPki.NOW.plus(Duration.ofDays(1))),
            subject,
            key);
    b.addExtension(Extension.basicConstraints, true, bc);
    b.addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
    b.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri)));
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
  }

  private static X509Certificate reissueSelfSigned(Issued ca) throws Exception {
    X500Name subject = X500Name.getInstance(ca.cert().getSubjectX500Principal().getEncoded());
    JcaX509v3CertificateBuilder b =
        new JcaX509v3CertificateBuilder(
            subject,
            BigInteger.valueOf(987654321L),
            Date.from(TestPki.NOW.minus(Duration.ofDays(1))),
            Date.from(TestPki.NOW.plus(Duration.ofDays(30))),
            subject,
            ca.cert().getPublicKey());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    b.addExtension(
        Extension.subjectAlternativeName,
        false,
        new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + B)));
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(ca.key())));
  }
}
