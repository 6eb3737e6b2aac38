package dev.gatehouse.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.testing.MutableClock;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwtSvidCallCredentialsTest {
  private static final String SERVICE = "trips.v1.Trips";
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final KeyPair KEY = TestKeys.ec();

  @TempDir Path dir;

  private final MutableClock clock = new MutableClock(T0);

  /** A JWT-SVID for audience trips issued at {@code iat}, living {@code lifetime}. */
  private static String svid(String sub, Instant iat, Duration lifetime) throws JOSEException {
    return svidFor("trips", sub, iat, lifetime);
  }

  private static String svidFor(String aud, String sub, Instant iat, Duration lifetime)
      throws JOSEException {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("k1").build(),
            new JWTClaimsSet.Builder()
                .subject(sub)
                .audience(aud)
                .issueTime(Date.from(iat))
                .expirationTime(Date.from(iat.plus(lifetime)))
                .build());
    jwt.sign(new ECDSASigner((ECPrivateKey) KEY.getPrivate()));
    return jwt.serialize();
  }

  private Path write(String token) throws IOException {
    Path f = dir.resolve("jwt-trips.token");
    Path tmp = dir.resolve("jwt-trips.tmp");
    Files.writeString(tmp, token + "\n", StandardCharsets.US_ASCII);
    Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return f;
  }

  /** Counts fetches and returns whatever the file holds. */
  private static final class CountingSource implements JwtSvidSource {
    final JwtSvidSource inner;
    final AtomicInteger fetches = new AtomicInteger();

    CountingSource(JwtSvidSource inner) {
      this.inner = inner;
    }

    @Override
    public String fetch(String audience) throws IOException {
      fetches.incrementAndGet();
      return inner.fetch(audience);
    }
  }

  private JwtSvidCallCredentials creds(JwtSvidSource source) {
    return JwtSvidCallCredentials.newBuilder()
        .source(source)
        .audience("trips")
        .clock(clock)
        .jitter(() -> 0.5)
        .build();
  }

  @Test
  void cachedSvidIsReusedUntilHalfLifeThenFetchedAgain() throws Exception {
    Path f = write(svid("spiffe://example.org/a", T0, Duration.ofHours(1)));
    CountingSource source = new CountingSource(JwtSvidFileSource.of("trips", f));
    JwtSvidCallCredentials creds = creds(source);

    String first = FakeRequests.token(creds, SERVICE);
    clock.advance(Duration.ofMinutes(29));
    assertEquals(first, FakeRequests.token(creds, SERVICE));
    assertEquals(1, source.fetches.get(), "no fetch before half of the lifetime");

    // Half-life (30 min) plus the pinned jitter (0.5 of a tenth: 3 min) is 33 min.
    clock.advance(Duration.ofMinutes(3));
    assertEquals(first, FakeRequests.token(creds, SERVICE));
    assertEquals(1, source.fetches.get(), "jitter delays the refresh past the half-life");

    clock.advance(Duration.ofMinutes(1).plusSeconds(1));
    String second = svid("spiffe://example.org/a", clock.instant(), Duration.ofHours(1));
    write(second);
    assertEquals(second, FakeRequests.token(creds, SERVICE));
    assertEquals(2, source.fetches.get());
  }

  @Test
  void rewrittenFileIsSentAfterTheCachedSvidIsDue() throws Exception {
    Path f = write(svid("spiffe://example.org/a", T0, Duration.ofMinutes(10)));
    JwtSvidCallCredentials creds = creds(JwtSvidFileSource.of("trips", f));
    String first = FakeRequests.token(creds, SERVICE);

    String rewritten = svid("spiffe://example.org/a", T0.plusSeconds(240), Duration.ofMinutes(10));
    write(rewritten);
    clock.advance(Duration.ofMinutes(4));
    assertEquals(first, FakeRequests.token(creds, SERVICE), "not due yet: the cached SVID");
    clock.advance(Duration.ofMinutes(2));
    assertEquals(rewritten, FakeRequests.token(creds, SERVICE));
  }

  @Test
  void unchangedFileKeepsTheCachedSvidAndBacksOff() throws Exception {
    String only = svid("spiffe://example.org/a", T0, Duration.ofMinutes(10));
    CountingSource source = new CountingSource(JwtSvidFileSource.of("trips", write(only)));
    JwtSvidCallCredentials creds = creds(source);
    FakeRequests.token(creds, SERVICE);
    clock.advance(Duration.ofMinutes(6));
    assertEquals(only, FakeRequests.token(creds, SERVICE));
    assertEquals(only, FakeRequests.token(creds, SERVICE));
    assertEquals(2, source.fetches.get(), "the same SVID again backs off instead of re-reading");
  }

  @Test
  void eightConcurrentCallsWithoutSvidShareOneFetch() throws Exception {
    String token = svid("spiffe://example.org/a", T0, Duration.ofHours(1));
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger fetches = new AtomicInteger();
    JwtSvidSource blocking =
        audience -> {
          fetches.incrementAndGet();
          entered.countDown();
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          return token;
        };
    JwtSvidCallCredentials creds = creds(blocking);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      CountDownLatch start = new CountDownLatch(1);
      CountDownLatch returned = new CountDownLatch(7);
      List<FakeRequests.Applier> appliers = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        FakeRequests.Applier a = new FakeRequests.Applier();
        appliers.add(a);
        pool.execute(
            () -> {
              try {
                start.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              creds.applyRequestMetadata(FakeRequests.secure(SERVICE), Runnable::run, a);
              returned.countDown();
            });
      }
      start.countDown();
      assertTrue(entered.await(10, TimeUnit.SECONDS));
      // The seven calls that did not fetch return at once, waiting for the one fetch in flight.
      assertTrue(returned.await(10, TimeUnit.SECONDS));
      for (FakeRequests.Applier a : appliers) {
        assertFalse(a.isDone(), "no call completes before the fetch");
      }
      release.countDown();
      for (FakeRequests.Applier a : appliers) {
        assertEquals(token, a.jwt());
      }
      assertEquals(1, fetches.get());
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void plaintextConnectionIsRefusedWithoutFetching() throws Exception {
    CountingSource source =
        new CountingSource(
            JwtSvidFileSource.of(
                "trips", write(svid("spiffe://example.org/a", T0, Duration.ofHours(1)))));
    JwtSvidCallCredentials creds = creds(source);
    FakeRequests.Applier a = new FakeRequests.Applier();
    creds.applyRequestMetadata(FakeRequests.request(SERVICE, SecurityLevel.NONE), Runnable::run, a);
    a.await();
    assertEquals(Status.Code.UNAUTHENTICATED, a.status().getCode());
    assertEquals(ClientStatus.SVID_INSECURE_CHANNEL_TEXT, a.status().getDescription());
    assertNull(a.headers());
    assertEquals(0, source.fetches.get());
  }

  @Test
  void plaintextToLocalSidecarIsAllowedWhenOptedIn() throws Exception {
    String token = svid("spiffe://example.org/a", T0, Duration.ofHours(1));
    JwtSvidCallCredentials creds =
        JwtSvidCallCredentials.newBuilder()
            .source(JwtSvidFileSource.of("trips", write(token)))
            .audience("trips")
            .clock(clock)
            .allowPlaintextToLocalSidecar()
            .build();
    FakeRequests.Applier a = new FakeRequests.Applier();
    creds.applyRequestMetadata(FakeRequests.request(SERVICE, SecurityLevel.NONE), Runnable::run, a);
    assertEquals(token, a.jwt());
  }

  @Test
  void expiredSvidFileFailsUnavailableWithoutTheToken() throws Exception {
    String expired =
        svid("spiffe://example.org/a", T0.minus(Duration.ofHours(2)), Duration.ofHours(1));
    JwtSvidCallCredentials creds = creds(JwtSvidFileSource.of("trips", write(expired)));
    FakeRequests.Applier a = new FakeRequests.Applier();
    creds.applyRequestMetadata(FakeRequests.secure(SERVICE), Runnable::run, a);
    a.await();
    assertEquals(Status.Code.UNAVAILABLE, a.status().getCode());
    assertEquals(ClientStatus.SVID_UNAVAILABLE_TEXT, a.status().getDescription());
    assertFalse(a.status().toString().contains(expired.substring(0, 20)));
    assertNull(a.headers());
  }

  @Test
  void svidForAnotherAudience_neverSent_failsUnavailable() throws Exception {
    String other = svidFor("payments", "spiffe://example.org/a", T0, Duration.ofHours(1));
    JwtSvidCallCredentials creds = creds(JwtSvidFileSource.of("trips", write(other)));
    FakeRequests.Applier a = new FakeRequests.Applier();
    creds.applyRequestMetadata(FakeRequests.secure(SERVICE), Runnable::run, a);
    a.await();
    assertEquals(Status.Code.UNAVAILABLE, a.status().getCode());
    assertEquals(ClientStatus.SVID_UNAVAILABLE_TEXT, a.status().getDescription());
    assertNull(a.headers());
  }

  @Test
  void missingFileFailsUnavailableAndANewFileIsUsedAfterTheBackoff() throws Exception {
    Path f = dir.resolve("jwt-trips.token");
    JwtSvidCallCredentials creds = creds(JwtSvidFileSource.of("trips", f));
    FakeRequests.Applier a = new FakeRequests.Applier();
    creds.applyRequestMetadata(FakeRequests.secure(SERVICE), Runnable::run, a);
    a.await();
    assertEquals(ClientStatus.SVID_UNAVAILABLE_TEXT, a.status().getDescription());

    String token = svid("spiffe://example.org/a", T0, Duration.ofHours(1));
    write(token);
    clock.advance(Duration.ofSeconds(2));
    assertEquals(token, FakeRequests.token(creds, SERVICE));
  }

  @Test
  void callToServiceWithoutAudienceFailsFailedPrecondition() throws Exception {
    JwtSvidCallCredentials creds =
        JwtSvidCallCredentials.newBuilder()
            .source(audience -> "unused")
            .audienceFor("other.v1.Other", "other")
            .build();
    FakeRequests.Applier a = new FakeRequests.Applier();
    creds.applyRequestMetadata(FakeRequests.secure(SERVICE), Runnable::run, a);
    a.await();
    assertEquals(Status.Code.FAILED_PRECONDITION, a.status().getCode());
    assertEquals(ClientStatus.NO_SVID_AUDIENCE_TEXT_PREFIX + SERVICE, a.status().getDescription());
  }

  @Test
  void builderNamesEveryProblem() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> JwtSvidCallCredentials.newBuilder().header("Bad-Header").build());
    assertTrue(e.getMessage().contains("source must be set"), e.getMessage());
    assertTrue(e.getMessage().contains("an audience must be set"), e.getMessage());
    assertTrue(e.getMessage().contains("header must be"), e.getMessage());
  }

  @Test
  void fileSourceRefusesAFileThatIsNotOneToken() throws Exception {
    Path f = dir.resolve("two.token");
    Files.writeString(f, "a b");
    IOException e =
        assertThrows(IOException.class, () -> JwtSvidFileSource.of("trips", f).fetch("trips"));
    assertTrue(e.getMessage().contains("does not hold one compact JWT"));
    assertNotEquals(-1, e.getMessage().indexOf(f.toString()));
  }
}
