package dev.gatehouse.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testkit.example.v1.TripRequest;
import dev.gatehouse.testkit.example.v1.TripWorkersGrpc;
import dev.gatehouse.trust.spiffe.PeerCertificateTrustSource;
import io.grpc.Metadata;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** X.509-SVIDs from a test CA are what the peer-certificate source accepts, per trust domain. */
class TestCaTest {
  private static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  private static final TestCa CA = TestCa.forTrustDomain("example.org");

  private static PeerCertificateTrustSource certs(TestCa... cas) {
    PeerCertificateTrustSource.Builder b = PeerCertificateTrustSource.newBuilder();
    for (TestCa ca : cas) {
      b.addBundle(ca.trustDomain(), ca.bundle());
    }
    return b.allow(WORKER, Set.of("trip-finisher"), Set.of()).build();
  }

  private static AuthResult present(PeerCertificateTrustSource source, X509Svid svid) {
    return source.authenticate(
        IncomingCall.of("trips/Finish", new Metadata(), null, svid.asPeerSession()));
  }

  @Test
  void issuedSvid_isAcceptedWithItsGrant() throws Exception {
    X509Svid svid = CA.issue(WORKER);
    X509Certificate leaf = svid.certificate();
    leaf.verify(CA.certificate().getPublicKey());
    assertEquals(-1, leaf.getBasicConstraints());
    assertTrue(CA.certificate().getBasicConstraints() >= 0);
    AuthResult r = present(certs(CA), svid);
    assertEquals(
        WORKER, r.principal().orElseThrow(() -> new AssertionError(r.toString())).subject());
    assertEquals(Set.of("trip-finisher"), r.principal().orElseThrow().roles());
  }

  @Test
  void expiredSvid_isRefused() {
    Instant now = Instant.now();
    X509Svid old = CA.issue(WORKER, now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)));
    assertEquals(Reason.INVALID_CERTIFICATE, present(certs(CA), old).reason());
  }

  @Test
  void svidOfAnotherCaOfTheSameTrustDomain_isRefused() {
    TestCa rogue = TestCa.forTrustDomain("example.org");
    assertEquals(Reason.INVALID_CERTIFICATE, present(certs(CA), rogue.issue(WORKER)).reason());
  }

  @Test
  void caOfOneTrustDomain_cannotIssueForAnother() {
    assertThrows(IllegalArgumentException.class, () -> CA.issue("spiffe://other.org/ns/x/sa/y"));
    assertThrows(IllegalArgumentException.class, () -> TestCa.forTrustDomain("spiffe://x"));
  }

  @Test
  void toString_neverShowsThePrivateKey() {
    X509Svid svid = CA.issue(WORKER);
    assertFalse(svid.toString().contains(svid.privateKey().toString()));
    assertTrue(svid.toString().contains(WORKER));
  }

  @Test
  void serverWithPeerCertificate_authenticatesInternalCallsOverInProcessMtls() {
    RecordingTrips trips = new RecordingTrips();
    TestCa partner = TestCa.forTrustDomain("partner.org");
    try (TestServer server =
        TestServer.newBuilder()
            .addService(trips.workers())
            .peerCertificate(CA.issue(WORKER))
            .configure(g -> g.addTrustSource(certs(CA, partner)))
            .start()) {
      var trip =
          TripWorkersGrpc.newBlockingStub(server.channel())
              .finishTrip(TripRequest.getDefaultInstance());
      assertEquals(WORKER, trip.getStartedBy());
      assertEquals(
          List.of("peer_certificate"),
          trips.seen.stream().map(c -> c.orElseThrow().trustSource()).toList());
    }
  }
}
