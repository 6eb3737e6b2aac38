package dev.gatehouse.replay.redis;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.config.ConfigSectionProvider;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.spi.TrustSource;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.SignedTokenSection;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two Gatehouse servers (replicas of one service, each with its own chain and {@code signed_token}
 * source built from the configuration file) against one real {@code redis-server} on 127.0.0.1: a
 * token accepted by one replica is refused by the other; without the shared store each replica
 * accepts it once (the gap the store closes); Redis down means {@code UNAVAILABLE}, and calls
 * resume when it is back, without a restart.
 */
class RedisReplayAcrossReplicasTest {
  private static final ECKey WORKER = TestTokens.ecKey("w-1");
  private static final ConfigSectionProvider<SignedTokenSection> SIGNED_TOKEN =
      SignedTokenSection.provider(RedisReplayStore.provider());

  @TempDir Path dir;
  private RedisServer redis;
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.start(dir.resolve("redis"));
    Files.writeString(dir.resolve("worker.jwks.json"), new JWKSet(WORKER.toPublicJWK()).toString());
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      open.get(i).close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  private String yaml(String replayStore) {
    return "service_name: trips\n"
        + "internal:\n"
        + "  signed_token:\n"
        + "    replay_protection: true\n"
        + replayStore
        + "    issuers:\n"
        + "      - { issuer: worker, jwks_file: worker.jwks.json }\n";
  }

  private String sharedStore() {
    // Generous timeouts: two cores shared by several builds; the defaults are for production.
    return "    replay_store: { type: redis, uri: \""
        + redis.uri()
        + "\", timeout_ms: 2000, connect_timeout_ms: 2000 }\n";
  }

  /** One replica: its own configuration, source, chain and server. */
  private ProbeHarness replica(String yaml) throws Exception {
    GatehouseConfig config = GatehouseConfig.parse(yaml, dir, ConfigSections.of(SIGNED_TOKEN));
    TrustSource source =
        (TrustSource)
            SIGNED_TOKEN.create(
                config.section(SIGNED_TOKEN).orElseThrow(), config, Optional.empty());
    open.add(source);
    ProbeHarness h =
        ProbeHarness.start(
            p -> {
              Gatehouse g =
                  Gatehouse.newBuilder()
                      .addService(p.service())
                      .userAuthenticator(TestSupport.noUsers())
                      .addTrustSource(source)
                      .build();
              open.add(g);
              return g;
            });
    open.add(h);
    return h;
  }

  private static String token() {
    Map<String, Object> claims = TestTokens.claims("worker", "worker", "trips", Instant.now(), 300);
    claims.put("jti", UUID.randomUUID().toString());
    return TestTokens.sign(WORKER, TestTokens.header("ES256", "w-1"), claims);
  }

  private static Metadata bearer(String token) {
    return ProbeHarness.headers("authorization", "Bearer " + token);
  }

  private static void accepted(ProbeHarness h, String token) {
    int before = h.handlerRuns();
    assertEquals("Worker", h.stub(bearer(token)).worker(Req.getDefaultInstance()).getText());
    assertEquals(before + 1, h.handlerRuns());
  }

  private static void refused(ProbeHarness h, String token, Status.Code code, String text) {
    int before = h.handlerRuns();
    StatusRuntimeException e =
        expectFailure(() -> h.stub(bearer(token)).worker(Req.getDefaultInstance()));
    assertEquals(code, e.getStatus().getCode());
    assertEquals(text, e.getStatus().getDescription());
    assertEquals(before, h.handlerRuns(), "handler must not run");
  }

  @Test
  void sharedStore_tokenReplayedToSecondReplica_refused() throws Exception {
    ProbeHarness a = replica(yaml(sharedStore()));
    ProbeHarness b = replica(yaml(sharedStore()));
    String t = token();
    accepted(a, t);
    refused(b, t, Status.Code.UNAUTHENTICATED, AuthStatus.INVALID_TEXT);
    refused(a, t, Status.Code.UNAUTHENTICATED, AuthStatus.INVALID_TEXT);
    // Another token is unaffected.
    accepted(b, token());
  }

  /** Why the shared store exists: each replica's own cache lets one token in once per replica. */
  @Test
  void inMemoryPerReplica_tokenReplayedToSecondReplica_accepted() throws Exception {
    ProbeHarness a = replica(yaml(""));
    ProbeHarness b = replica(yaml("    replay_store: { type: memory }\n"));
    String t = token();
    accepted(a, t);
    accepted(b, t);
    refused(a, t, Status.Code.UNAUTHENTICATED, AuthStatus.INVALID_TEXT);
    refused(b, t, Status.Code.UNAUTHENTICATED, AuthStatus.INVALID_TEXT);
  }

  @Test
  void storeDown_refusedUnavailable_storeBack_acceptedWithoutRestart() throws Exception {
    ProbeHarness a = replica(yaml(sharedStore()));
    ProbeHarness b = replica(yaml(sharedStore()));
    accepted(a, token());

    redis.stopProcess();
    refused(a, token(), Status.Code.UNAVAILABLE, AuthStatus.UNAVAILABLE_TEXT);
    refused(b, token(), Status.Code.UNAVAILABLE, AuthStatus.UNAVAILABLE_TEXT);
    // A call without a jti-checked token is unaffected? Every worker token is checked: still
    // refused.
    refused(a, token(), Status.Code.UNAVAILABLE, AuthStatus.UNAVAILABLE_TEXT);

    redis.startProcess();
    // The first call after the restart may still meet a connection the server closed; every
    // attempt is either accepted or refused UNAVAILABLE (never accepted twice, never another code).
    Instant until = Instant.now().plus(Duration.ofSeconds(30));
    boolean back = false;
    while (!back && Instant.now().isBefore(until)) {
      int before = a.handlerRuns();
      try {
        a.stub(bearer(token())).worker(Req.getDefaultInstance());
        back = true;
        assertEquals(before + 1, a.handlerRuns());
      } catch (StatusRuntimeException e) {
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertEquals(before, a.handlerRuns());
        Thread.sleep(50);
      }
    }
    assertTrue(back, "replica a did not accept calls again within 30 s of Redis coming back");
    String t = token();
    accepted(b, t);
    refused(a, t, Status.Code.UNAUTHENTICATED, AuthStatus.INVALID_TEXT);
  }

  @Test
  void sameTokenConcurrentlyToTwoReplicas_exactlyOneAccepted() throws Exception {
    ProbeHarness a = replica(yaml(sharedStore()));
    ProbeHarness b = replica(yaml(sharedStore()));
    int threads = 16;
    for (int round = 0; round < 5; round++) {
      String t = token();
      int runsBefore = a.handlerRuns() + b.handlerRuns();
      CountDownLatch go = new CountDownLatch(1);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<Status.Code>> results = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
          ProbeHarness target = i % 2 == 0 ? a : b;
          results.add(
              pool.submit(
                  () -> {
                    go.await();
                    try {
                      target.stub(bearer(t)).worker(Req.getDefaultInstance());
                      return Status.Code.OK;
                    } catch (StatusRuntimeException e) {
                      return e.getStatus().getCode();
                    }
                  }));
        }
        go.countDown();
        int ok = 0;
        for (Future<Status.Code> f : results) {
          Status.Code c = f.get(60, TimeUnit.SECONDS);
          if (c == Status.Code.OK) {
            ok++;
          } else if (c != Status.Code.UNAUTHENTICATED) {
            fail("unexpected status " + c);
          }
        }
        assertEquals(1, ok, "round " + round);
        assertEquals(runsBefore + 1, a.handlerRuns() + b.handlerRuns());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void keyExpiry_isTokenExpPlusLargestSkew() throws Exception {
    ProbeHarness a = replica(yaml(sharedStore()));
    Instant iat = Instant.now();
    Map<String, Object> claims = TestTokens.claims("worker", "worker", "trips", iat, 300);
    claims.put("jti", "ttl-probe");
    String t = TestTokens.sign(WORKER, TestTokens.header("ES256", "w-1"), claims);
    accepted(a, t);
    Instant asked = Instant.now();
    String key;
    try (RedisReplayStore keys =
        RedisReplayStore.newBuilder()
            .uri(redis.uri())
            .keyPrefix("gatehouse:replay:trips:")
            .build()) {
      key = keys.key("worker", "ttl-probe");
    }
    long pttl = redis.pttl(key);
    // exp is iat (whole seconds) + 300 s; the entry lives until exp + 120 s.
    long exp = (iat.getEpochSecond() + 300) * 1000;
    long expectedAtMost = exp + 120_000 - iat.toEpochMilli();
    long expectedAtLeast = exp + 120_000 - asked.toEpochMilli() - 5_000;
    assertTrue(
        pttl <= expectedAtMost && pttl >= expectedAtLeast,
        "PTTL " + pttl + " not in [" + expectedAtLeast + ", " + expectedAtMost + "]");
    assertEquals(-2, redis.pttl("gatehouse:replay:trips:ttl-probe"), "raw jti must not be a key");
  }
}
