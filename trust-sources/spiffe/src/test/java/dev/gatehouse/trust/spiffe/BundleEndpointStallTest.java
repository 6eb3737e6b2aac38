package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.gatehouse.trust.spiffe.TestPki.Issued;
import dev.gatehouse.trust.spiffe.TestPki.Spec;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bundle endpoint that sends its headers and then stalls mid-body must not freeze the feed: the
 * whole exchange is bounded by the fetch timeout, the feed retries, and a later answer is applied.
 */
class BundleEndpointStallTest {
  private static final String B = "partner.test";
  private static final Issued CA_B = TestPki.rootCa(B);
  private static final Issued TLS_CA = TestPki.rootCa("tls.test");
  private static final Issued TLS_SERVER =
      TestPki.leaf(TLS_CA, new Spec().ip("127.0.0.1").keyUsage(null, false));

  @TempDir Path dir;

  private final CountDownLatch release = new CountDownLatch(1);
  private final ExecutorService handlers = Executors.newCachedThreadPool();
  private HttpsServer server;
  private BundleEndpointFeed feed;

  @AfterEach
  void stop() {
    release.countDown();
    if (feed != null) {
      feed.close();
    }
    if (server != null) {
      server.stop(0);
    }
    handlers.shutdownNow();
  }

  @Test
  void endpointStallingMidBody_timesOutAndALaterAnswerIsApplied() throws Exception {
    String body = BundleEndpointFederationTest.bundleJson(CA_B.cert(), 300);
    AtomicInteger requests = new AtomicInteger();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(
        "server",
        TLS_SERVER.key(),
        new char[0],
        new Certificate[] {TLS_SERVER.cert(), TLS_CA.cert()});
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, new char[0]);
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), null, null);
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.setExecutor(handlers);
    server.createContext(
        "/bundle",
        exchange -> {
          byte[] out = body.getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, out.length);
          try (OutputStream os = exchange.getResponseBody()) {
            if (requests.incrementAndGet() == 1) {
              os.write(out, 0, 10); // headers and a little of the body, then nothing
              os.flush();
              release.await();
              return;
            }
            os.write(out);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    server.start();
    Path caFile = dir.resolve("tls-ca.pem");
    Files.writeString(
        caFile,
        "-----BEGIN CERTIFICATE-----\n"
            + Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(TLS_CA.cert().getEncoded())
            + "\n-----END CERTIFICATE-----\n");

    feed =
        BundleEndpointFeed.newBuilder()
            .trustDomain(B)
            .url("https://127.0.0.1:" + server.getAddress().getPort() + "/bundle")
            .caFile(caFile)
            .minRefresh(Duration.ofSeconds(1))
            .fetchTimeout(Duration.ofMillis(500))
            .build();

    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (feed.bundles().x509Authorities(TrustDomain.parse(B)).isEmpty()
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(
        feed.bundles().x509Authorities(TrustDomain.parse(B)).isPresent(),
        "the feed never recovered from the stalled answer (requests: " + requests.get() + ")");
    assertTrue(requests.get() >= 2, "requests: " + requests.get());
  }
}
