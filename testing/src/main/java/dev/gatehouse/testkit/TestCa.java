package dev.gatehouse.testkit;

import static java.util.Objects.requireNonNull;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority of one SPIFFE trust domain, generated in the test (EC P-256, in memory
 * only), that issues X.509-SVIDs.
 *
 * <pre>{@code
 * TestCa ca = TestCa.forTrustDomain("example.org");
 * X509Svid worker = ca.issue("spiffe://example.org/ns/trips/sa/worker");
 * PeerCertificateTrustSource certs = PeerCertificateTrustSource.newBuilder()
 *     .addBundle("example.org", ca.bundle())
 *     .allow(worker.spiffeId(), Set.of("trip-finisher"), Set.of())
 *     .build();
 * }</pre>
 *
 * <p>The root is valid from a day before creation for 30 days, with the trust domain's SPIFFE ID as
 * URI SAN; leaves are valid from an hour before issue for an hour, {@code keyUsage
 * digitalSignature} (critical), {@code extendedKeyUsage clientAuth, serverAuth}, one URI SAN.
 * Certificates are encoded with Bouncy Castle; keys are the JDK's.
 */
public final class TestCa {
  private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime() & 0xffffffL);

  private final String trustDomain;
  private final Clock clock;
  private final KeyPair keys;
  private final X509Certificate root;

  private TestCa(String trustDomain, Clock clock) {
    this.trustDomain = trustDomain;
    this.clock = clock;
    this.keys = generate();
    Instant now = clock.instant();
    X500Name name = new X500Name("CN=testkit root " + trustDomain);
    this.root =
        sign(
            name,
            name,
            keys.getPublic(),
            keys.getPrivate(),
            now.minus(Duration.ofDays(1)),
            now.plus(Duration.ofDays(30)),
            "spiffe://" + trustDomain,
            true,
            null);
  }

  /** A new CA for {@code trustDomain} (e.g. {@code example.org}), using the system clock. */
  public static TestCa forTrustDomain(String trustDomain) {
    return forTrustDomain(trustDomain, Clock.systemUTC());
  }

  /** A new CA whose validity periods are computed from {@code clock}. */
  public static TestCa forTrustDomain(String trustDomain, Clock clock) {
    requireNonNull(trustDomain, "trustDomain");
    requireNonNull(clock, "clock");
    if (!trustDomain.matches("[a-z0-9._-]{1,255}")) {
      throw new IllegalArgumentException(
          "trustDomain must be a SPIFFE trust domain name ([a-z0-9._-], no scheme)");
    }
    return new TestCa(trustDomain, clock);
  }

  /** The trust domain name. */
  public String trustDomain() {
    return trustDomain;
  }

  /** The root certificate. */
  public X509Certificate certificate() {
    return root;
  }

  /** The X.509 bundle of the trust domain: the root, for {@code addBundle(trustDomain, ...)}. */
  public List<X509Certificate> bundle() {
    return List.of(root);
  }

  /** An X.509-SVID for {@code spiffeId}, valid from an hour ago for two hours. */
  public X509Svid issue(String spiffeId) {
    Instant now = clock.instant();
    return issue(spiffeId, now.minus(Duration.ofHours(1)), now.plus(Duration.ofHours(1)));
  }

  /** An X.509-SVID for {@code spiffeId} valid in [{@code notBefore}, {@code notAfter}]. */
  public X509Svid issue(String spiffeId, Instant notBefore, Instant notAfter) {
    requireNonNull(spiffeId, "spiffeId");
    requireNonNull(notBefore, "notBefore");
    requireNonNull(notAfter, "notAfter");
    String prefix = "spiffe://" + trustDomain + "/";
    if (!spiffeId.startsWith(prefix) || spiffeId.length() == prefix.length()) {
      throw new IllegalArgumentException(
          "spiffeId must be a workload ID in trust domain " + trustDomain);
    }
    if (!notAfter.isAfter(notBefore)) {
      throw new IllegalArgumentException("notAfter must be after notBefore");
    }
    KeyPair leafKeys = generate();
    X509Certificate leaf =
        sign(
            X500Name.getInstance(root.getSubjectX500Principal().getEncoded()),
            new X500Name("CN=testkit svid " + SERIAL.get()),
            leafKeys.getPublic(),
            keys.getPrivate(),
            notBefore,
            notAfter,
            spiffeId,
            false,
            root);
    return new X509Svid(spiffeId, List.of(leaf), leafKeys.getPrivate());
  }

  private static KeyPair generate() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("EC P-256 key generation failed", e);
    }
  }

  private static X509Certificate sign(
      X500Name issuer,
      X500Name subject,
      PublicKey subjectKey,
      PrivateKey signer,
      Instant notBefore,
      Instant notAfter,
      String uri,
      boolean ca,
      X509Certificate issuerCert) {
    try {
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuer,
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(notBefore),
              Date.from(notAfter),
              subject,
              subjectKey);
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
      b.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, uri)));
      if (!ca) {
        b.addExtension(
            Extension.extendedKeyUsage,
            false,
            new ExtendedKeyUsage(
                new KeyPurposeId[] {KeyPurposeId.id_kp_clientAuth, KeyPurposeId.id_kp_serverAuth}));
      }
      b.addExtension(
          Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(subjectKey));
      if (issuerCert != null) {
        b.addExtension(
            Extension.authorityKeyIdentifier,
            false,
            utils.createAuthorityKeyIdentifier(issuerCert));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    } catch (CertIOException | OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("certificate generation failed", e);
    }
  }

  @Override
  public String toString() {
    return "TestCa{trustDomain=" + trustDomain + "}";
  }
}
