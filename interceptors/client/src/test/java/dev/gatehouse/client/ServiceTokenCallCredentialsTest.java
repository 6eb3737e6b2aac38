package dev.gatehouse.client;

import static dev.gatehouse.client.FakeRequests.secure;
import static dev.gatehouse.client.FakeRequests.token;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.SignedJWT;
import dev.gatehouse.client.FakeRequests.Applier;
import dev.gatehouse.testing.MutableClock;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ServiceTokenCallCredentialsTest {
  private static final String TRIPS = "trips.v1.Trips";
  private static final KeyPair EC = TestKeys.ec();

  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T12:00:00Z"));
  private final AtomicInteger signings = new AtomicInteger();

  private SigningKeySource ecSource() {
    return SigningKeySource.newBuilder().keyPair(EC).clock(clock).build();
  }

  private ServiceTokenCallCredentials.Builder creds() {
    return ServiceTokenCallCredentials.newBuilder()
        .identity("worker")
        .keySource(ecSource())
        .audience("trips")
        .signHook(signings::incrementAndGet);
  }

  @Test
  void applyRequestMetadata_es256_tokenVerifiesWithExactHeaderAndClaims() throws Exception {
    String jwt = token(creds().build(), TRIPS);

    SignedJWT parsed = SignedJWT.parse(jwt);
    assertTrue(parsed.verify(new ECDSAVerifier((ECPublicKey) EC.getPublic())));
    assertEquals(
        Set.of("alg", "kid", "typ"), parsed.getHeader().toJSONObject().keySet(), "header members");
    assertEquals(JWSAlgorithm.ES256, parsed.getHeader().getAlgorithm());
    assertEquals("JWT", parsed.getHeader().getType().getType());
    assertEquals(TestKeys.thumbprint(EC), parsed.getHeader().getKeyID());

    Map<String, Object> claims = parsed.getJWTClaimsSet().toJSONObject();
    assertEquals(Set.of("iss", "sub", "aud", "iat", "exp", "jti"), claims.keySet());
    assertEquals("worker", claims.get("iss"));
    assertEquals("worker", claims.get("sub"));
    assertEquals("trips", claims.get("aud"), "aud is one string");
    long iat = clock.instant().getEpochSecond();
    assertEquals(iat, ((Number) claims.get("iat")).longValue());
    assertEquals(iat + 300, ((Number) claims.get("exp")).longValue());
    String jti = (String) claims.get("jti");
    assertEquals(16, Base64.getUrlDecoder().decode(jti).length);
    assertFalse(jti.contains("="), "base64url without padding");
    // the payload on the wire is exactly these members
    String payload = new String(Base64.getUrlDecoder().decode(jwt.split("\\.", -1)[1]), UTF_8);
    assertFalse(payload.contains("cluster_id"));
    assertFalse(payload.contains("scope"));
  }

  @Test
  void applyRequestMetadata_clusterIdAndScopes_claimsPresent() throws Exception {
    ServiceTokenCallCredentials c =
        creds()
            .clusterId("eu-1")
            .scopes(List.of("trips:finish", "trips:read"))
            .lifetime(Duration.ofMinutes(10))
            .build();
    Map<String, Object> claims = SignedJWT.parse(token(c, TRIPS)).getJWTClaimsSet().toJSONObject();
    assertEquals(
        Set.of("iss", "sub", "aud", "iat", "exp", "jti", "cluster_id", "scope"), claims.keySet());
    assertEquals("eu-1", claims.get("cluster_id"));
    assertEquals("trips:finish trips:read", claims.get("scope"));
    assertEquals(
        600L, ((Number) claims.get("exp")).longValue() - ((Number) claims.get("iat")).longValue());
  }

  @Test
  void applyRequestMetadata_rs256AndPs256_verifyWithRsaPublicKey() throws Exception {
    KeyPair rsa = TestKeys.rsa(2048);
    for (SigningAlgorithm alg : List.of(SigningAlgorithm.RS256, SigningAlgorithm.PS256)) {
      SigningKeySource source =
          SigningKeySource.newBuilder().keyPair(rsa).algorithm(alg).kid("rsa-1").build();
      String jwt =
          token(
              ServiceTokenCallCredentials.newBuilder()
                  .identity("worker")
                  .keySource(source)
                  .audience("trips")
                  .build(),
              TRIPS);
      SignedJWT parsed = SignedJWT.parse(jwt);
      assertEquals(alg.name(), parsed.getHeader().getAlgorithm().getName());
      assertEquals("rsa-1", parsed.getHeader().getKeyID());
      JWSVerifier verifier = new RSASSAVerifier((RSAPublicKey) rsa.getPublic());
      assertTrue(parsed.verify(verifier), alg.name());
    }
  }

  @Test
  void applyRequestMetadata_audienceMap_picksAudienceByServiceName() throws Exception {
    ServiceTokenCallCredentials c =
        ServiceTokenCallCredentials.newBuilder()
            .identity("worker")
            .keySource(ecSource())
            .audienceFor(TRIPS, "trips")
            .audiencesByService(Map.of("billing.v1.Billing", "billing"))
            .build();
    assertEquals(
        List.of("trips"), SignedJWT.parse(token(c, TRIPS)).getJWTClaimsSet().getAudience());
    assertEquals(
        List.of("billing"),
        SignedJWT.parse(token(c, "billing.v1.Billing")).getJWTClaimsSet().getAudience());
  }

  @Test
  void applyRequestMetadata_serviceWithoutMapping_failsPreconditionAndSignsNothing()
      throws Exception {
    ServiceTokenCallCredentials c =
        ServiceTokenCallCredentials.newBuilder()
            .identity("worker")
            .keySource(ecSource())
            .audienceFor(TRIPS, "trips")
            .signHook(signings::incrementAndGet)
            .build();
    Applier a = new Applier();
    c.applyRequestMetadata(secure("billing.v1.Billing"), Runnable::run, a);
    a.await();
    assertNull(a.headers(), "no token sent");
    assertEquals(Status.Code.FAILED_PRECONDITION, a.status().getCode());
    assertEquals(
        ClientStatus.NO_AUDIENCE_TEXT_PREFIX + "billing.v1.Billing", a.status().getDescription());
    assertEquals(0, signings.get());
  }

  @Test
  void applyRequestMetadata_belowPrivacyAndIntegrity_refusedAndSignsNothing() throws Exception {
    ServiceTokenCallCredentials c = creds().build();
    for (SecurityLevel level : List.of(SecurityLevel.NONE, SecurityLevel.INTEGRITY)) {
      Applier a = new Applier();
      c.applyRequestMetadata(FakeRequests.request(TRIPS, level), Runnable::run, a);
      a.await();
      assertNull(a.headers(), level.name());
      assertEquals(Status.Code.UNAUTHENTICATED, a.status().getCode());
      assertEquals(ClientStatus.INSECURE_CHANNEL_TEXT, a.status().getDescription());
    }
    assertEquals(0, signings.get());
  }

  @Test
  void clientStatus_texts_areTheDocumentedFixedTexts() {
    assertEquals(
        "refusing to send a service token over an insecure channel: use TLS on the channel, or"
            + " allowPlaintextToLocalSidecar() for a plaintext hop to a local sidecar that encrypts",
        ClientStatus.INSECURE_CHANNEL.getDescription());
    assertEquals(Status.Code.UNAUTHENTICATED, ClientStatus.INSECURE_CHANNEL.getCode());
    assertEquals(
        "no service-token audience configured for service a.B",
        ClientStatus.noAudience("a.B").getDescription());
    assertEquals(Status.Code.FAILED_PRECONDITION, ClientStatus.noAudience("a.B").getCode());
    assertEquals(Status.Code.UNAVAILABLE, ClientStatus.TOKEN_UNAVAILABLE.getCode());
  }

  @Test
  void applyRequestMetadata_plaintextAllowedForSidecar_tokenAttached() throws Exception {
    ServiceTokenCallCredentials c = creds().allowPlaintextToLocalSidecar().build();
    Applier a = new Applier();
    c.applyRequestMetadata(FakeRequests.request(TRIPS, SecurityLevel.NONE), Runnable::run, a);
    SignedJWT.parse(a.jwt());
    assertEquals(1, signings.get());
  }

  @Test
  void applyRequestMetadata_customHeader_tokenInThatHeader() throws Exception {
    ServiceTokenCallCredentials c = creds().header("x-service-token").build();
    Applier a = new Applier();
    c.applyRequestMetadata(secure(TRIPS), Runnable::run, a);
    a.await();
    String v =
        a.headers().get(Metadata.Key.of("x-service-token", Metadata.ASCII_STRING_MARSHALLER));
    assertTrue(v.startsWith("Bearer "));
    assertFalse(
        a.headers()
            .containsKey(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER)));
  }

  @Test
  void applyRequestMetadata_withinRefreshWindow_sameTokenReusedWithOneSigning() throws Exception {
    ServiceTokenCallCredentials c = creds().build();
    String first = token(c, TRIPS);
    clock.advance(Duration.ofSeconds(239)); // 5 min lifetime: refresh at 240 s
    for (int i = 0; i < 10; i++) {
      assertEquals(first, token(c, TRIPS));
    }
    assertEquals(1, signings.get());
  }

  @Test
  void applyRequestMetadata_refreshWindowReached_oneCallRefreshesAheadOfExpiry() throws Exception {
    ServiceTokenCallCredentials c = creds().build();
    String first = token(c, TRIPS);
    clock.advance(Duration.ofMinutes(4));
    // The old token is still valid (60 s left): the triggering call sends it, and refreshes.
    assertEquals(first, token(c, TRIPS));
    assertEquals(2, signings.get());
    String second = token(c, TRIPS);
    assertNotEquals(first, second);
    assertEquals(
        clock.instant().getEpochSecond(),
        SignedJWT.parse(second).getJWTClaimsSet().getIssueTime().toInstant().getEpochSecond());
    assertEquals(2, signings.get());
  }

  @Test
  void applyRequestMetadata_tokenInLastSeconds_neverSentAgain() throws Exception {
    ServiceTokenCallCredentials c = creds().build();
    String first = token(c, TRIPS);
    clock.advance(Duration.ofSeconds(271)); // usable until exp - 30 s
    String next = token(c, TRIPS);
    assertNotEquals(first, next);
    assertTrue(
        SignedJWT.parse(next)
            .getJWTClaimsSet()
            .getExpirationTime()
            .toInstant()
            .isAfter(clock.instant().plusSeconds(200)));
  }

  @Test
  void applyRequestMetadata_oneHourLifetime_refreshesAtEightyPercent() throws Exception {
    ServiceTokenCallCredentials c = creds().lifetime(Duration.ofHours(1)).build();
    String first = token(c, TRIPS);
    clock.advance(Duration.ofMinutes(48).minusSeconds(1));
    assertEquals(first, token(c, TRIPS));
    assertEquals(1, signings.get());
    clock.advance(Duration.ofSeconds(1));
    token(c, TRIPS);
    assertEquals(2, signings.get());
  }

  @Test
  void applyRequestMetadata_16ThreadsConcurrently_oneSigningPerAudience() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    ConcurrentCounter perAudience = new ConcurrentCounter();
    ServiceTokenCallCredentials c =
        ServiceTokenCallCredentials.newBuilder()
            .identity("worker")
            .keySource(ecSource())
            .audienceFor(TRIPS, "trips")
            .audienceFor("billing.v1.Billing", "billing")
            .signHook(
                () -> {
                  signings.incrementAndGet();
                  try {
                    // hold the first signing until every thread has asked for a token
                    release.await(10, TimeUnit.SECONDS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                })
            .build();
    ExecutorService callers = Executors.newFixedThreadPool(16);
    ExecutorService appExecutor = Executors.newCachedThreadPool();
    int calls = 200;
    CyclicBarrier start = new CyclicBarrier(16);
    try {
      List<Future<List<Applier>>> futures = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        String service = t % 2 == 0 ? TRIPS : "billing.v1.Billing";
        futures.add(
            callers.submit(
                () -> {
                  start.await();
                  List<Applier> mine = new ArrayList<>();
                  for (int i = 0; i < calls; i++) {
                    Applier a = new Applier();
                    c.applyRequestMetadata(secure(service), appExecutor, a);
                    mine.add(a);
                  }
                  return mine;
                }));
      }
      List<Applier> all = new ArrayList<>();
      for (Future<List<Applier>> f : futures) {
        all.addAll(f.get(10, TimeUnit.SECONDS));
      }
      release.countDown();
      Set<String> tokens = new HashSet<>();
      for (Applier a : all) {
        tokens.add(a.jwt());
      }
      for (String t : tokens) {
        perAudience.add(SignedJWT.parse(t).getJWTClaimsSet().getAudience().get(0));
      }
      assertEquals(16 * calls, all.size());
      assertEquals(2, tokens.size(), "one token per audience");
      assertEquals(Map.of("trips", 1, "billing", 1), perAudience.counts());
      assertEquals(2, signings.get(), "one signing per audience");
    } finally {
      release.countDown();
      callers.shutdownNow();
      appExecutor.shutdownNow();
    }
  }

  @Test
  void applyRequestMetadata_signingFails_unavailableThenBackoffThenRecovers() throws Exception {
    AtomicInteger failuresLeft = new AtomicInteger(2);
    ServiceTokenCallCredentials c =
        creds()
            .signHook(
                () -> {
                  signings.incrementAndGet();
                  if (failuresLeft.getAndDecrement() > 0) {
                    throw new IllegalStateException("simulated HSM outage");
                  }
                })
            .build();
    Applier a = new Applier();
    c.applyRequestMetadata(secure(TRIPS), Runnable::run, a);
    a.await();
    assertEquals(Status.Code.UNAVAILABLE, a.status().getCode());
    assertEquals(ClientStatus.TOKEN_UNAVAILABLE_TEXT, a.status().getDescription());
    assertEquals(1, signings.get());

    // inside the first backoff (1 s ± 20%): fails at once without trying to sign
    clock.advance(Duration.ofMillis(700));
    Applier b = new Applier();
    c.applyRequestMetadata(secure(TRIPS), Runnable::run, b);
    b.await();
    assertEquals(ClientStatus.TOKEN_UNAVAILABLE_TEXT, b.status().getDescription());
    assertEquals(1, signings.get());

    // after it: one more attempt, which fails, and the backoff doubles (2 s ± 20%)
    clock.advance(Duration.ofMillis(600));
    Applier d = new Applier();
    c.applyRequestMetadata(secure(TRIPS), Runnable::run, d);
    d.await();
    assertEquals(2, signings.get());
    clock.advance(Duration.ofMillis(1500));
    Applier e = new Applier();
    c.applyRequestMetadata(secure(TRIPS), Runnable::run, e);
    e.await();
    assertEquals(2, signings.get(), "still backing off");

    clock.advance(Duration.ofSeconds(1));
    SignedJWT.parse(token(c, TRIPS));
    assertEquals(3, signings.get());
  }

  @Test
  void applyRequestMetadata_refreshFailsWhileTokenValid_keepsSendingOldToken() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    ServiceTokenCallCredentials c =
        creds()
            .signHook(
                () -> {
                  if (calls.incrementAndGet() > 1) {
                    throw new IllegalStateException("simulated");
                  }
                })
            .build();
    String first = token(c, TRIPS);
    clock.advance(Duration.ofSeconds(250));
    assertEquals(first, token(c, TRIPS));
    assertEquals(first, token(c, TRIPS));
    assertEquals(2, calls.get(), "one failed refresh, then backoff");
  }

  @Test
  void applyRequestMetadata_executorRejects_unavailable() throws Exception {
    ServiceTokenCallCredentials c = creds().build();
    Applier a = new Applier();
    c.applyRequestMetadata(
        secure(TRIPS),
        r -> {
          throw new RejectedExecutionException("shut down");
        },
        a);
    a.await();
    assertEquals(Status.Code.UNAVAILABLE, a.status().getCode());
    assertEquals(ClientStatus.TOKEN_UNAVAILABLE_TEXT, a.status().getDescription());
  }

  @Test
  void applyRequestMetadata_signingOnAppExecutor_callerThreadNotBlocked() throws Exception {
    ServiceTokenCallCredentials c = creds().build();
    List<Runnable> queued = new ArrayList<>();
    Applier a = new Applier();
    c.applyRequestMetadata(secure(TRIPS), queued::add, a);
    assertFalse(a.isDone(), "nothing signed on the calling thread");
    assertEquals(0, signings.get());
    assertEquals(1, queued.size());
    queued.get(0).run();
    SignedJWT.parse(a.jwt());
  }

  @Test
  void oneTimeTokens_repeatedCalls_freshTokenAndJtiPerCall() throws Exception {
    ServiceTokenCallCredentials c = creds().oneTimeTokens().build();
    assertTrue(c.oneTimeTokens());
    assertFalse(creds().build().oneTimeTokens(), "off by default");
    Set<String> jtis = new HashSet<>();
    for (int i = 0; i < 5; i++) {
      SignedJWT parsed = SignedJWT.parse(token(c, TRIPS));
      assertTrue(parsed.verify(new ECDSAVerifier((ECPublicKey) EC.getPublic())));
      assertEquals(List.of("trips"), parsed.getJWTClaimsSet().getAudience());
      jtis.add(parsed.getJWTClaimsSet().getJWTID());
    }
    assertEquals(5, jtis.size(), "a new jti for every call");
    assertEquals(5, signings.get(), "one signature per call");
  }

  @Test
  void oneTimeTokens_16ThreadsConcurrently_everyCallDistinctJti() throws Exception {
    ServiceTokenCallCredentials c = creds().oneTimeTokens().build();
    ExecutorService callers = Executors.newFixedThreadPool(16);
    ExecutorService appExecutor = Executors.newFixedThreadPool(4);
    int calls = 25;
    CyclicBarrier start = new CyclicBarrier(16);
    try {
      List<Future<List<Applier>>> futures = new ArrayList<>();
      for (int t = 0; t < 16; t++) {
        futures.add(
            callers.submit(
                () -> {
                  start.await();
                  List<Applier> mine = new ArrayList<>();
                  for (int i = 0; i < calls; i++) {
                    Applier a = new Applier();
                    c.applyRequestMetadata(secure(TRIPS), appExecutor, a);
                    mine.add(a);
                  }
                  return mine;
                }));
      }
      Set<String> jtis = new HashSet<>();
      for (Future<List<Applier>> f : futures) {
        for (Applier a : f.get(10, TimeUnit.SECONDS)) {
          jtis.add(SignedJWT.parse(a.jwt()).getJWTClaimsSet().getJWTID());
        }
      }
      assertEquals(16 * calls, jtis.size(), "no jti handed to two calls");
      assertEquals(16 * calls, signings.get());
    } finally {
      callers.shutdownNow();
      appExecutor.shutdownNow();
    }
  }

  @Test
  void oneTimeTokens_belowPrivacyAndIntegrity_refusedAndSignsNothing() throws Exception {
    ServiceTokenCallCredentials c = creds().oneTimeTokens().build();
    Applier a = new Applier();
    c.applyRequestMetadata(FakeRequests.request(TRIPS, SecurityLevel.NONE), Runnable::run, a);
    a.await();
    assertNull(a.headers());
    assertEquals(Status.Code.UNAUTHENTICATED, a.status().getCode());
    assertEquals(ClientStatus.INSECURE_CHANNEL_TEXT, a.status().getDescription());
    assertEquals(0, signings.get());

    ServiceTokenCallCredentials sidecar =
        creds().oneTimeTokens().allowPlaintextToLocalSidecar().build();
    Applier b = new Applier();
    sidecar.applyRequestMetadata(FakeRequests.request(TRIPS, SecurityLevel.NONE), Runnable::run, b);
    SignedJWT.parse(b.jwt());
    assertEquals(1, signings.get());
  }

  @Test
  void oneTimeTokens_signingFails_unavailableThenBackoffThenRecovers() throws Exception {
    AtomicInteger failuresLeft = new AtomicInteger(2);
    ServiceTokenCallCredentials c =
        creds()
            .oneTimeTokens()
            .signHook(
                () -> {
                  signings.incrementAndGet();
                  if (failuresLeft.getAndDecrement() > 0) {
                    throw new IllegalStateException("simulated HSM outage");
                  }
                })
            .build();
    Applier a = new Applier();
    c.applyRequestMetadata(secure(TRIPS), Runnable::run, a);
    a.await();
    assertNull(a.headers());
    assertEquals(Status.Code.UNAVAILABLE, a.status().getCode());
    assertEquals(ClientStatus.TOKEN_UNAVAILABLE_TEXT, a.status().getDescription());
    assertEquals(1, signings.get());

    // inside the first backoff (1 s ± 20%): fails at once without trying to sign
    clock.advance(Duration.ofMillis(700));
    Applier b = new Applier();
    c.applyRequestMetadata(secure(TRIPS), Runnable::run, b);
    b.await();
    assertEquals(ClientStatus.TOKEN_UNAVAILABLE_TEXT, b.status().getDescription());
    assertEquals(1, signings.get());

    // after it: one more attempt, which fails, and the backoff doubles (2 s ± 20%)
    clock.advance(Duration.ofMillis(600));
    Applier d = new Applier();
    c.applyRequestMetadata(secure(TRIPS), Runnable::run, d);
    d.await();
    assertEquals(ClientStatus.TOKEN_UNAVAILABLE_TEXT, d.status().getDescription());
    assertEquals(2, signings.get());
    clock.advance(Duration.ofMillis(1500));
    Applier e = new Applier();
    c.applyRequestMetadata(secure(TRIPS), Runnable::run, e);
    e.await();
    assertEquals(2, signings.get(), "still backing off");

    clock.advance(Duration.ofSeconds(1));
    String first = token(c, TRIPS);
    String second = token(c, TRIPS);
    assertNotEquals(
        SignedJWT.parse(first).getJWTClaimsSet().getJWTID(),
        SignedJWT.parse(second).getJWTClaimsSet().getJWTID());
    assertEquals(4, signings.get(), "recovered: one signing per call again");
  }

  @Test
  void oneTimeTokens_signingOnAppExecutor_callerThreadNotBlocked() throws Exception {
    ServiceTokenCallCredentials c = creds().oneTimeTokens().build();
    List<Runnable> queued = new ArrayList<>();
    Applier a = new Applier();
    c.applyRequestMetadata(secure(TRIPS), queued::add, a);
    assertFalse(a.isDone(), "nothing signed on the calling thread");
    assertEquals(0, signings.get());
    assertEquals(1, queued.size());
    queued.get(0).run();
    SignedJWT.parse(a.jwt());
  }

  @Test
  void oneTimeTokens_executorRejects_unavailableAndSignsNothing() throws Exception {
    ServiceTokenCallCredentials c = creds().oneTimeTokens().build();
    Applier a = new Applier();
    c.applyRequestMetadata(
        secure(TRIPS),
        r -> {
          throw new RejectedExecutionException("shut down");
        },
        a);
    a.await();
    assertEquals(Status.Code.UNAVAILABLE, a.status().getCode());
    assertEquals(ClientStatus.TOKEN_UNAVAILABLE_TEXT, a.status().getDescription());
    assertEquals(0, signings.get());
  }

  @Test
  void build_invalidSettings_failsNamingEachProblem() {
    SigningKeySource key = ecSource();
    assertThrows(
        IllegalArgumentException.class,
        () -> ServiceTokenCallCredentials.newBuilder().keySource(key).audience("a").build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ServiceTokenCallCredentials.newBuilder()
                .identity(" ")
                .keySource(key)
                .audience("a")
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () -> ServiceTokenCallCredentials.newBuilder().identity("w").audience("a").build());
    assertThrows(
        IllegalArgumentException.class,
        () -> ServiceTokenCallCredentials.newBuilder().identity("w").keySource(key).build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ServiceTokenCallCredentials.newBuilder()
                .identity("w")
                .keySource(key)
                .audience("")
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ServiceTokenCallCredentials.newBuilder()
                .identity("w")
                .keySource(key)
                .audienceFor(TRIPS, " ")
                .build());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            ServiceTokenCallCredentials.newBuilder()
                .identity("w")
                .keySource(key)
                .audience("a")
                .audienceFor(TRIPS, "trips")
                .build());
    IllegalArgumentException tooLong =
        assertThrows(
            IllegalArgumentException.class,
            () -> creds().lifetime(Duration.ofHours(1).plusSeconds(1)).build());
    assertTrue(tooLong.getMessage().contains("lifetime"));
    assertThrows(IllegalArgumentException.class, () -> creds().lifetime(Duration.ZERO).build());
    assertThrows(IllegalArgumentException.class, () -> creds().clusterId(" ").build());
    assertThrows(IllegalArgumentException.class, () -> creds().scopes(List.of("a b")).build());
    assertThrows(IllegalArgumentException.class, () -> creds().header("Authorization").build());
    assertThrows(IllegalArgumentException.class, () -> creds().header("x-token-bin").build());
    // the maximum itself is fine
    creds().lifetime(Duration.ofHours(1)).build();
  }

  @Test
  void toString_showsNoTokenMaterial() throws Exception {
    ServiceTokenCallCredentials c = creds().build();
    String jwt = token(c, TRIPS);
    assertFalse(c.toString().contains(jwt.substring(0, 20)));
    assertTrue(c.toString().contains("worker"));
  }

  /** Counts strings, thread-safely. */
  private static final class ConcurrentCounter {
    private final Map<String, Integer> counts = new java.util.concurrent.ConcurrentHashMap<>();

    void add(String s) {
      counts.merge(s, 1, Integer::sum);
    }

    Map<String, Integer> counts() {
      return Map.copyOf(counts);
    }
  }
}
