package dev.gatehouse.client;

import static dev.gatehouse.client.FakeRequests.token;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.OctetSequenceKey;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SigningKeySourceTest {
  private static final String TRIPS = "trips.v1.Trips";

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T12:00:00Z"));
  private final List<String> logLines = new ArrayList<>();
  private final Logger sourceLogger = Logger.getLogger(SigningKeySource.class.getName());
  private final Handler capture =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          synchronized (logLines) {
            logLines.add(r.getLevel() + " " + r.getMessage());
          }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void captureLogs() {
    sourceLogger.addHandler(capture);
  }

  @AfterEach
  void releaseLogs() {
    sourceLogger.removeHandler(capture);
  }

  private Path write(String name, String content) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, content, StandardCharsets.US_ASCII);
    return p;
  }

  private ServiceTokenCallCredentials creds(SigningKeySource source) {
    return ServiceTokenCallCredentials.newBuilder()
        .identity("worker")
        .keySource(source)
        .audience("trips")
        .build();
  }

  private static SignedJWT verifiedWith(String jwt, KeyPair kp) throws Exception {
    SignedJWT parsed = SignedJWT.parse(jwt);
    boolean ok =
        kp.getPublic() instanceof ECPublicKey ec
            ? parsed.verify(new ECDSAVerifier(ec))
            : parsed.verify(new RSASSAVerifier((RSAPublicKey) kp.getPublic()));
    assertTrue(ok, "signature verifies with the expected public key");
    return parsed;
  }

  @Test
  void build_pemWithPublicBlock_kidIsRfc7638Thumbprint() throws Exception {
    KeyPair kp = TestKeys.ec();
    SigningKeySource s = SigningKeySource.fromPemFile(write("k.pem", TestKeys.pemWithPublic(kp)));
    assertEquals(TestKeys.thumbprint(kp), s.currentKid());
    assertEquals(SigningAlgorithm.ES256, s.algorithm());
    verifiedWith(token(creds(s), TRIPS), kp);
  }

  @Test
  void build_pemOpenSslStyleEmbeddedPublicKey_loads() throws Exception {
    KeyPair kp = TestKeys.ec();
    SigningKeySource s = SigningKeySource.fromPemFile(write("k.pem", TestKeys.pemOpenSslStyle(kp)));
    assertEquals(TestKeys.thumbprint(kp), s.currentKid());
    verifiedWith(token(creds(s), TRIPS), kp);
  }

  @Test
  void build_pemFromOpenSslGenpkey_loadsWithMatchingThumbprint() throws Exception {
    Path openssl = Path.of("/usr/bin/openssl");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(openssl), "no openssl");
    Path key = dir.resolve("openssl.pem");
    Path pub = dir.resolve("openssl.pub.pem");
    run(
        openssl.toString(),
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        key.toString());
    run(openssl.toString(), "pkey", "-in", key.toString(), "-pubout", "-out", pub.toString());
    String pubPem = Files.readString(pub);
    byte[] spki =
        java.util.Base64.getMimeDecoder().decode(pubPem.replaceAll("-----[A-Z ]+-----", ""));
    java.security.PublicKey publicKey =
        java.security.KeyFactory.getInstance("EC")
            .generatePublic(new java.security.spec.X509EncodedKeySpec(spki));
    SigningKeySource s = SigningKeySource.fromPemFile(key);
    assertEquals(TestKeys.thumbprint(new KeyPair(publicKey, null)), s.currentKid());
    verifiedWith(token(creds(s), TRIPS), new KeyPair(publicKey, null));
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "openssl hung");
    assertEquals(0, p.exitValue(), out);
  }

  @Test
  void build_pemEcWithoutAnyPublicKey_failsAskingForPublicBlock() throws Exception {
    KeyPair kp = TestKeys.ec();
    String pem = TestKeys.pemPrivateOnly(kp);
    Path p = write("k.pem", pem);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SigningKeySource.fromPemFile(p));
    assertTrue(e.getMessage().contains("PUBLIC KEY"), e.getMessage());
    assertNoKeyMaterial(e.getMessage(), pem);
  }

  @Test
  void build_pemRsa_publicDerivedAndSignsRs256() throws Exception {
    KeyPair kp = TestKeys.rsa(2048);
    SigningKeySource s =
        SigningKeySource.newBuilder()
            .pemFile(write("k.pem", TestKeys.pemPrivateOnly(kp)))
            .algorithm(SigningAlgorithm.RS256)
            .build();
    assertEquals(TestKeys.thumbprint(kp), s.currentKid());
    SignedJWT jwt = verifiedWith(token(creds(s), TRIPS), kp);
    assertEquals("RS256", jwt.getHeader().getAlgorithm().getName());
  }

  @Test
  void build_keyDoesNotFitAlgorithm_fails() throws Exception {
    Path rsa = write("rsa.pem", TestKeys.pemPrivateOnly(TestKeys.rsa(2048)));
    assertThrows(IllegalArgumentException.class, () -> SigningKeySource.fromPemFile(rsa));
    Path ec = write("ec.pem", TestKeys.pemWithPublic(TestKeys.ec()));
    assertThrows(
        IllegalArgumentException.class,
        () -> SigningKeySource.newBuilder().pemFile(ec).algorithm(SigningAlgorithm.PS256).build());
    Path p384 = write("p384.pem", TestKeys.pemWithPublic(TestKeys.ecP384()));
    assertThrows(IllegalArgumentException.class, () -> SigningKeySource.fromPemFile(p384));
    Path small = write("small.pem", TestKeys.pemPrivateOnly(TestKeys.rsa(1024)));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SigningKeySource.newBuilder()
                    .pemFile(small)
                    .algorithm(SigningAlgorithm.RS256)
                    .build());
    assertTrue(e.getMessage().contains("2048"), e.getMessage());
  }

  @Test
  void build_publicBlockOfAnotherKey_failsMismatch() throws Exception {
    KeyPair a = TestKeys.ec();
    KeyPair b = TestKeys.ec();
    String pem =
        TestKeys.pem("PRIVATE KEY", a.getPrivate().getEncoded())
            + TestKeys.pem("PUBLIC KEY", b.getPublic().getEncoded());
    Path p = write("k.pem", pem);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SigningKeySource.fromPemFile(p));
    assertTrue(e.getMessage().contains("does not match"), e.getMessage());
  }

  @Test
  void build_sec1OrEncryptedOrNoPem_failsWithHint() throws Exception {
    Path sec1 = write("sec1.pem", TestKeys.pem("EC PRIVATE KEY", new byte[] {1, 2, 3}));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SigningKeySource.fromPemFile(sec1));
    assertTrue(e.getMessage().contains("openssl pkcs8"), e.getMessage());
    Path enc = write("enc.pem", TestKeys.pem("ENCRYPTED PRIVATE KEY", new byte[] {1, 2, 3}));
    assertThrows(IllegalArgumentException.class, () -> SigningKeySource.fromPemFile(enc));
    Path none = write("none.pem", "hello");
    assertThrows(IllegalArgumentException.class, () -> SigningKeySource.fromPemFile(none));
    Path missing = dir.resolve("missing.pem");
    assertThrows(IllegalArgumentException.class, () -> SigningKeySource.fromPemFile(missing));
  }

  @Test
  void build_privateJwkFile_usesItsKid() throws Exception {
    KeyPair kp = TestKeys.ec();
    SigningKeySource s =
        SigningKeySource.fromJwkFile(
            write("k.jwk", TestKeys.ecJwk(kp, "worker-2026").toJSONString()));
    assertEquals("worker-2026", s.currentKid());
    SignedJWT jwt = verifiedWith(token(creds(s), TRIPS), kp);
    assertEquals("worker-2026", jwt.getHeader().getKeyID());

    KeyPair rsa = TestKeys.rsa(2048);
    SigningKeySource r =
        SigningKeySource.newBuilder()
            .jwkFile(write("r.jwk", TestKeys.rsaJwk(rsa, "rsa-1").toJSONString()))
            .algorithm(SigningAlgorithm.PS256)
            .build();
    assertEquals(
        "PS256", verifiedWith(token(creds(r), TRIPS), rsa).getHeader().getAlgorithm().getName());
  }

  @Test
  void build_unusableJwk_fails() throws Exception {
    KeyPair kp = TestKeys.ec();
    ECKey full = TestKeys.ecJwk(kp, "k1");
    List<String> bad =
        List.of(
            full.toPublicJWK().toJSONString(), // no private part
            new ECKey.Builder(full).keyID(null).build().toJSONString(), // no kid
            new ECKey.Builder(full)
                .algorithm(com.nimbusds.jose.JWSAlgorithm.ES384)
                .build()
                .toJSONString(), // alg mismatch
            new ECKey.Builder(full)
                .keyUse(com.nimbusds.jose.jwk.KeyUse.ENCRYPTION)
                .build()
                .toJSONString(), // use enc
            new OctetSequenceKey.Builder(new byte[32]).keyID("h").build().toJSONString(),
            "{not json");
    for (String json : bad) {
      Path p = write("bad.jwk", json);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> SigningKeySource.fromJwkFile(p), json);
      assertFalse(e.getMessage().contains(full.getD().toString()), "no private material");
    }
    Path ok = write("ok.jwk", full.toJSONString());
    assertThrows(
        IllegalArgumentException.class,
        () -> SigningKeySource.newBuilder().jwkFile(ok).kid("other").build());
  }

  @Test
  void build_invalidSettings_fail() {
    assertThrows(IllegalArgumentException.class, () -> SigningKeySource.newBuilder().build());
    KeyPair kp = TestKeys.ec();
    assertThrows(
        IllegalArgumentException.class,
        () -> SigningKeySource.newBuilder().keyPair(kp).checkInterval(Duration.ZERO).build());
    assertThrows(
        IllegalArgumentException.class,
        () -> SigningKeySource.newBuilder().keyPair(kp).kid("has space").build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            SigningKeySource.newBuilder().keyPair(kp).activationDelay(Duration.ofHours(2)).build());
    assertThrows(
        IllegalStateException.class,
        () -> SigningKeySource.newBuilder().keyPair(kp).pemFile(dir.resolve("x")));
  }

  @Test
  void rotation_pemFileRewritten_nextTokenHasNewKid() throws Exception {
    KeyPair a = TestKeys.ec();
    KeyPair b = TestKeys.ec();
    Path p = write("k.pem", TestKeys.pemWithPublic(a));
    SigningKeySource s =
        SigningKeySource.newBuilder()
            .pemFile(p)
            .checkInterval(Duration.ofSeconds(5))
            .clock(clock)
            .build();
    ServiceTokenCallCredentials c = creds(s);
    String first = token(c, TRIPS);
    assertEquals(TestKeys.thumbprint(a), SignedJWT.parse(first).getHeader().getKeyID());

    TestKeys.replace(p, TestKeys.pemWithPublic(b));
    clock.advance(Duration.ofSeconds(4));
    assertEquals(first, token(c, TRIPS), "not checked before the interval");
    assertEquals(0, s.fileReads());

    clock.advance(Duration.ofSeconds(1));
    SignedJWT next = verifiedWith(token(c, TRIPS), b);
    assertEquals(TestKeys.thumbprint(b), next.getHeader().getKeyID());
    assertEquals(1, s.fileReads());
    assertTrue(
        logLines.stream().anyMatch(l -> l.contains("rotated") && l.contains(s.currentKid())));
  }

  @Test
  void rotation_unchangedFile_hashCheckedTokenKept() throws Exception {
    KeyPair a = TestKeys.ec();
    Path p = write("k.pem", TestKeys.pemWithPublic(a));
    SigningKeySource s =
        SigningKeySource.newBuilder()
            .pemFile(p)
            .checkInterval(Duration.ofSeconds(5))
            .clock(clock)
            .build();
    ServiceTokenCallCredentials c = creds(s);
    String first = token(c, TRIPS);
    for (int i = 0; i < 3; i++) {
      clock.advance(Duration.ofSeconds(6));
      assertEquals(first, token(c, TRIPS));
    }
    assertEquals(3, s.fileReads());
  }

  @Test
  void rotation_jwkFileRewritten_nextTokenHasNewKid() throws Exception {
    KeyPair a = TestKeys.ec();
    KeyPair b = TestKeys.ec();
    Path p = write("k.jwk", TestKeys.ecJwk(a, "k-1").toJSONString());
    SigningKeySource s =
        SigningKeySource.newBuilder()
            .jwkFile(p)
            .checkInterval(Duration.ofSeconds(5))
            .clock(clock)
            .build();
    ServiceTokenCallCredentials c = creds(s);
    assertEquals("k-1", SignedJWT.parse(token(c, TRIPS)).getHeader().getKeyID());
    TestKeys.replace(p, TestKeys.ecJwk(b, "k-2").toJSONString());
    clock.advance(Duration.ofSeconds(5));
    assertEquals("k-2", verifiedWith(token(c, TRIPS), b).getHeader().getKeyID());
  }

  @Test
  void rotation_newFileUnreadable_oldKeyKeepsServingAndLogIsClean() throws Exception {
    KeyPair a = TestKeys.ec();
    KeyPair b = TestKeys.ec();
    Path p = write("k.pem", TestKeys.pemWithPublic(a));
    SigningKeySource s =
        SigningKeySource.newBuilder()
            .pemFile(p)
            .checkInterval(Duration.ofSeconds(5))
            .clock(clock)
            .build();
    ServiceTokenCallCredentials c = creds(s);
    String kidA = TestKeys.thumbprint(a);
    String first = token(c, TRIPS);

    // half-written key: parse fails
    String good = TestKeys.pemWithPublic(b);
    String truncated = good.substring(0, good.length() / 2) + "\n-----END PRIVATE KEY-----\n";
    TestKeys.replace(p, truncated);
    clock.advance(Duration.ofSeconds(5));
    String during = token(c, TRIPS);
    assertEquals(first, during, "old token, old key");
    verifiedWith(during, a);
    assertEquals(kidA, s.currentKid());

    // file gone (a symlink swap in progress)
    Files.delete(p);
    clock.advance(Duration.ofSeconds(5));
    assertEquals(kidA, SignedJWT.parse(token(c, TRIPS)).getHeader().getKeyID());

    // a key that does not fit the algorithm
    TestKeys.replace(p, TestKeys.pemPrivateOnly(TestKeys.rsa(2048)));
    clock.advance(Duration.ofSeconds(5));
    assertEquals(kidA, SignedJWT.parse(token(c, TRIPS)).getHeader().getKeyID());

    List<String> warnings;
    synchronized (logLines) {
      warnings = logLines.stream().filter(l -> l.startsWith("WARNING")).toList();
    }
    assertEquals(3, warnings.size(), warnings.toString());
    for (String w : warnings) {
      assertTrue(w.contains(kidA), "names the kid still in use: " + w);
      assertTrue(w.contains(p.toString()), "names the file: " + w);
      assertNoKeyMaterial(w, good);
    }

    // repaired: rotates
    TestKeys.replace(p, good);
    clock.advance(Duration.ofSeconds(5));
    assertEquals(TestKeys.thumbprint(b), verifiedWith(token(c, TRIPS), b).getHeader().getKeyID());
  }

  @Test
  void rotation_sameKidNewMaterial_refusedOldKeyKept() throws Exception {
    KeyPair a = TestKeys.ec();
    Path p = write("k.jwk", TestKeys.ecJwk(a, "k-1").toJSONString());
    SigningKeySource s =
        SigningKeySource.newBuilder()
            .jwkFile(p)
            .checkInterval(Duration.ofSeconds(1))
            .clock(clock)
            .build();
    ServiceTokenCallCredentials c = creds(s);
    token(c, TRIPS);
    TestKeys.replace(p, TestKeys.ecJwk(TestKeys.ec(), "k-1").toJSONString());
    clock.advance(Duration.ofSeconds(1));
    verifiedWith(token(c, TRIPS), a);
    assertTrue(logLines.stream().anyMatch(l -> l.contains("kept kid k-1")), logLines.toString());
  }

  @Test
  void rotation_activationDelay_newKeyPublishedFirstThenSigns() throws Exception {
    KeyPair a = TestKeys.ec();
    KeyPair b = TestKeys.ec();
    Path p = write("k.jwk", TestKeys.ecJwk(a, "k-1").toJSONString());
    SigningKeySource s =
        SigningKeySource.newBuilder()
            .jwkFile(p)
            .checkInterval(Duration.ofSeconds(1))
            .activationDelay(Duration.ofSeconds(90))
            .previousKeyRetention(Duration.ofMinutes(10))
            .clock(clock)
            .build();
    ServiceTokenCallCredentials c = creds(s);
    token(c, TRIPS);
    TestKeys.replace(p, TestKeys.ecJwk(b, "k-2").toJSONString());
    clock.advance(Duration.ofSeconds(1));
    assertEquals("k-1", SignedJWT.parse(token(c, TRIPS)).getHeader().getKeyID());
    assertEquals(List.of("k-1", "k-2"), kids(s));

    clock.advance(Duration.ofSeconds(90));
    assertEquals("k-2", verifiedWith(token(c, TRIPS), b).getHeader().getKeyID());
    assertEquals(List.of("k-2", "k-1"), kids(s), "previous still published");

    clock.advance(Duration.ofMinutes(10));
    assertEquals(List.of("k-2"), kids(s), "previous retired after its retention");
  }

  @Test
  void of_keyPair_neverReadsFiles() throws Exception {
    KeyPair kp = TestKeys.ec();
    SigningKeySource s = SigningKeySource.newBuilder().keyPair(kp).kid("mem").clock(clock).build();
    clock.advance(Duration.ofDays(1));
    s.refreshIfDue();
    assertEquals("mem", s.currentKid());
    assertEquals(0, s.fileReads());
    assertNotEquals(null, s.toString());
    assertFalse(s.toString().contains("PRIVATE"));
  }

  private List<String> kids(SigningKeySource s) {
    return s.publicKeys(clock.instant()).stream().map(JWK::getKeyID).toList();
  }

  /** No 16-character run of the key file's base64 appears in {@code text}. */
  private static void assertNoKeyMaterial(String text, String pem) {
    String b64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    for (int i = 0; i + 16 <= b64.length(); i += 8) {
      assertFalse(text.contains(b64.substring(i, i + 16)), "key material in: " + text);
    }
  }
}
