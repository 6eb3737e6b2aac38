package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.AuthResult.Outcome;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.TestSupport;
import io.grpc.Metadata;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The go-spiffe {@code x509svid/testdata} vectors (spiffe/go-spiffe @ e9973f6). All are expired and
 * most ship without the CA that signed them, so: leaf rules are checked at a fixed instant inside
 * their validity; the one chain whose issuing CA is included ({@code good-leaf-and-intermediate})
 * goes through the whole source with that CA as the bundle; intermediates that are not valid CAs
 * are refused as bundle certificates.
 */
class GoSpiffeVectorTest {
  private static final Instant IN_2022 = Instant.parse("2022-01-01T00:00:00Z");
  private static final Instant MARCH_24_2020 = Instant.parse("2020-03-24T14:30:00Z");
  private static final String WORKLOAD = "spiffe://example.org/workload-1";
  private static final Pattern PEM =
      Pattern.compile("-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]+?)-----END CERTIFICATE-----");

  private static Path dir() {
    return TestSupport.vectors().resolve("go-spiffe-x509svid");
  }

  /** The CERTIFICATE blocks of a vector file (other PEM blocks, such as keys, are skipped). */
  private static List<X509Certificate> certs(String file) throws Exception {
    String text = Files.readString(dir().resolve(file), StandardCharsets.US_ASCII);
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    List<X509Certificate> out = new ArrayList<>();
    Matcher m = PEM.matcher(text);
    while (m.find()) {
      byte[] der = Base64.getMimeDecoder().decode(m.group(1));
      out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
    }
    return out;
  }

  private static X509Certificate leaf(String file) throws Exception {
    return certs(file).get(0);
  }

  @Test
  void goodLeafOnly_leafChecksInsideValidity_accepted() throws Exception {
    SvidLeaf.Result r = SvidLeaf.check(leaf("good-leaf-only.pem"), IN_2022);
    assertNull(r.problem());
    assertEquals(WORKLOAD, r.id().toString());
  }

  @Test
  void goodLeafOnly_leafChecksToday_expired() throws Exception {
    SvidLeaf.Result r =
        SvidLeaf.check(leaf("good-leaf-only.pem"), Instant.parse("2026-01-01T00:00:00Z"));
    assertNotNull(r.problem());
    assertTrue(r.problem().contains("expired"), r.problem());
  }

  @Test
  void goodCertAndKey_leafChecks_accepted() throws Exception {
    for (String file :
        List.of("good-cert-and-key.cert-only.pem", "good-key-and-cert.cert-only.pem")) {
      SvidLeaf.Result r = SvidLeaf.check(leaf(file), MARCH_24_2020);
      assertNull(r.problem(), file);
      assertEquals(WORKLOAD, r.id().toString(), file);
    }
  }

  @Test
  void wrongLeafCaTrue_refused() throws Exception {
    assertLeafRefused("wrong-leaf-ca-true.pem", "is a CA");
  }

  @Test
  void wrongLeafCertSign_refused() throws Exception {
    assertLeafRefused("wrong-leaf-cert-sign.pem", "keyCertSign");
  }

  @Test
  void wrongLeafCrlSign_refused() throws Exception {
    assertLeafRefused("wrong-leaf-crl-sign.pem", "cRLSign");
  }

  @Test
  void wrongLeafNoDigitalSignature_refused() throws Exception {
    assertLeafRefused("wrong-leaf-no-digital-signature.pem", "lacks digitalSignature");
  }

  @Test
  void wrongLeafEmptyId_refused() throws Exception {
    assertLeafRefused("wrong-leaf-empty-id.pem", "0 URI SANs");
  }

  private static void assertLeafRefused(String file, String problem) throws Exception {
    SvidLeaf.Result r = SvidLeaf.check(leaf(file), IN_2022);
    assertNotNull(r.problem(), file);
    assertTrue(r.problem().contains(problem), file + ": " + r.problem());
  }

  @Test
  void corruptCert_unreadable() throws Exception {
    byte[] pem = Files.readAllBytes(dir().resolve("corrupt-cert.pem"));
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    assertThrows(
        CertificateException.class, () -> cf.generateCertificate(new ByteArrayInputStream(pem)));
    // As a bundle file it is refused at build time.
    assertThrows(
        IllegalArgumentException.class,
        () ->
            PeerCertificateTrustSource.newBuilder()
                .addBundle("example.org", dir().resolve("corrupt-cert.pem")));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            PeerCertificateTrustSource.newBuilder()
                .addBundle("example.org", dir().resolve("not-pem")));
  }

  private static PeerCertificateTrustSource sourceAt(X509Certificate ca, Instant at) {
    return PeerCertificateTrustSource.newBuilder()
        .addBundle("example.org", List.of(ca))
        .allow(WORKLOAD, Set.of("w"), Set.of())
        .clock(Clock.fixed(at, ZoneOffset.UTC))
        .build();
  }

  private static AuthResult present(PeerCertificateTrustSource source, X509Certificate... chain) {
    return source.authenticate(
        IncomingCall.of("p.S/M", new Metadata(), null, TestPki.session(chain)));
  }

  @Test
  void goodLeafAndIntermediate_wholeSourceWithItsCaAsBundle_accepted() throws Exception {
    List<X509Certificate> pair = certs("good-leaf-and-intermediate.pem");
    assertEquals(2, pair.size());
    AuthResult r = present(sourceAt(pair.get(1), MARCH_24_2020), pair.get(0));
    assertEquals(Outcome.AUTHENTICATED, r.outcome(), r.toString());
    assertEquals(WORKLOAD, r.principal().orElseThrow().subject());
    // The peer sending the CA as well is accepted.
    assertEquals(
        Outcome.AUTHENTICATED,
        present(sourceAt(pair.get(1), MARCH_24_2020), pair.get(0), pair.get(1)).outcome());
  }

  @Test
  void goodLeafAndIntermediate_today_expired() throws Exception {
    List<X509Certificate> pair = certs("good-leaf-and-intermediate.pem");
    AuthResult r =
        present(sourceAt(pair.get(1), Instant.parse("2026-01-01T00:00:00Z")), pair.get(0));
    assertEquals(Reason.INVALID_CERTIFICATE, r.reason());
    assertTrue(r.detail().contains("expired"), r.detail());
  }

  @Test
  void goodLeafAndIntermediate_underAnotherTrustDomainsBundle_refused() throws Exception {
    List<X509Certificate> pair = certs("good-leaf-and-intermediate.pem");
    PeerCertificateTrustSource other =
        PeerCertificateTrustSource.newBuilder()
            .addBundle("other.org", List.of(pair.get(1)))
            .allowTrustDomain("other.org", Set.of(), Set.of())
            .clock(Clock.fixed(MARCH_24_2020, ZoneOffset.UTC))
            .build();
    AuthResult r = present(other, pair.get(0));
    assertEquals(Reason.INVALID_CERTIFICATE, r.reason());
    assertTrue(
        r.detail().contains("no bundle is configured for trust domain example.org"), r.detail());
  }

  @Test
  void goodLeafOnly_notSignedByTheVectorCa_refusedByChainValidation() throws Exception {
    X509Certificate ca = certs("good-leaf-and-intermediate.pem").get(1);
    // good-leaf-only is inside its validity in 2022 but the vector CA is not; at March 24 2020 the
    // leaf is not yet valid. Either way the chain to that CA does not validate.
    AuthResult r = present(sourceAt(ca, IN_2022), leaf("good-leaf-only.pem"));
    assertEquals(Reason.INVALID_CERTIFICATE, r.reason());
    assertTrue(r.detail().contains("does not validate"), r.detail());
  }

  @Test
  void wrongIntermediates_refusedAsBundleCertificates() throws Exception {
    for (String file :
        List.of("wrong-intermediate-no-ca.pem", "wrong-intermediate-no-key-cert-sign.pem")) {
      X509Certificate intermediate = certs(file).get(1);
      assertThrows(
          IllegalArgumentException.class,
          () -> sourceAt(intermediate, IN_2022),
          file + " intermediate must not be accepted as a CA");
      // Their leaves are themselves acceptable SVID leaves: the defect is the intermediate.
      assertNull(SvidLeaf.check(certs(file).get(0), IN_2022).problem(), file);
    }
  }
}
