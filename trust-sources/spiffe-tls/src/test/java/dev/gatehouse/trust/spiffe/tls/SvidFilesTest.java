package dev.gatehouse.trust.spiffe.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.trust.spiffe.TrustDomain;
import dev.gatehouse.trust.spiffe.tls.Pki.Issued;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SvidFilesTest {
  private static final String TD = "example.org";
  private static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  private static final Issued CA = Pki.ca(TD);

  @TempDir Path dir;

  private final List<LogRecord> logs = new ArrayList<>();
  private final Logger logger = Logger.getLogger(SvidFiles.class.getName());
  private final Handler handler =
      new Handler() {
        @Override
        public void publish(LogRecord record) {
          synchronized (logs) {
            logs.add(record);
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void captureLogs() {
    logger.addHandler(handler);
  }

  @AfterEach
  void releaseLogs() {
    logger.removeHandler(handler);
  }

  private List<String> warnings() {
    synchronized (logs) {
      return logs.stream()
          .filter(r -> Level.WARNING.equals(r.getLevel()))
          .map(LogRecord::getMessage)
          .toList();
    }
  }

  @Test
  void spiffeHelperLayout_loadsSvidKeyAndBundleOfOwnTrustDomain() throws Exception {
    Issued svid = Pki.svid(CA, WORKER);
    Pki.writeHelperLayout(dir, svid, List.of(CA.cert()));
    try (SvidFiles files = SvidFiles.spiffeHelper(dir).build()) {
      X509Material m = files.current();
      assertEquals(WORKER, m.spiffeId().toString());
      assertEquals(svid.cert(), m.chain().get(0));
      assertEquals(List.of(CA.cert()), m.bundles().get(TrustDomain.parse(TD)));
      assertFalse(
          m.toString().contains(Base64.getEncoder().encodeToString(svid.key().getEncoded())));
    }
  }

  @Test
  void certManagerCsiLayout_withSec1EcKey_loads() throws Exception {
    Issued svid = Pki.svid(CA, WORKER);
    Pki.write(dir.resolve("tls.crt"), Pki.pem(svid.chain()));
    String sec1 = Pki.sec1(svid.key());
    assertTrue(sec1.startsWith("-----BEGIN " + Pki.SEC1_LABEL + "-----"), sec1.substring(0, 40));
    Pki.write(dir.resolve("tls.key"), sec1);
    Pki.write(dir.resolve("ca.crt"), Pki.pem(List.of(CA.cert())));
    try (SvidFiles files = SvidFiles.certManagerCsi(dir).build()) {
      assertEquals(WORKER, files.current().spiffeId().toString());
    }
  }

  @Test
  void build_certificateWithAnotherCertificatesKey_failsNamingTheMismatch() throws Exception {
    Issued a = Pki.svid(CA, WORKER);
    Issued b = Pki.svid(CA, WORKER);
    Pki.writeHelperLayout(dir, a, List.of(CA.cert()));
    Pki.write(dir.resolve("svid_key.pem"), Pki.pkcs8(b.key()));
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> SvidFiles.spiffeHelper(dir).build());
    assertTrue(e.getMessage().contains("privateKey: does not belong to the leaf"), e.getMessage());
    assertTrue(e.getMessage().contains("svid_key.pem"), e.getMessage());
  }

  @Test
  void build_leafWithoutSpiffeId_fails() throws Exception {
    Issued dns = Pki.dnsOnly(CA, "worker.example.org");
    Pki.writeHelperLayout(dir, dns, List.of(CA.cert()));
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> SvidFiles.spiffeHelper(dir).build());
    assertTrue(e.getMessage().contains("0 URI SANs"), e.getMessage());
  }

  @Test
  void halfWrittenPair_newCertificateWithOldKey_isNotApplied_untilTheKeyArrives() throws Exception {
    Issued old = Pki.svid(CA, WORKER);
    Issued next = Pki.svid(CA, WORKER);
    Pki.writeHelperLayout(dir, old, List.of(CA.cert()));
    BlockingQueue<X509Material> applied = new LinkedBlockingQueue<>();
    try (SvidFiles files = SvidFiles.spiffeHelper(dir).pollInterval(Duration.ofHours(1)).build()) {
      files.subscribe(applied::add);

      // The helper has written the new certificate but not yet the new key.
      Pki.write(dir.resolve("svid.pem"), Pki.pem(next.chain()));
      files.reloadNow();
      assertEquals(old.cert(), files.current().chain().get(0));
      assertTrue(applied.isEmpty(), applied::toString);
      List<String> warnings = warnings();
      assertEquals(1, warnings.size(), warnings::toString);
      assertTrue(warnings.get(0).contains("does not belong to the leaf"), warnings.get(0));
      assertTrue(warnings.get(0).contains("keeping the X.509-SVID of " + WORKER), warnings.get(0));
      String keyBase64 = Base64.getEncoder().encodeToString(old.key().getEncoded());
      String nextKeyBase64 = Base64.getEncoder().encodeToString(next.key().getEncoded());
      for (String w : warnings) {
        assertFalse(
            w.contains(keyBase64.substring(0, 40)) || w.contains(nextKeyBase64.substring(0, 40)));
        assertFalse(w.contains(Pki.PKCS8_LABEL), w);
      }

      // The key follows: the consistent set is applied.
      Pki.write(dir.resolve("svid_key.pem"), Pki.pkcs8(next.key()));
      files.reloadNow();
      X509Material now = applied.poll(10, TimeUnit.SECONDS);
      assertEquals(next.cert(), now.chain().get(0));
      assertEquals(next.cert(), files.current().chain().get(0));
    }
  }

  @Test
  void truncatedCertificateFile_isNotApplied() throws Exception {
    Issued old = Pki.svid(CA, WORKER);
    Issued next = Pki.svid(CA, WORKER);
    Pki.writeHelperLayout(dir, old, List.of(CA.cert()));
    try (SvidFiles files = SvidFiles.spiffeHelper(dir).pollInterval(Duration.ofHours(1)).build()) {
      String pem = Pki.pem(next.chain());
      // Cut inside the base64 body, as a reader racing an in-place write may see it.
      Pki.write(dir.resolve("svid.pem"), pem.substring(0, pem.indexOf("-----END") - 40));
      Pki.write(dir.resolve("svid_key.pem"), Pki.pkcs8(next.key()));
      files.reloadNow();
      assertEquals(old.cert(), files.current().chain().get(0));
      assertEquals(1, warnings().size(), warnings()::toString);
    }
  }

  @Test
  void polling_picksUpARotatedSvidAndBundle() throws Exception {
    Issued old = Pki.svid(CA, WORKER);
    Pki.writeHelperLayout(dir, old, List.of(CA.cert()));
    Issued ca2 = Pki.ca(TD);
    Issued next = Pki.svid(ca2, WORKER);
    BlockingQueue<X509Material> applied = new LinkedBlockingQueue<>();
    try (SvidFiles files =
        SvidFiles.spiffeHelper(dir).pollInterval(Duration.ofMillis(20)).build()) {
      files.subscribe(applied::add);
      Pki.writeHelperLayout(dir, next, List.of(CA.cert(), ca2.cert()));
      X509Material m;
      do {
        m = applied.poll(10, TimeUnit.SECONDS);
        assertTrue(m != null, "no reload within 10 s");
      } while (m.bundles().get(TrustDomain.parse(TD)).size() != 2
          || !m.chain().get(0).equals(next.cert()));
      assertEquals(next.cert(), files.current().chain().get(0));
    }
  }

  @Test
  void pollInterval_belowTenMillis_refused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SvidFiles.spiffeHelper(dir).pollInterval(Duration.ofMillis(1)));
    assertTrue(e.getMessage().startsWith("pollInterval"), e.getMessage());
  }
}
