package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.AuthResult.Outcome;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.trust.jwt.CertificateThumbprint;
import dev.gatehouse.trust.spiffe.TestPki.Issued;
import dev.gatehouse.trust.spiffe.TestPki.Spec;
import io.grpc.Metadata;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeerCertificateTrustSourceTest {
  private static final String A = "example.org";
  private static final String B = "other.org";
  private static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  private static final Issued CA_A = TestPki.rootCa(A);
  private static final Issued CA_B = TestPki.rootCa(B);

  private static PeerCertificateTrustSource.Builder builder() {
    return PeerCertificateTrustSource.newBuilder()
        .addBundle(A, List.of(CA_A.cert()))
        .allow(WORKER, Set.of("trip-finisher"), Set.of("trips:write"));
  }

  private static PeerCertificateTrustSource source() {
    return builder().build();
  }

  private static AuthResult call(PeerCertificateTrustSource source, Certificate... peer) {
    return source.authenticate(
        IncomingCall.of(
            "gatehouse.test.v1.Probe/Worker", new Metadata(), null, TestPki.session(peer)));
  }

  private static void assertRefused(AuthResult r, Reason reason, String detailPart) {
    assertEquals(Outcome.REJECTED, r.outcome(), r.toString());
    assertEquals(reason, r.reason());
    assertTrue(r.detail().contains(detailPart), r.detail());
    assertFalse(r.detail().contains("CN="), "no certificate DN in the detail: " + r.detail());
  }

  private static Issued leafA(Spec spec) {
    return TestPki.leaf(CA_A, spec);
  }

  @Test
  void authenticate_sameTlsSessionTwice_chainValidatedOnce() {
    PeerCertificateTrustSource source = source();
    Issued leaf = leafA(Spec.svid(WORKER));
    javax.net.ssl.SSLSession session = TestPki.session(leaf.presented());
    IncomingCall call = IncomingCall.of("p.S/M", new Metadata(), null, session);
    assertEquals(Outcome.AUTHENTICATED, source.authenticate(call).outcome());
    assertEquals(Outcome.AUTHENTICATED, source.authenticate(call).outcome());
    assertEquals(1, source.chainValidations());
    // Another session with the same certificate is validated again.
    assertEquals(Outcome.AUTHENTICATED, call(source, leaf.presented()).outcome());
    assertEquals(2, source.chainValidations());
  }

  @Test
  void authenticate_cachedSessionAfterLeafExpired_refused() {
    MutableClock clock = new MutableClock(TestPki.NOW);
    PeerCertificateTrustSource source = builder().clock(clock).build();
    Issued leaf = leafA(Spec.svid(WORKER));
    IncomingCall call =
        IncomingCall.of("p.S/M", new Metadata(), null, TestPki.session(leaf.presented()));
    assertEquals(Outcome.AUTHENTICATED, source.authenticate(call).outcome());
    clock.set(leaf.cert().getNotAfter().toInstant().plusSeconds(1));
    assertRefused(source.authenticate(call), Reason.INVALID_CERTIFICATE, "expired");
  }

  @Test
  void authenticate_cachedSessionButAnotherSourceWithoutThatBundle_refused() {
    // A changed bundle builds a new source: nothing validated by the old one carries over.
    Issued leaf = leafA(Spec.svid(WORKER));
    IncomingCall call =
        IncomingCall.of("p.S/M", new Metadata(), null, TestPki.session(leaf.presented()));
    assertEquals(Outcome.AUTHENTICATED, source().authenticate(call).outcome());
    PeerCertificateTrustSource withoutA =
        PeerCertificateTrustSource.newBuilder()
            .addBundle(B, List.of(CA_B.cert()))
            .allowTrustDomain(B, Set.of(), Set.of())
            .build();
    assertRefused(withoutA.authenticate(call), Reason.INVALID_CERTIFICATE, "no bundle");
  }

  @Test
  void authenticate_noTlsSession_noCredential() {
    AuthResult r =
        source()
            .authenticate(
                IncomingCall.of("p.S/M", new Metadata(), null, (javax.net.ssl.SSLSession) null));
    assertEquals(Outcome.NO_CREDENTIAL, r.outcome());
  }

  @Test
  void authenticate_sessionWithoutPeerCertificate_noCredential() {
    assertEquals(Outcome.NO_CREDENTIAL, call(source()).outcome());
  }

  @Test
  void authenticate_validSvidOnAllowList_servicePrincipalWithGrant() {
    Issued leaf = leafA(Spec.svid(WORKER));
    AuthResult r = call(source(), leaf.presented());
    assertEquals(Outcome.AUTHENTICATED, r.outcome(), r.toString());
    Principal ctx = r.principal().orElseThrow();
    assertEquals(WORKER, ctx.subject());
    assertEquals(PeerCertificateTrustSource.NAME, source().name());
    assertEquals(Set.of("trip-finisher"), ctx.roles());
    assertEquals(Set.of("trips:write"), ctx.scopes());
    assertEquals(leaf.cert().getNotAfter().toInstant(), ctx.expiry().orElseThrow());
  }

  @Test
  void authenticate_clientAuthExtendedKeyUsage_accepted() {
    Issued leaf =
        leafA(Spec.svid(WORKER).eku(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth));
    assertEquals(Outcome.AUTHENTICATED, call(source(), leaf.presented()).outcome());
  }

  @Test
  void authenticate_serverAuthOnlyExtendedKeyUsage_invalidCertificate() {
    Issued leaf = leafA(Spec.svid(WORKER).eku(KeyPurposeId.id_kp_serverAuth));
    assertRefused(call(source(), leaf.presented()), Reason.INVALID_CERTIFICATE, "extendedKeyUsage");
  }

  @Test
  void authenticate_idNotOnAllowList_identityNotAllowed() {
    Issued leaf = leafA(Spec.svid("spiffe://example.org/ns/trips/sa/intruder"));
    assertRefused(
        call(source(), leaf.presented()),
        Reason.IDENTITY_NOT_ALLOWED,
        "spiffe://example.org/ns/trips/sa/intruder");
  }

  @Test
  void authenticate_trustDomainEntry_grantsEveryMemberAndExactEntryWins() {
    PeerCertificateTrustSource source =
        builder().allowTrustDomain(A, Set.of("member"), Set.of()).build();
    AuthResult other = call(source, leafA(Spec.svid("spiffe://example.org/billing")).presented());
    assertEquals(Set.of("member"), other.principal().orElseThrow().roles());
    AuthResult worker = call(source, leafA(Spec.svid(WORKER)).presented());
    assertEquals(Set.of("trip-finisher"), worker.principal().orElseThrow().roles());
  }

  @Test
  void authenticate_noSubjectAltName_invalidCertificate() {
    assertRefused(
        call(source(), leafA(new Spec()).presented()), Reason.INVALID_CERTIFICATE, "0 URI SANs");
  }

  @Test
  void authenticate_onlyDnsSan_invalidCertificate() {
    assertRefused(
        call(source(), leafA(new Spec().dns("worker.example.org")).presented()),
        Reason.INVALID_CERTIFICATE,
        "0 URI SANs");
  }

  @Test
  void authenticate_twoUriSans_invalidCertificate() {
    Issued leaf = leafA(Spec.svid(WORKER).uri("spiffe://example.org/other"));
    assertRefused(call(source(), leaf.presented()), Reason.INVALID_CERTIFICATE, "2 URI SANs");
  }

  @Test
  void authenticate_uriSanWithUpperCaseTrustDomain_invalidCertificate() {
    Issued leaf = leafA(Spec.svid("spiffe://EXAMPLE.org/ns/trips/sa/worker"));
    assertRefused(
        call(source(), leaf.presented()), Reason.INVALID_CERTIFICATE, "not a valid SPIFFE ID");
  }

  @Test
  void authenticate_uriSanNotSpiffe_invalidCertificate() {
    Issued leaf = leafA(Spec.svid("https://example.org/worker"));
    assertRefused(
        call(source(), leaf.presented()), Reason.INVALID_CERTIFICATE, "not a valid SPIFFE ID");
  }

  @Test
  void authenticate_leafIsCa_invalidCertificate() {
    Issued leaf = leafA(Spec.svid(WORKER).ca(true));
    assertRefused(call(source(), leaf.presented()), Reason.INVALID_CERTIFICATE, "is a CA");
  }

  @Test
  void authenticate_noKeyUsage_invalidCertificate() {
    Issued leaf = leafA(Spec.svid(WORKER).keyUsage(null, true));
    assertRefused(call(source(), leaf.presented()), Reason.INVALID_CERTIFICATE, "no keyUsage");
  }

  @Test
  void authenticate_nonCriticalKeyUsage_invalidCertificate() {
    Issued leaf = leafA(Spec.svid(WORKER).keyUsage(KeyUsage.digitalSignature, false));
    assertRefused(call(source(), leaf.presented()), Reason.INVALID_CERTIFICATE, "not critical");
  }

  @Test
  void authenticate_noDigitalSignature_invalidCertificate() {
    Issued leaf = leafA(Spec.svid(WORKER).keyUsage(KeyUsage.keyEncipherment, true));
    assertRefused(
        call(source(), leaf.presented()), Reason.INVALID_CERTIFICATE, "lacks digitalSignature");
  }

  @Test
  void authenticate_keyCertSignOnLeaf_invalidCertificate() {
    Issued leaf =
        leafA(Spec.svid(WORKER).keyUsage(KeyUsage.digitalSignature | KeyUsage.keyCertSign, true));
    assertRefused(call(source(), leaf.presented()), Reason.INVALID_CERTIFICATE, "keyCertSign");
  }

  @Test
  void authenticate_crlSignOnLeaf_invalidCertificate() {
    Issued leaf =
        leafA(Spec.svid(WORKER).keyUsage(KeyUsage.digitalSignature | KeyUsage.cRLSign, true));
    assertRefused(call(source(), leaf.presented()), Reason.INVALID_CERTIFICATE, "cRLSign");
  }

  @Test
  void authenticate_expiredAtClock_invalidCertificate() {
    Issued leaf = leafA(Spec.svid(WORKER));
    Instant after = leaf.cert().getNotAfter().toInstant().plusSeconds(1);
    PeerCertificateTrustSource source = builder().clock(Clock.fixed(after, ZoneOffset.UTC)).build();
    assertRefused(call(source, leaf.presented()), Reason.INVALID_CERTIFICATE, "expired");
    // One second before notAfter the same certificate is accepted.
    PeerCertificateTrustSource before =
        builder().clock(Clock.fixed(after.minusSeconds(2), ZoneOffset.UTC)).build();
    assertEquals(Outcome.AUTHENTICATED, call(before, leaf.presented()).outcome());
  }

  @Test
  void authenticate_notYetValidAtClock_invalidCertificate() {
    Issued leaf =
        leafA(
            Spec.svid(WORKER)
                .validity(
                    TestPki.NOW.plus(Duration.ofMinutes(5)),
                    TestPki.NOW.plus(Duration.ofHours(1))));
    assertRefused(call(source(), leaf.presented()), Reason.INVALID_CERTIFICATE, "not valid before");
  }

  @Test
  void authenticate_leafOfOtherTrustDomainWithoutBundle_invalidCertificate() {
    Issued leaf = TestPki.leaf(CA_B, Spec.svid("spiffe://other.org/worker"));
    assertRefused(
        call(source(), leaf.presented()),
        Reason.INVALID_CERTIFICATE,
        "no bundle is configured for trust domain other.org");
  }

  @Test
  void authenticate_idOfTrustDomainBSignedByCaA_invalidCertificate() {
    PeerCertificateTrustSource source =
        builder()
            .addBundle(B, List.of(CA_B.cert()))
            .allowTrustDomain(B, Set.of(), Set.of())
            .build();
    Issued forged = TestPki.leaf(CA_A, Spec.svid("spiffe://other.org/worker"));
    assertRefused(
        call(source, forged.presented()), Reason.INVALID_CERTIFICATE, "does not validate");
    // The genuine one from B's CA is accepted.
    Issued genuine = TestPki.leaf(CA_B, Spec.svid("spiffe://other.org/worker"));
    assertEquals(Outcome.AUTHENTICATED, call(source, genuine.presented()).outcome());
  }

  @Test
  void authenticate_idOfTrustDomainASignedByCaB_invalidCertificate() {
    PeerCertificateTrustSource source =
        builder()
            .addBundle(B, List.of(CA_B.cert()))
            .allowTrustDomain(B, Set.of(), Set.of())
            .build();
    Issued forged = TestPki.leaf(CA_B, Spec.svid(WORKER));
    assertRefused(
        call(source, forged.presented()), Reason.INVALID_CERTIFICATE, "does not validate");
  }

  @Test
  void authenticate_selfSignedLeaf_invalidCertificate() {
    Issued self = TestPki.issue(null, "CN=self", Spec.svid(WORKER));
    assertRefused(
        call(source(), self.presented()), Reason.INVALID_CERTIFICATE, "does not validate");
  }

  @Test
  void authenticate_leafSignedByIntermediatePresentedWithIt_accepted() {
    Issued intermediate =
        TestPki.intermediate(
            CA_A,
            A,
            new Spec().uri("spiffe://example.org").ca(true).keyUsage(KeyUsage.keyCertSign, true));
    Issued leaf = TestPki.leaf(intermediate, Spec.svid(WORKER));
    assertEquals(2, leaf.presented().length);
    assertEquals(Outcome.AUTHENTICATED, call(source(), leaf.presented()).outcome());
    // A peer that also sends the root is accepted too.
    assertEquals(
        Outcome.AUTHENTICATED,
        call(source(), leaf.cert(), intermediate.cert(), CA_A.cert()).outcome());
    // Without the intermediate the chain does not reach the bundle.
    assertRefused(call(source(), leaf.cert()), Reason.INVALID_CERTIFICATE, "does not validate");
  }

  @Test
  void authenticate_intermediateNotCa_invalidCertificate() {
    Issued notCa =
        TestPki.intermediate(
            CA_A, A, new Spec().uri("spiffe://example.org").keyUsage(KeyUsage.keyCertSign, true));
    Issued leaf = TestPki.leaf(notCa, Spec.svid(WORKER));
    assertRefused(
        call(source(), leaf.cert(), notCa.cert()), Reason.INVALID_CERTIFICATE, "does not validate");
  }

  @Test
  void authenticate_chainLongerThanMaximum_invalidCertificate() {
    Issued leaf = leafA(Spec.svid(WORKER));
    PeerCertificateTrustSource source = builder().maxChainLength(1).build();
    assertRefused(
        call(source, leaf.cert(), CA_A.cert()),
        Reason.INVALID_CERTIFICATE,
        "more than the maximum");
  }

  @Test
  void build_noBundle_fails() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                PeerCertificateTrustSource.newBuilder().allow(WORKER, Set.of(), Set.of()).build());
    assertTrue(e.getMessage().contains("bundle"), e.getMessage());
  }

  @Test
  void build_noAllowEntry_fails() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                PeerCertificateTrustSource.newBuilder().addBundle(A, List.of(CA_A.cert())).build());
    assertTrue(e.getMessage().contains("allow-list is empty"), e.getMessage());
  }

  @Test
  void build_bundleCertificateNotCa_fails() {
    Issued leaf = leafA(Spec.svid(WORKER));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            PeerCertificateTrustSource.newBuilder()
                .addBundle(A, List.of(leaf.cert()))
                .allow(WORKER, Set.of(), Set.of())
                .build());
  }

  @Test
  void build_sameCaInTwoTrustDomains_fails() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> builder().addBundle(B, List.of(CA_A.cert())).build());
    assertTrue(e.getMessage().contains("one trust domain only"), e.getMessage());
  }

  @Test
  void build_invalidOrMismatchedEntries_fail() {
    assertThrows(
        IllegalArgumentException.class,
        () -> builder().allow("spiffe://EXAMPLE.org/x", Set.of(), Set.of()).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> builder().allow("spiffe://other.org/x", Set.of(), Set.of()).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> builder().allowTrustDomain(B, Set.of(), Set.of()).build());
    assertThrows(
        IllegalArgumentException.class, () -> builder().allow(WORKER, Set.of(), Set.of()).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> builder().allow("spiffe://example.org/y", Set.of(" "), Set.of()).build());
    assertThrows(
        IllegalArgumentException.class, () -> builder().addBundle(A, List.of(CA_A.cert())));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            PeerCertificateTrustSource.newBuilder()
                .addBundle("Example.org", List.of(CA_A.cert()))
                .allowTrustDomain("Example.org", Set.of(), Set.of())
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            PeerCertificateTrustSource.newBuilder()
                .addBundle(A, List.of())
                .allowTrustDomain(A, Set.of(), Set.of())
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () -> PeerCertificateTrustSource.newBuilder().maxChainLength(0));
  }

  @Test
  void addBundle_pemFile_readsCertificates(@TempDir Path dir) throws Exception {
    Path pem = dir.resolve("bundle.pem");
    Files.writeString(pem, pem(CA_A.cert()) + pem(CA_B.cert()), StandardCharsets.US_ASCII);
    PeerCertificateTrustSource source =
        PeerCertificateTrustSource.newBuilder()
            .addBundle(A, pem)
            .allowTrustDomain(A, Set.of(), Set.of())
            .build();
    assertEquals(
        Outcome.AUTHENTICATED, call(source, leafA(Spec.svid(WORKER)).presented()).outcome());
    Path bad = dir.resolve("bad.pem");
    Files.writeString(bad, "not a certificate");
    assertThrows(
        IllegalArgumentException.class,
        () -> PeerCertificateTrustSource.newBuilder().addBundle(A, bad));
  }

  @Test
  void x5tS256_isBase64UrlSha256OfDer() throws Exception {
    Issued leaf = leafA(Spec.svid(WORKER));
    String expected =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(MessageDigest.getInstance("SHA-256").digest(leaf.cert().getEncoded()));
    assertEquals(expected, CertificateThumbprint.x5tS256(leaf.cert()));
    assertEquals(43, expected.length());
    IncomingCall withPeer =
        IncomingCall.of("p.S/M", new Metadata(), null, TestPki.session(leaf.presented()));
    assertEquals(expected, CertificateThumbprint.ofPeer(withPeer).orElseThrow());
    IncomingCall noPeer = IncomingCall.of("p.S/M", new Metadata(), null, TestPki.session());
    assertTrue(CertificateThumbprint.ofPeer(noPeer).isEmpty());
  }

  @Test
  void toString_showsConfigurationOnly() {
    String s = source().toString();
    assertTrue(s.contains(A) && s.contains(WORKER), s);
    assertFalse(s.contains("BEGIN"), s);
  }

  static String pem(X509Certificate cert) throws Exception {
    return "-----BEGIN CERTIFICATE-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
            .encodeToString(cert.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }
}
