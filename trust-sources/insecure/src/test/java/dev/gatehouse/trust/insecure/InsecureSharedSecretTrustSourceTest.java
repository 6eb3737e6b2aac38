package dev.gatehouse.trust.insecure;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static dev.gatehouse.testing.ProbeHarness.headers;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.testing.TestSupport.LogCapture;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InsecureSharedSecretTrustSourceTest {
  private static final String SECRET = "s3cr3t-0123456789abcdefghijklmnopq"; // 34 bytes
  private static final String HEADER = "x-internal-secret";
  private static final Req REQ = Req.getDefaultInstance();

  @TempDir Path dir;

  private final List<AuditEvent> events = new CopyOnWriteArrayList<>();

  private static InsecureSharedSecretTrustSource.Builder builder() {
    return InsecureSharedSecretTrustSource.newBuilder()
        .devMode(InsecureDevMode.acknowledge())
        .secret(SECRET.getBytes(StandardCharsets.US_ASCII));
  }

  private static AuthResult present(InsecureSharedSecretTrustSource s, String... values) {
    Metadata md = new Metadata();
    for (String v : values) {
      md.put(IncomingCall.key(HEADER), v);
    }
    return s.authenticate(IncomingCall.of("p.S/M", md, null, null));
  }

  private ProbeHarness start(InsecureSharedSecretTrustSource source) throws Exception {
    return ProbeHarness.start(
        h ->
            Gatehouse.newBuilder()
                .addService(h.service())
                .userAuthenticator(TestSupport.noUsers())
                .addTrustSource(source)
                .auditListener(events::add)
                .build());
  }

  @Test
  void build_withoutDevMode_throws() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () ->
                InsecureSharedSecretTrustSource.newBuilder()
                    .secret(SECRET.getBytes(StandardCharsets.US_ASCII))
                    .build());
    assertTrue(e.getMessage().contains("dev mode"), e.getMessage());
    assertFalse(e.getMessage().contains(SECRET));
  }

  @Test
  void build_shortSecret_throws_32BytesAccepted() {
    String s31 = "0123456789abcdefghijklmnopqrstu";
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> builder().secret(s31.getBytes(StandardCharsets.US_ASCII)).build());
    assertFalse(e.getMessage().contains(s31), e.getMessage());
    String s32 = s31 + "v";
    InsecureSharedSecretTrustSource ok =
        builder().secret(s32.getBytes(StandardCharsets.US_ASCII)).build();
    assertEquals(AuthResult.Outcome.AUTHENTICATED, present(ok, s32).outcome());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", // one byte repeated
        "abababababababababababababababababab", // a two-byte pattern
        "abcabcabcabcabcabcabcabcabcabcabcabc", // a three-byte pattern
        "0123456789abcdef0123456789abcdef", // a 16-byte string written twice
        "0123456789abcdef0123456789abcdef0123", // ... and cut short
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa123456", // fewer than 10 distinct characters
      })
  void build_lowEntropySecret_throwsWithoutQuotingIt(String secret) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> builder().secret(secret.getBytes(StandardCharsets.US_ASCII)).build());
    assertTrue(
        e.getMessage()
                .equals(
                    "shared_secret: the secret repeats a shorter pattern; generate a random one")
            || e.getMessage()
                .equals(
                    "shared_secret: the secret has fewer than 10 distinct characters; generate a"
                        + " random one"),
        e.getMessage());
    assertFalse(e.getMessage().contains(secret.substring(0, 8)), e.getMessage());
  }

  @Test
  void build_randomLookingSecretWithRepeatedCharacters_accepted() {
    String secret = "k8Zq-2mX9vLw0pR7tY4uB1nC6eH3jD5sAa";
    assertEquals(
        AuthResult.Outcome.AUTHENTICATED,
        present(builder().secret(secret.getBytes(StandardCharsets.US_ASCII)).build(), secret)
            .outcome());
  }

  @Test
  void build_withoutSecret_throws() {
    assertThrows(
        IllegalStateException.class,
        () ->
            InsecureSharedSecretTrustSource.newBuilder()
                .devMode(InsecureDevMode.acknowledge())
                .build());
  }

  @Test
  void build_nonVisibleAsciiSecret_throws() {
    byte[] withSpace = ("a".repeat(20) + " " + "a".repeat(20)).getBytes(StandardCharsets.US_ASCII);
    assertThrows(IllegalArgumentException.class, () -> builder().secret(withSpace).build());
    byte[] utf8 = "\u00e9".repeat(20).getBytes(StandardCharsets.UTF_8);
    assertThrows(IllegalArgumentException.class, () -> builder().secret(utf8).build());
  }

  @Test
  void build_secretFile_trailingNewlinesRemoved() throws Exception {
    Path file = dir.resolve("dev-secret.txt");
    Files.write(file, (SECRET + "\r\n\n").getBytes(StandardCharsets.US_ASCII));
    InsecureSharedSecretTrustSource s = builder().secretFile(file).build();
    assertEquals(AuthResult.Outcome.AUTHENTICATED, present(s, SECRET).outcome());
    assertEquals(Reason.SECRET_MISMATCH, present(s, SECRET + "\\n").reason());
  }

  @Test
  void build_secretFileShortAfterStripping_throws() throws Exception {
    Path file = dir.resolve("short.txt");
    Files.write(file, ("a".repeat(31) + "\n\n").getBytes(StandardCharsets.US_ASCII));
    assertThrows(IllegalArgumentException.class, () -> builder().secretFile(file).build());
  }

  @Test
  void build_missingSecretFile_throwsNamingPathOnly() {
    Path missing = dir.resolve("nope.txt");
    UncheckedIOException e =
        assertThrows(UncheckedIOException.class, () -> builder().secretFile(missing).build());
    assertTrue(e.getMessage().contains("nope.txt"), e.getMessage());
  }

  @Test
  void build_logsLoudWarningWithoutSecret() {
    try (LogCapture log = new LogCapture(InsecureSharedSecretTrustSource.class)) {
      builder().roles(Set.of("trip-finisher")).build();
      assertEquals(1, log.records().size());
      assertEquals(Level.WARNING, log.records().get(0).getLevel());
      assertTrue(log.text().contains("INSECURE"), log.text());
      assertFalse(log.text().contains(SECRET), log.text());
    }
  }

  @Test
  void toString_neverShowsSecret() {
    String text = builder().build().toString();
    assertFalse(text.contains(SECRET), text);
    assertTrue(text.contains("redacted"), text);
  }

  @Test
  void fields_neverHoldTheSecretItself() throws Exception {
    InsecureSharedSecretTrustSource s = builder().build();
    byte[] secret = SECRET.getBytes(StandardCharsets.US_ASCII);
    for (java.lang.reflect.Field f : InsecureSharedSecretTrustSource.class.getDeclaredFields()) {
      if (java.lang.reflect.Modifier.isStatic(f.getModifiers())) {
        continue;
      }
      f.setAccessible(true);
      Object v = f.get(s);
      if (v instanceof byte[] bytes) {
        assertFalse(java.util.Arrays.equals(bytes, secret), f.getName());
        assertEquals(32, bytes.length, f.getName() + " is a MAC");
      }
      if (v instanceof javax.crypto.spec.SecretKeySpec key) {
        assertFalse(java.util.Arrays.equals(key.getEncoded(), secret), f.getName());
      }
      assertFalse(String.valueOf(v).contains(SECRET), f.getName());
    }
  }

  @Test
  void devMode_isASingletonCapability() {
    assertSame(InsecureDevMode.acknowledge(), InsecureDevMode.acknowledge());
  }

  @Test
  void authenticate_wrongLongerShorterPrefixEmpty_allSecretMismatch() {
    InsecureSharedSecretTrustSource s = builder().build();
    for (String bad :
        List.of(
            "x" + SECRET.substring(1),
            SECRET + "x",
            SECRET.substring(0, SECRET.length() - 1),
            SECRET.substring(0, 8),
            SECRET + SECRET,
            SECRET.toUpperCase(java.util.Locale.ROOT),
            " " + SECRET,
            "",
            "a".repeat(10000))) {
      AuthResult r = present(s, bad);
      assertEquals(AuthResult.Outcome.REJECTED, r.outcome(), bad);
      assertEquals(Reason.SECRET_MISMATCH, r.reason(), bad);
      assertFalse(r.detail().contains(SECRET.substring(0, 8)), r.detail());
    }
    assertEquals(AuthResult.Outcome.NO_CREDENTIAL, present(s).outcome());
  }

  @Test
  void authenticate_rightSecret_configuredSubjectRolesScopesOnly() {
    InsecureSharedSecretTrustSource s =
        builder().subject("dev-worker").roles(Set.of("trip-finisher")).scopes(Set.of("a")).build();
    Principal ctx = present(s, SECRET).principal().orElseThrow();
    assertEquals("dev-worker", ctx.subject());
    assertEquals("shared_secret", s.name());
    assertEquals(Set.of("trip-finisher"), ctx.roles());
    assertEquals(Set.of("a"), ctx.scopes());
  }

  @Test
  void worker_rightSecret_handlerRunsWithDefaultSubjectAndNeverSeesSecret() throws Exception {
    try (ProbeHarness h = start(builder().build())) {
      h.stub(headers(HEADER, SECRET)).worker(REQ);
      assertEquals(1, h.handlerRuns());
      AuthContext ctx = h.seen().get(0).context().orElseThrow();
      assertEquals("dev-shared-secret", ctx.subject());
      assertEquals(Set.of(), ctx.roles());
      assertFalse(h.seen().get(0).headers().containsKey(IncomingCall.key(HEADER)));
    }
  }

  @Test
  void worker_badSecrets_invalidCredentialsHandlerNotRun() throws Exception {
    try (ProbeHarness h = start(builder().build())) {
      for (String bad :
          List.of(
              "wrong-secret-wrong-secret-wrong-secret",
              SECRET + "x",
              SECRET.substring(1),
              SECRET.substring(0, 16))) {
        StatusRuntimeException e = expectFailure(() -> h.stub(headers(HEADER, bad)).worker(REQ));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), bad);
        assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription(), bad);
        assertEquals(Reason.SECRET_MISMATCH, events.get(events.size() - 1).reason());
      }
      assertEquals(0, h.handlerRuns());
    }
  }

  @Test
  void worker_twoSecretHeaders_invalidCredentials() throws Exception {
    try (ProbeHarness h = start(builder().build())) {
      StatusRuntimeException e =
          expectFailure(() -> h.stub(headers(HEADER, SECRET, SECRET)).worker(REQ));
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
      assertEquals(0, h.handlerRuns());
    }
  }

  @Test
  void workerFinisher_onlyWithConfiguredRole() throws Exception {
    try (ProbeHarness h = start(builder().build())) {
      StatusRuntimeException e =
          expectFailure(() -> h.stub(headers(HEADER, SECRET)).workerFinisher(REQ));
      assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
      assertEquals(AuthStatus.DENIED_TEXT, e.getStatus().getDescription());
      assertEquals(0, h.handlerRuns());
    }
    try (ProbeHarness h = start(builder().roles(Set.of("trip-finisher")).build())) {
      h.stub(headers(HEADER, SECRET)).workerFinisher(REQ);
      assertEquals(1, h.handlerRuns());
    }
  }
}
