package dev.gatehouse.trust.spiffe.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatehouse.trust.spiffe.SpiffeId;
import dev.gatehouse.trust.spiffe.TrustDomain;
import dev.gatehouse.trust.spiffe.X509SvidLeafRules.Role;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpiffeTrustManagerTest {
  private static final String TD = "prod.example";

  private static SpiffeTrustManager trusting(List<X509Certificate> bundle) {
    return new SpiffeTrustManager(
        Role.CLIENT, id -> true, "any", Clock.systemUTC(), Map.of(TrustDomain.parse(TD), bundle));
  }

  @Test
  void svidFromTheBundlesCa_accepted() throws Exception {
    Pki.Issued ca = Pki.ca(TD);
    Pki.Issued peer = Pki.svid(ca, "spiffe://" + TD + "/worker");

    SpiffeId id = trusting(List.of(ca.cert())).verify(new X509Certificate[] {peer.cert()});

    assertEquals("spiffe://" + TD + "/worker", id.toString());
  }

  @Test
  void leafInTheBundle_neverVouchesForCertificatesItSigned() {
    Pki.Issued ca = Pki.ca(TD);
    Pki.Issued leaf = Pki.svid(ca, "spiffe://" + TD + "/leaked");
    Pki.Issued forged = Pki.svid(leaf, "spiffe://" + TD + "/admin");

    SpiffeTrustManager tm = trusting(List.of(leaf.cert()));

    assertThrows(
        CertificateException.class, () -> tm.verify(new X509Certificate[] {forged.cert()}));
  }

  @Test
  void isCa_onlyForCaCertificatesWithKeyCertSign() {
    Pki.Issued ca = Pki.ca(TD);
    assertEquals(true, SpiffeTrustManager.isCa(ca.cert()));
    assertEquals(false, SpiffeTrustManager.isCa(Pki.svid(ca, "spiffe://" + TD + "/w").cert()));
  }
}
