package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.AuthResult.Outcome;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.spiffe.TestPki.Issued;
import dev.gatehouse.trust.spiffe.TestPki.Spec;
import io.grpc.Attributes;
import io.grpc.Metadata;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64.Encoder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Federation: trust domain B's bundle from its SPIFFE bundle endpoint ({@code https_web}), served
 * by the test on 127.0.0.1 with a test-generated TLS certificate.
 */
class BundleEndpointFederationTest {
  private static final String A = "example.org";
  private static final String B = "partner.test";
  private static final String C = "stranger.test";
  private static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  private static final String BILLING = "spiffe://partner.test/billing";
  private static final Issued CA_A = TestPki.rootCa(A);
  private static final Issued CA_B = TestPki.rootCa(B);
  private static final Issued CA_B2 = TestPki.rootCa(B);
  private static final Issued CA_C = TestPki.rootCa(C);
  private static final Issued TLS_CA = TestPki.rootCa("tls.test");
  private static final Issued TLS_SERVER =
      TestPki.leaf(TLS_CA, new Spec().ip("127.0.0.1").keyUsage(null, false));

  @TempDir Path dir;

  private HttpsServer server;
  private volatile String body;
  private final AtomicInteger requests = new AtomicInteger();
  private final List<AutoCloseable> closeAfter = new ArrayList<>();
  private Path tlsCaFile;
  private String url;

  @BeforeEach
  void startEndpoint() throws Exception {
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
    server =
        HttpsServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.createContext(
        "/bundle",
        exchange -> {
          requests.incrementAndGet();
          byte[] out = body.getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("content-type", "application/json");
          exchange.sendResponseHeaders(200, out.length);
          try (OutputStream os = exchange.getResponseBody()) {
            os.write(out);
          }
        });
    server.start();
    url = "https://127.0.0.1:" + server.getAddress().getPort() + "/bundle";
    tlsCaFile = dir.resolve("tls-ca.pem");
    Files.writeString(tlsCaFile, pem(TLS_CA.cert()));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
    server.stop(0);
  }

  private static String pem(X509Certificate cert) throws Exception {
    Encoder enc = java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    return "-----BEGIN CERTIFICATE-----\n"
        + enc.encodeToString(cert.getEncoded())
        + "\n-----END CERTIFICATE-----\n";
  }

  /** A SPIFFE bundle document: the CA as x509-svid key, the JWT keys as jwt-svid keys. */
  static String bundleJson(X509Certificate ca, long refreshHint, JWK... jwtKeys) throws Exception {
    List<Object> keys = new ArrayList<>();
    keys.add(
        new ECKey.Builder(com.nimbusds.jose.jwk.Curve.P_256, (ECPublicKey) ca.getPublicKey())
            .keyUse(new KeyUse("x509-svid"))
            .x509CertChain(List.of(Base64.encode(ca.getEncoded())))
            .build()
            .toJSONObject());
    for (JWK k : jwtKeys) {
      keys.add(
          new ECKey.Builder(k.toECKey())
              .keyUse(new KeyUse("jwt-svid"))
              .build()
              .toPublicJWK()
              .toJSONObject());
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("keys", keys);
    doc.put("spiffe_refresh_hint", refreshHint);
    doc.put("spiffe_sequence", 1);
    return JSONObjectUtils.toJSONString(doc);
  }

  private BundleEndpointFeed feed() {
    BundleEndpointFeed f =
        BundleEndpointFeed.newBuilder()
            .trustDomain(B)
            .url(url)
            .caFile(tlsCaFile)
            .minRefresh(Duration.ofSeconds(1))
            .build();
    closeAfter.add(f);
    return f;
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private static AuthResult present(PeerCertificateTrustSource source, Issued leaf) {
    return source.authenticate(
        IncomingCall.of(
            "gatehouse.test.v1.Probe/Worker",
            new Metadata(),
            null,
            TestPki.session(leaf.presented())));
  }

  private static Issued svid(Issued ca, String id) {
    return TestPki.leaf(ca, Spec.svid(id));
  }

  private PeerCertificateTrustSource federated(BundleEndpointFeed f) {
    return PeerCertificateTrustSource.newBuilder()
        .addBundle(A, List.of(CA_A.cert()))
        .addBundle(B, f.bundles())
        .allow(WORKER, Set.of("w"), Set.of())
        .allow(BILLING, Set.of("invoicer"), Set.of())
        .build();
  }

  @Test
  void federatedX509SvidIsAcceptedOnlyWhenItsTrustDomainIsTrustedAndTheIdAllowed()
      throws Exception {
    body = bundleJson(CA_B.cert(), 300);
    BundleEndpointFeed f = feed();
    PeerCertificateTrustSource source = federated(f);
    await(
        "the partner bundle", () -> f.bundles().x509Authorities(TrustDomain.parse(B)).isPresent());

    AuthResult ok = present(source, svid(CA_B, BILLING));
    assertEquals(Outcome.AUTHENTICATED, ok.outcome(), ok.toString());
    assertEquals(BILLING, ok.principal().orElseThrow().subject());
    assertEquals(Set.of("invoicer"), ok.principal().orElseThrow().roles());

    // Trusted (B's bundle) but not allowed.
    AuthResult notAllowed = present(source, svid(CA_B, "spiffe://partner.test/other"));
    assertEquals(Reason.IDENTITY_NOT_ALLOWED, notAllowed.reason());

    // Not trusted: no bundle for C.
    AuthResult untrusted = present(source, svid(CA_C, "spiffe://stranger.test/billing"));
    assertEquals(Reason.INVALID_CERTIFICATE, untrusted.reason());
    assertTrue(untrusted.detail().contains("no bundle is configured"), untrusted.detail());

    // B's ID from C's CA: only B's bundle may vouch for B.
    AuthResult wrongCa = present(source, svid(CA_C, BILLING));
    assertEquals(Reason.INVALID_CERTIFICATE, wrongCa.reason());

    // Our own trust domain keeps working.
    assertEquals(Outcome.AUTHENTICATED, present(source, svid(CA_A, WORKER)).outcome());
  }

  @Test
  void allowingATrustDomainWithoutBundleFailsAtBuild() {
    body = "{\"keys\":[]}";
    BundleEndpointFeed f = feed();
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                PeerCertificateTrustSource.newBuilder()
                    .addBundle(B, f.bundles())
                    .allowTrustDomain(C, Set.of(), Set.of())
                    .build());
    assertTrue(e.getMessage().contains("has no bundle"), e.getMessage());
  }

  @Test
  void refreshedBundleReplacesTheCaAfterTheRefreshHint() throws Exception {
    body = bundleJson(CA_B.cert(), 1);
    BundleEndpointFeed f = feed();
    PeerCertificateTrustSource source = federated(f);
    Issued oldLeaf = svid(CA_B, BILLING);
    Issued newLeaf = svid(CA_B2, BILLING);
    await("the first bundle", () -> present(source, oldLeaf).outcome() == Outcome.AUTHENTICATED);
    assertEquals(Reason.INVALID_CERTIFICATE, present(source, newLeaf).reason());

    body = bundleJson(CA_B2.cert(), 1);
    await("the new CA", () -> present(source, newLeaf).outcome() == Outcome.AUTHENTICATED);
    AuthResult old = present(source, oldLeaf);
    assertEquals(Reason.INVALID_CERTIFICATE, old.reason(), old.toString());
    assertTrue(requests.get() >= 2);
  }

  @Test
  void endpointNotAuthenticatedByTheConfiguredCaIsNeverUsed() throws Exception {
    body = bundleJson(CA_B.cert(), 300);
    List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
    Handler h =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            warnings.add(r.getMessage());
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger log = Logger.getLogger(BundleEndpointFeed.class.getName());
    log.addHandler(h);
    try {
      Path otherCa = dir.resolve("other-ca.pem");
      Files.writeString(otherCa, pem(TestPki.rootCa("other.tls").cert()));
      BundleEndpointFeed f =
          BundleEndpointFeed.newBuilder().trustDomain(B).url(url).caFile(otherCa).build();
      closeAfter.add(f);
      PeerCertificateTrustSource source = federated(f);
      await("a failed fetch", () -> warnings.stream().anyMatch(m -> m.contains("fetch failed")));
      AuthResult r = present(source, svid(CA_B, BILLING));
      assertEquals(Reason.INVALID_CERTIFICATE, r.reason());
      assertTrue(r.detail().contains("has been received yet"), r.detail());
      assertEquals(0, requests.get());
    } finally {
      log.removeHandler(h);
    }
  }

  @Test
  void federatedJwtSvidIsVerifiedWithTheEndpointsJwtAuthorities() throws Exception {
    ECKey signer = TestTokens.ecKey("b1");
    body = bundleJson(CA_B.cert(), 300, signer);
    BundleEndpointFeed f = feed();
    SpiffeJwtTrustSource source =
        SpiffeJwtTrustSource.newBuilder()
            .serviceAudience("trips")
            .addBundle(B, f.bundles())
            .allow(BILLING, Set.of("invoicer"), Set.of())
            .build();
    closeAfter.add(source);
    await("the JWT keys", () -> f.bundles().jwtAuthorities(TrustDomain.parse(B)).isPresent());

    AuthResult ok =
        jwtCall(source, TestTokens.sign(signer, TestTokens.header("ES256", "b1"), claims(BILLING)));
    assertEquals(Outcome.AUTHENTICATED, ok.outcome(), ok.toString());

    AuthResult notAllowed =
        jwtCall(
            source,
            TestTokens.sign(
                signer, TestTokens.header("ES256", "b1"), claims("spiffe://partner.test/x")));
    assertEquals(Reason.IDENTITY_NOT_ALLOWED, notAllowed.reason());

    ECKey stranger = TestTokens.ecKey("b1");
    AuthResult forged =
        jwtCall(
            source, TestTokens.sign(stranger, TestTokens.header("ES256", "b1"), claims(BILLING)));
    assertEquals(Outcome.REJECTED, forged.outcome());
  }

  private static Map<String, Object> claims(String sub) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("sub", sub);
    c.put("aud", "trips");
    c.put("exp", java.time.Instant.now().getEpochSecond() + 300);
    return c;
  }

  private static AuthResult jwtCall(SpiffeJwtTrustSource source, String token) {
    return source.authenticate(
        IncomingCall.of(
            "gatehouse.test.v1.Probe/Worker",
            ProbeHarness.headers("authorization", "Bearer " + token),
            Attributes.EMPTY));
  }

  @Test
  void configuredBundleEndpointFeedsBothSections() throws Exception {
    ECKey signer = TestTokens.ecKey("b1");
    body = bundleJson(CA_B.cert(), 300, signer);
    Files.writeString(dir.resolve("a.pem"), pem(CA_A.cert()));
    ConfigSections sections =
        ConfigSections.of(PeerCertificateSection.provider(), SpiffeJwtSection.provider());
    String endpoint =
        "{ url: \""
            + url
            + "\", ca_file: tls-ca.pem, refresh_min_seconds: 1,"
            + " refresh_max_seconds: 60 }";
    GatehouseConfig c =
        GatehouseConfig.parse(
            "service_name: trips\n"
                + "internal:\n"
                + "  peer_certificate:\n"
                + "    trust_bundles:\n"
                + "      - { trust_domain: example.org, ca_file: a.pem }\n"
                + "      - { trust_domain: partner.test, bundle_endpoint: "
                + endpoint
                + " }\n"
                + "    allow: [{ identity: \""
                + BILLING
                + "\", roles: [invoicer] }]\n"
                + "  spiffe_jwt:\n"
                + "    bundles:\n"
                + "      - { trust_domain: partner.test, bundle_endpoint: "
                + endpoint
                + " }\n"
                + "    allow: [{ trust_domain: partner.test }]\n",
            dir,
            sections);
    PeerCertificateSection peer = c.section(PeerCertificateSection.provider()).orElseThrow();
    assertEquals(1, peer.liveBundles().size());
    assertEquals(
        Duration.ofSeconds(1), peer.liveBundles().get(0).endpoint().orElseThrow().minRefresh());
    Authenticator certs = PeerCertificateSection.provider().create(peer, c, Optional.empty());
    Authenticator jwts =
        SpiffeJwtSection.provider()
            .create(c.section(SpiffeJwtSection.provider()).orElseThrow(), c, Optional.empty());
    closeAfter.add(certs);
    closeAfter.add(jwts);
    PeerCertificateTrustSource x509 = (PeerCertificateTrustSource) certs;
    Issued leaf = svid(CA_B, BILLING);
    await("the configured endpoint", () -> present(x509, leaf).outcome() == Outcome.AUTHENTICATED);
    await(
        "the configured JWT keys",
        () ->
            jwtCall(
                        (SpiffeJwtTrustSource) jwts,
                        TestTokens.sign(signer, TestTokens.header("ES256", "b1"), claims(BILLING)))
                    .outcome()
                == Outcome.AUTHENTICATED);
    assertEquals(1, requests.get(), "one shared feed serves both sections");
  }

  @Test
  void sourceThatFailsToBuild_closesTheFeedsItOpened() throws Exception {
    body = bundleJson(CA_B.cert(), 300);
    ConfigSections sections = ConfigSections.of(PeerCertificateSection.provider());
    GatehouseConfig c =
        GatehouseConfig.parse(
            "service_name: trips\n"
                + "internal:\n"
                + "  peer_certificate:\n"
                + "    trust_bundles:\n"
                + "      - { trust_domain: partner.test, bundle_endpoint: { url: \""
                + url
                + "\", ca_file: tls-ca.pem } }\n"
                + "    allow: [{ trust_domain: stranger.test }]\n",
            dir,
            sections);
    PeerCertificateSection peer = c.section(PeerCertificateSection.provider()).orElseThrow();
    int before = SharedFeeds.running();

    assertThrows(
        RuntimeException.class,
        () -> PeerCertificateSection.provider().create(peer, c, Optional.empty()));

    assertEquals(before, SharedFeeds.running(), "a feed was left running");
  }

  @Test
  void configRefusesAnHttpEndpointAndAWorkloadApiWithoutItsModule() {
    ConfigSections sections =
        ConfigSections.of(PeerCertificateSection.provider(), SpiffeJwtSection.provider());
    ConfigException http =
        assertThrows(
            ConfigException.class,
            () ->
                GatehouseConfig.parse(
                    "service_name: trips\ninternal:\n  peer_certificate:\n    trust_bundles:\n"
                        + "      - { trust_domain: partner.test, bundle_endpoint: { url:"
                        + " \"http://127.0.0.1/b\" } }\n"
                        + "    allow: [{ trust_domain: partner.test }]\n",
                    dir,
                    sections));
    assertEquals("internal.peer_certificate.trust_bundles[0].bundle_endpoint.url", http.field());
    ConfigException noModule =
        assertThrows(
            ConfigException.class,
            () ->
                GatehouseConfig.parse(
                    "service_name: trips\ninternal:\n  spiffe_jwt:\n    bundles:\n"
                        + "      - { trust_domain: example.org, workload_api: { socket:"
                        + " \"unix:/tmp/agent.sock\" } }\n"
                        + "    allow: [{ trust_domain: example.org }]\n",
                    dir,
                    sections));
    assertEquals("internal.spiffe_jwt.bundles[0].workload_api", noModule.field());
    assertTrue(noModule.getMessage().contains("gatehouse-spiffe-workload"), noModule.getMessage());
  }

  @Test
  void bundleDocumentRulesAreEnforced() throws Exception {
    TrustDomain b = TrustDomain.parse(B);
    SpiffeBundle parsed = SpiffeBundle.parse(b, bundleJson(CA_B.cert(), 42, TestTokens.ecKey("k")));
    assertEquals(List.of(CA_B.cert()), parsed.x509Authorities());
    assertEquals(1, parsed.jwtAuthorities().size());
    assertEquals(Optional.of(Duration.ofSeconds(42)), parsed.refreshHint());
    assertEquals(
        0,
        SpiffeBundle.parse(b, "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAA\",\"use\":\"enc\"}]}")
            .jwtAuthorities()
            .size(),
        "keys of another use are ignored");
    IllegalArgumentException noKid =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SpiffeBundle.parse(
                    b,
                    "{\"keys\":["
                        + new ECKey.Builder(TestTokens.ecKey("x").toPublicJWK())
                            .keyID(null)
                            .keyUse(new KeyUse("jwt-svid"))
                            .build()
                            .toJSONString()
                        + "]}"));
    assertTrue(noKid.getMessage().contains("without kid"), noKid.getMessage());
    IllegalArgumentException badHint =
        assertThrows(
            IllegalArgumentException.class,
            () -> SpiffeBundle.parse(b, "{\"keys\":[],\"spiffe_refresh_hint\":-1}"));
    assertTrue(badHint.getMessage().contains("spiffe_refresh_hint"), badHint.getMessage());
  }

  @Test
  void builderRefusesPlainHttpAndBadRefreshBounds() {
    IllegalArgumentException http =
        assertThrows(
            IllegalArgumentException.class,
            () -> BundleEndpointFeed.newBuilder().trustDomain(B).url("http://127.0.0.1/b").build());
    assertTrue(http.getMessage().contains("https"), http.getMessage());
    IllegalArgumentException bounds =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                BundleEndpointFeed.newBuilder()
                    .trustDomain(B)
                    .url(url)
                    .minRefresh(Duration.ofMinutes(10))
                    .maxRefresh(Duration.ofMinutes(1))
                    .build());
    assertTrue(bounds.getMessage().contains("maxRefresh"), bounds.getMessage());
  }
}
