package dev.gatehouse.faults;

import static dev.gatehouse.faults.ProbeServer.bearer;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64URL;
import dev.gatehouse.faults.FaultyJwksEndpoint.Mode;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import dev.gatehouse.testing.NoCredentialTrustSource;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Hundreds of concurrent calls with random {@code kid}s while the key refresh they trigger is slow:
 * only a small bounded number of them wait on the refresh (one server thread each), the rest are
 * refused at once, so the server's thread count grows by a few dozen at most instead of one thread
 * per attacker call; every flood call is refused and calls with a cached key keep succeeding.
 */
class UnknownKidFloodTest {
  static final String ISS = "https://idp.test";
  static final int FLOOD = 800;

  /**
   * Generous: at most 16 calls wait on one refresh; the rest of the growth is the cached pool's
   * ordinary burst. Unbounded waiting took one thread per flood call (800).
   */
  static final int THREAD_GROWTH_BOUND = 100;

  private static final Req REQ = Req.getDefaultInstance();

  @Test
  void unknownKidFloodDuringSlowRefresh_waitersBoundedFloodRefusedValidCallsServed()
      throws Exception {
    ECKey k1 = TestTokens.ecKey("k1");
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try (FaultyJwksEndpoint jwks = FaultyJwksEndpoint.start(new JWKSet(k1.toPublicJWK()));
        ProbeServer s =
            ProbeServer.start(
                svc ->
                    Gatehouse.newBuilder()
                        .addService(svc)
                        .addTrustSource(new NoCredentialTrustSource())
                        .userAuthenticator(
                            UserJwtAuthenticator.newBuilder()
                                .addIssuer(ISS, jwks.url(), List.of("api"))
                                .fetchTimeout(Duration.ofSeconds(5))
                                .build())
                        .build())) {
      String valid =
          TestTokens.sign(
              k1,
              TestTokens.header("ES256", "k1"),
              TestTokens.claims(ISS, "alice", "api", Instant.now(), 600));
      // Warm up: keys cached, the connection and a few server threads exist.
      for (int i = 0; i < 20; i++) {
        s.stub(bearer(valid)).anyUser(REQ);
      }
      // Random kids with a well-formed 64-byte signature: the key lookup comes before any
      // signature check, so signing each one for real would only slow the test down.
      Random random = new Random(7);
      String payload =
          TestTokens.encode(TestTokens.claims(ISS, "mallory", "api", Instant.now(), 600));
      String[] flood = new String[FLOOD];
      for (int i = 0; i < FLOOD; i++) {
        byte[] signature = new byte[64];
        random.nextBytes(signature);
        flood[i] =
            TestTokens.encode(TestTokens.header("ES256", UUID.randomUUID().toString()))
                + "."
                + payload
                + "."
                + Base64URL.encode(signature);
      }
      jwks.slowness(Duration.ofSeconds(2));
      jwks.mode(Mode.SLOW);
      int requestsBefore = jwks.requests();
      int poolBefore = s.largestPoolSize();
      int jvmBefore = threads.getThreadCount();
      threads.resetPeakThreadCount();

      Tally floodTally = new Tally("unknown-kid flood (" + FLOOD + " concurrent, slow refresh)");
      Tally validTally = new Tally("valid calls during the unknown-kid flood");
      CountDownLatch done = new CountDownLatch(FLOOD);
      // Another client, whose key is cached, calls throughout the flood; it never waits on the
      // refresh.
      Thread other =
          new Thread(
              () -> {
                while (done.getCount() > 0) {
                  validTally.call(() -> s.otherClientStub(bearer(valid)).anyUser(REQ));
                }
              },
              "other-client");
      other.setDaemon(true);
      other.start();
      assertNotNull(Conditions.await(Duration.ofSeconds(30), 5, () -> validTally.calls() >= 1));
      long t0 = System.nanoTime();
      for (String t : flood) {
        s.asyncStub(bearer(t))
            .anyUser(
                REQ,
                new StreamObserver<Resp>() {
                  @Override
                  public void onNext(Resp value) {}

                  @Override
                  public void onError(Throwable e) {
                    floodTally.record(Status.fromThrowable(e), System.nanoTime() - t0);
                    done.countDown();
                  }

                  @Override
                  public void onCompleted() {
                    floodTally.record(Status.OK, System.nanoTime() - t0);
                    done.countDown();
                  }
                });
      }
      assertTrue(done.await(60, TimeUnit.SECONDS), "the flood never finished");
      other.join(30_000);
      int poolGrowth = s.largestPoolSize() - poolBefore;
      int jvmGrowth = threads.getPeakThreadCount() - jvmBefore;
      int refreshes = jwks.requests() - requestsBefore;
      floodTally.print(
          "server call threads before="
              + poolBefore
              + ", largest during flood="
              + s.largestPoolSize()
              + ", JVM threads before="
              + jvmBefore
              + ", JVM peak="
              + threads.getPeakThreadCount()
              + ", key refreshes="
              + refreshes);
      validTally.print("");

      assertEquals(FLOOD, floodTally.calls());
      assertEquals(0, floodTally.ok(), "a flood call was accepted");
      for (String outcome : floodTally.outcomes().keySet()) {
        assertTrue(
            outcome.equals("UNAVAILABLE/" + AuthStatus.UNAVAILABLE_TEXT)
                || outcome.equals("UNAUTHENTICATED/" + AuthStatus.INVALID_TEXT),
            "unexpected outcome " + outcome);
      }
      assertEquals(validTally.calls(), validTally.ok(), "valid calls failed during the flood");
      assertTrue(validTally.ok() >= 1);
      assertEquals(20 + validTally.ok(), s.handlerRuns(), "only valid calls reached handlers");
      assertTrue(
          poolGrowth <= THREAD_GROWTH_BOUND,
          "server threads grew by " + poolGrowth + " under the flood");
      assertTrue(
          jvmGrowth <= 2 * THREAD_GROWTH_BOUND, "JVM threads grew by " + jvmGrowth + " in all");
      assertTrue(refreshes <= 2, "one refresh serves the whole flood, saw " + refreshes);
    }
  }
}
