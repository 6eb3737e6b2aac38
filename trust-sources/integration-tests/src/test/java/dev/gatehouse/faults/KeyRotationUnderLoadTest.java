package dev.gatehouse.faults;

import static dev.gatehouse.faults.ProbeServer.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.NoCredentialTrustSource;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import io.grpc.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Two key rotations of a user-JWT issuer under continuous load from several clients, done the way
 * an identity provider rotates: the new key is published before any token signed with it is used,
 * then tokens switch to it, then the old key is removed. Zero failed valid calls: the first token
 * with the new {@code kid} refreshes the keys and the callers arriving meanwhile wait for that one
 * refresh. The clock moves past the 30 s unknown-kid refresh window between the two rotations (a
 * real provider rotates hours apart).
 */
class KeyRotationUnderLoadTest {
  static final String ISS = "https://idp.test";

  /** Below the 16 callers that may wait on one refresh. */
  static final int CLIENTS = 8;

  static final int CALLS_PER_STEP = 150;

  private static final Req REQ = Req.getDefaultInstance();

  @Test
  void rotationUnderContinuousLoad_zeroFailedValidCalls() throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    ECKey k1 = TestTokens.ecKey("k1");
    ECKey k2 = TestTokens.ecKey("k2");
    ECKey k3 = TestTokens.ecKey("k3");
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    Tally t = new Tally("key rotation under load (" + CLIENTS + " clients, 2 rotations)");
    try (FaultyJwksEndpoint jwks = FaultyJwksEndpoint.start(keys(k1));
        ProbeServer s =
            ProbeServer.start(
                svc ->
                    Gatehouse.newBuilder()
                        .addService(svc)
                        .addTrustSource(new NoCredentialTrustSource())
                        .userAuthenticator(
                            UserJwtAuthenticator.newBuilder()
                                .addIssuer(ISS, jwks.url(), List.of("api"))
                                .clock(clock)
                                .build())
                        .build())) {
      AtomicReference<String> current = new AtomicReference<>(token(k1, clock));
      AtomicBoolean running = new AtomicBoolean(true);
      List<Future<?>> load = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        load.add(
            clients.submit(
                () -> {
                  while (running.get()) {
                    String token = current.get();
                    Status st = t.call(() -> s.stub(bearer(token)).anyUser(REQ));
                    if (!st.isOk()) {
                      System.out.println("[faults] rotation: failed valid call " + st);
                    }
                  }
                }));
      }
      step(t, "k1 serving");

      jwks.publish(keys(k1, k2)); // 1. publish the new key
      current.set(token(k2, clock)); // 2. sign with it
      step(t, "k2 in use");
      jwks.publish(keys(k2)); // 3. remove the old key
      step(t, "k1 removed");

      clock.advance(Duration.ofSeconds(31));
      jwks.publish(keys(k2, k3));
      current.set(token(k3, clock));
      step(t, "k3 in use");
      jwks.publish(keys(k3));
      step(t, "k2 removed");

      running.set(false);
      for (Future<?> f : load) {
        f.get(30, TimeUnit.SECONDS);
      }
      t.print("key endpoint requests=" + jwks.requests() + ", handler runs=" + s.handlerRuns());
      assertEquals(t.calls(), t.ok(), "every valid call succeeds: " + t.outcomes());
      assertEquals(t.ok(), s.handlerRuns());
    } finally {
      clients.shutdownNow();
    }
  }

  /** Waits until {@link #CALLS_PER_STEP} more calls have been made. */
  private static void step(Tally t, String what) throws InterruptedException {
    long target = t.calls() + CALLS_PER_STEP;
    assertNotNull(
        Conditions.await(Duration.ofSeconds(60), 10, () -> t.calls() >= target),
        "the load stalled at step " + what);
    assertEquals(0, t.failed(), "failed valid calls by step " + what + ": " + t.outcomes());
  }

  private static JWKSet keys(ECKey... keys) {
    List<JWK> pub = new ArrayList<>();
    for (ECKey k : keys) {
      pub.add(k.toPublicJWK());
    }
    return new JWKSet(pub);
  }

  private static String token(ECKey key, MutableClock clock) {
    return TestTokens.sign(
        key,
        TestTokens.header("ES256", key.getKeyID()),
        TestTokens.claims(ISS, "alice", "api", clock.instant(), 600));
  }
}
