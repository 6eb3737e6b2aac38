package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.trust.spiffe.TestPki.Issued;
import dev.gatehouse.trust.spiffe.TestPki.Spec;
import dev.gatehouse.trust.spiffe.X509SvidLeafRules.Role;
import java.security.cert.CertificateException;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.junit.jupiter.api.Test;

class X509SvidLeafRulesTest {
  private static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  private static final Issued CA = TestPki.rootCa("example.org");

  @Test
  void validSvid_returnsItsSpiffeIdForBothRoles() throws Exception {
    Issued leaf =
        TestPki.leaf(
            CA,
            Spec.svid(WORKER).eku(KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth));
    assertEquals(
        WORKER, X509SvidLeafRules.verify(leaf.cert(), Role.CLIENT, TestPki.NOW).toString());
    assertEquals(
        WORKER, X509SvidLeafRules.verify(leaf.cert(), Role.SERVER, TestPki.NOW).toString());
  }

  @Test
  void clientAuthOnlyLeaf_refusedAsServer() {
    Issued leaf = TestPki.leaf(CA, Spec.svid(WORKER).eku(KeyPurposeId.id_kp_clientAuth));
    CertificateException e =
        assertThrows(
            CertificateException.class,
            () -> X509SvidLeafRules.verify(leaf.cert(), Role.SERVER, TestPki.NOW));
    assertTrue(e.getMessage().contains("does not allow server authentication"), e.getMessage());
  }

  @Test
  void serverAuthOnlyLeaf_refusedAsClient() {
    Issued leaf = TestPki.leaf(CA, Spec.svid(WORKER).eku(KeyPurposeId.id_kp_serverAuth));
    CertificateException e =
        assertThrows(
            CertificateException.class,
            () -> X509SvidLeafRules.verify(leaf.cert(), Role.CLIENT, TestPki.NOW));
    assertTrue(e.getMessage().contains("does not allow client authentication"), e.getMessage());
  }

  @Test
  void leafWithoutUriSan_refusedNamingTheCount() {
    Issued leaf = TestPki.leaf(CA, new Spec().dns("worker.example.org"));
    CertificateException e =
        assertThrows(CertificateException.class, () -> X509SvidLeafRules.spiffeId(leaf.cert()));
    assertTrue(e.getMessage().contains("0 URI SANs"), e.getMessage());
  }
}
