package dev.gatehouse.trust.spiffe.workload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.AuthResult.Outcome;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.spiffe.PeerCertificateSection;
import dev.gatehouse.trust.spiffe.PeerCertificateTrustSource;
import dev.gatehouse.trust.spiffe.SpiffeJwtTrustSource;
import dev.gatehouse.trust.spiffe.TrustDomain;
import dev.gatehouse.trust.spiffe.tls.Pki;
import dev.gatehouse.trust.spiffe.tls.Pki.Issued;
import io.grpc.Attributes;
import io.grpc.Metadata;
import io.spiffe.workloadapi.grpc.Workload;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The feed against a fake Workload API on a Unix domain socket the test starts. */
class WorkloadApiFeedTest {
  private static final String A = "example.org";
  private static final String B = "partner.test";
  private static final String WORKER = "spiffe://example.org/worker";
  private static final Issued CA_A = Pki.ca(A);
  private static final Issued CA_A2 = Pki.ca(A);
  private static final Issued CA_B = Pki.ca(B);

  private Path dir;
  private Path socket;
  private FakeWorkloadApi agent;
  private final List<AutoCloseable> closeAfter = new ArrayList<>();

  @BeforeEach
  void startAgent() throws Exception {
    // A short path: Unix socket paths are limited to about 100 bytes.
    dir = Files.createTempDirectory(Path.of("/tmp"), "gh-wl");
    socket = dir.resolve("agent.sock");
    agent = new FakeWorkloadApi(socket);
    agent.start();
  }

  @AfterEach
  void stopAgent() throws Exception {
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
    agent.close();
    Files.deleteIfExists(socket);
    Files.deleteIfExists(dir.resolve("a.pem"));
    Files.deleteIfExists(dir);
  }

  private static ByteString der(X509Certificate... certs) throws Exception {
    ByteString out = ByteString.EMPTY;
    for (X509Certificate c : certs) {
      out = out.concat(ByteString.copyFrom(c.getEncoded()));
    }
    return out;
  }

  private static Workload.X509SVIDResponse context(Issued svid, Issued ownCa, Issued federated)
      throws Exception {
    Workload.X509SVIDResponse.Builder b =
        Workload.X509SVIDResponse.newBuilder()
            .addSvids(
                Workload.X509SVID
                    .newBuilder()
                    .setSpiffeId(WORKER)
                    .setX509Svid(der(svid.cert()))
                    .setX509SvidKey(ByteString.copyFrom(svid.key().getEncoded()))
                    .setBundle(der(ownCa.cert())));
    if (federated != null) {
      b.putFederatedBundles("spiffe://" + B, der(federated.cert()));
    }
    return b.build();
  }

  private static Workload.JWTBundlesResponse jwtBundles(ECKey key) {
    return Workload.JWTBundlesResponse.newBuilder()
        .putBundles(
            "spiffe://" + A,
            ByteString.copyFrom(
                new JWKSet(key.toPublicJWK()).toString(true).getBytes(StandardCharsets.UTF_8)))
        .build();
  }

  private WorkloadApiFeed feed() {
    WorkloadApiFeed f = WorkloadApiFeed.connect("unix:" + socket);
    closeAfter.add(f);
    return f;
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(20);
    }
  }

  private static SSLSession session(Certificate... peer) {
    return (SSLSession)
        Proxy.newProxyInstance(
            SSLSession.class.getClassLoader(),
            new Class<?>[] {SSLSession.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getPeerCertificates" -> peer.clone();
                  case "hashCode" -> System.identityHashCode(proxy);
                  case "equals" -> proxy == args[0];
                  default -> null;
                });
  }

  private static AuthResult present(PeerCertificateTrustSource source, Issued leaf) {
    return source.authenticate(
        IncomingCall.of(
            "gatehouse.test.v1.Probe/Worker", new Metadata(), null, session(leaf.cert())));
  }

  private static PeerCertificateTrustSource certs(WorkloadApiFeed f) {
    return PeerCertificateTrustSource.newBuilder()
        .addBundle(A, f.bundles())
        .addBundle(B, f.bundles())
        .allowTrustDomain(A, Set.of("internal"), Set.of())
        .allow("spiffe://partner.test/billing", Set.of("invoicer"), Set.of())
        .build();
  }

  @Test
  void ownAndFederatedBundlesAndTheOwnSvidAreDelivered() throws Exception {
    Issued own = Pki.svid(CA_A, WORKER);
    ECKey jwtKey = TestTokens.ecKey("a1");
    agent.x509(context(own, CA_A, CA_B));
    agent.jwt(jwtBundles(jwtKey));
    WorkloadApiFeed f = feed();
    List<WorkloadSvid> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    f.addSvidListener(seen::add);
    PeerCertificateTrustSource certs = certs(f);
    await("the X.509 context", () -> f.svid().isPresent());

    WorkloadSvid svid = f.svid().orElseThrow();
    assertArrayEquals(new X509Certificate[] {own.cert()}, svid.chainArray());
    assertArrayEquals(own.key().getEncoded(), svid.privateKey().getEncoded());
    assertEquals(List.of(CA_A.cert()), svid.trustBundle());
    assertEquals(WORKER, svid.id().toString());
    await("the listener", () -> !seen.isEmpty());

    assertEquals(
        Outcome.AUTHENTICATED, present(certs, Pki.svid(CA_A, "spiffe://example.org/x")).outcome());
    AuthResult federated = present(certs, Pki.svid(CA_B, "spiffe://partner.test/billing"));
    assertEquals(Outcome.AUTHENTICATED, federated.outcome(), federated.toString());
    // Federated and trusted, but not allowed.
    assertEquals(
        Reason.IDENTITY_NOT_ALLOWED,
        present(certs, Pki.svid(CA_B, "spiffe://partner.test/other")).reason());
    // A partner ID from our CA: only the partner's bundle vouches for the partner.
    assertEquals(
        Reason.INVALID_CERTIFICATE,
        present(certs, Pki.svid(CA_A, "spiffe://partner.test/billing")).reason());

    SpiffeJwtTrustSource jwts =
        SpiffeJwtTrustSource.newBuilder()
            .serviceAudience("trips")
            .addBundle(A, f.bundles())
            .allow(WORKER, Set.of("w"), Set.of())
            .build();
    closeAfter.add(jwts);
    await("the JWT bundle", () -> f.bundles().jwtAuthorities(TrustDomain.parse(A)).isPresent());
    AuthResult jwt = jwtCall(jwts, token(jwtKey, WORKER));
    assertEquals(Outcome.AUTHENTICATED, jwt.outcome(), jwt.toString());
  }

  @Test
  void bundleUpdateAcceptsTheNewCaAndRefusesTheRemovedOne() throws Exception {
    agent.x509(context(Pki.svid(CA_A, WORKER), CA_A, null));
    WorkloadApiFeed f = feed();
    PeerCertificateTrustSource certs = certs(f);
    Issued oldLeaf = Pki.svid(CA_A, "spiffe://example.org/x");
    Issued newLeaf = Pki.svid(CA_A2, "spiffe://example.org/x");
    await("the first bundle", () -> present(certs, oldLeaf).outcome() == Outcome.AUTHENTICATED);
    assertEquals(Reason.INVALID_CERTIFICATE, present(certs, newLeaf).reason());

    Issued rotated = Pki.svid(CA_A2, WORKER);
    agent.x509(context(rotated, CA_A2, null));
    await("the new CA", () -> present(certs, newLeaf).outcome() == Outcome.AUTHENTICATED);
    assertEquals(Reason.INVALID_CERTIFICATE, present(certs, oldLeaf).reason());
    await("the rotated SVID", () -> f.svid().orElseThrow().leaf().equals(rotated.cert()));
  }

  @Test
  void agentRestartKeepsTheLastBundleAndReconnects() throws Exception {
    agent.x509(context(Pki.svid(CA_A, WORKER), CA_A, CA_B));
    WorkloadApiFeed f = feed();
    PeerCertificateTrustSource certs = certs(f);
    Issued oldLeaf = Pki.svid(CA_A, "spiffe://example.org/x");
    await("the first bundle", () -> present(certs, oldLeaf).outcome() == Outcome.AUTHENTICATED);

    agent.stop();
    // The agent is gone: the last bundle and SVID keep serving.
    assertEquals(Outcome.AUTHENTICATED, present(certs, oldLeaf).outcome());
    assertTrue(f.svid().isPresent());

    int before = agent.x509Subscriptions.get();
    agent.x509(context(Pki.svid(CA_A2, WORKER), CA_A2, CA_B));
    agent.start();
    Issued newLeaf = Pki.svid(CA_A2, "spiffe://example.org/x");
    await("the reconnect", () -> present(certs, newLeaf).outcome() == Outcome.AUTHENTICATED);
    assertTrue(agent.x509Subscriptions.get() > before);
    assertEquals(0, agent.missingHeader.get(), "every request carries workload.spiffe.io: true");
  }

  @Test
  void jwtSvidsAreFetchedPerAudienceAndFailuresNameNoToken() throws Exception {
    ECKey key = TestTokens.ecKey("a1");
    Map<String, String> issued = new java.util.concurrent.ConcurrentHashMap<>();
    agent.jwtSvids(
        audience ->
            audience.equals("trips")
                ? issued.computeIfAbsent(audience, a -> token(key, WORKER))
                : null);
    WorkloadApiFeed f = feed();
    WorkloadApiJwtSvids svids = WorkloadApiJwtSvids.of(f);
    assertEquals(issued.computeIfAbsent("trips", a -> token(key, WORKER)), svids.fetch("trips"));
    IOException e = assertThrows(IOException.class, () -> svids.fetch("other"));
    assertTrue(e.getMessage().contains("PERMISSION_DENIED"), e.getMessage());
    assertFalse(e.getMessage().contains("eyJ"));
  }

  @Test
  void configuredWorkloadApiSourceFeedsPeerCertificate() throws Exception {
    agent.x509(context(Pki.svid(CA_A, WORKER), CA_A, CA_B));
    GatehouseConfig c =
        GatehouseConfig.parse(
            "service_name: trips\n"
                + "internal:\n"
                + "  peer_certificate:\n"
                + "    trust_bundles:\n"
                + "      - { trust_domain: example.org, workload_api: { socket: \"unix:"
                + socket
                + "\" } }\n"
                + "      - { trust_domain: partner.test, workload_api: { socket: \"unix:"
                + socket
                + "\" } }\n"
                + "    allow: [{ trust_domain: partner.test, roles: [partner] }]\n",
            dir,
            ConfigSections.of(PeerCertificateSection.provider()));
    PeerCertificateSection section = c.section(PeerCertificateSection.provider()).orElseThrow();
    assertEquals(2, section.liveBundles().size());
    Authenticator created = PeerCertificateSection.provider().create(section, c, Optional.empty());
    closeAfter.add(created);
    PeerCertificateTrustSource certs = (PeerCertificateTrustSource) created;
    Issued partner = Pki.svid(CA_B, "spiffe://partner.test/billing");
    await("the configured feed", () -> present(certs, partner).outcome() == Outcome.AUTHENTICATED);
    assertEquals(
        Reason.IDENTITY_NOT_ALLOWED,
        present(certs, Pki.svid(CA_A, "spiffe://example.org/x")).reason());
    assertEquals(1, agent.x509Subscriptions.get(), "both trust domains share one connection");
  }

  @Test
  void socketMustBeAUnixPath() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> WorkloadApiFeed.connect("tcp:127.0.0.1:8081"));
    assertTrue(e.getMessage().contains("not a Unix socket path"), e.getMessage());
  }

  private static String token(ECKey key, String sub) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("sub", sub);
    claims.put("aud", "trips");
    claims.put("iat", java.time.Instant.now().getEpochSecond());
    claims.put("exp", java.time.Instant.now().getEpochSecond() + 300);
    return TestTokens.sign(key, TestTokens.header("ES256", key.getKeyID()), claims);
  }

  private static AuthResult jwtCall(SpiffeJwtTrustSource source, String token) {
    return source.authenticate(
        IncomingCall.of(
            "gatehouse.test.v1.Probe/Worker",
            ProbeHarness.headers("authorization", "Bearer " + token),
            Attributes.EMPTY));
  }
}
