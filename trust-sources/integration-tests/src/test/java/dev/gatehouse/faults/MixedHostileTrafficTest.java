package dev.gatehouse.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.ServiceTokenIssuer;
import dev.gatehouse.trust.jwt.SignedTokenTrustSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import dev.gatehouse.trust.mesh.MeshIdentityTrustSource;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/**
 * 10,000 calls over a real channel, valid and hostile interleaved (a forged signature, {@code alg:
 * none}, an expired token, a wrong audience, a forwarded-identity header from a peer that is not a
 * trusted proxy, a garbage bearer, no credential): every valid call succeeds, every hostile one is
 * refused with the right code and fixed description, handlers ran exactly once per valid call, no
 * exception reached a log, the refusal log stayed bounded (rate-limited), and the server is healthy
 * afterwards.
 */
class MixedHostileTrafficTest {
  static final int CALLS = 10_000;
  static final int IN_FLIGHT = 32;
  static final String ISS = "https://idp.test";
  static final String SERVICE = "trips";
  static final String XFCC = "x-forwarded-client-cert";
  static final String WORKER_ID = "spiffe://cluster.local/ns/trips/sa/worker";

  /**
   * The refusal log allows 20 lines per method and reason every 10 s; the hostile kinds here fall
   * into about a dozen such buckets (16 allowed for). One line per refusal would be about 7,800.
   */
  static final int AUDIT_LINES_PER_WINDOW = 20 * 16;

  private static final Req REQ = Req.getDefaultInstance();

  /** What one kind of call sends, to which method, and the status it must get. */
  private record Kind(
      String name,
      Metadata headers,
      BiConsumer<ProbeGrpc.ProbeStub, StreamObserver<Resp>> method,
      Status.Code code,
      String text) {
    boolean valid() {
      return code == Status.Code.OK;
    }
  }

  private static void anyUser(ProbeGrpc.ProbeStub stub, StreamObserver<Resp> o) {
    stub.anyUser(REQ, o);
  }

  private static void worker(ProbeGrpc.ProbeStub stub, StreamObserver<Resp> o) {
    stub.worker(REQ, o);
  }

  private static void open(ProbeGrpc.ProbeStub stub, StreamObserver<Resp> o) {
    stub.open(REQ, o);
  }

  private static Metadata md(String... nameValue) {
    Metadata md = new Metadata();
    for (int i = 0; i < nameValue.length; i += 2) {
      md.put(Metadata.Key.of(nameValue[i], Metadata.ASCII_STRING_MARSHALLER), nameValue[i + 1]);
    }
    return md;
  }

  @Test
  void tenThousandMixedCalls_validServedHostileRefusedServerHealthy() throws Exception {
    ECKey idp = TestTokens.ecKey("idp-1");
    ECKey worker = TestTokens.ecKey("worker-1");
    ECKey attacker = TestTokens.ecKey("idp-1"); // same kid, another key
    Instant now = Instant.now();
    String user =
        TestTokens.sign(
            idp,
            TestTokens.header("ES256", "idp-1"),
            TestTokens.claims(ISS, "alice", "api", now, 900));
    String service =
        TestTokens.sign(
            worker,
            TestTokens.header("ES256", "worker-1"),
            TestTokens.claims("worker", "worker", SERVICE, now, 600));
    String forged =
        TestTokens.sign(
            attacker,
            TestTokens.header("ES256", "idp-1"),
            TestTokens.claims(ISS, "mallory", "api", now, 900));
    String none =
        TestTokens.encode(Map.of("alg", "none", "kid", "idp-1"))
            + "."
            + TestTokens.encode(TestTokens.claims(ISS, "mallory", "api", now, 900))
            + ".";
    String expired =
        TestTokens.sign(
            idp,
            TestTokens.header("ES256", "idp-1"),
            TestTokens.claims(ISS, "alice", "api", now.minusSeconds(7200), 600));
    String wrongAudience =
        TestTokens.sign(
            idp,
            TestTokens.header("ES256", "idp-1"),
            TestTokens.claims(ISS, "alice", "billing-api", now, 900));
    List<Kind> kinds =
        List.of(
            new Kind(
                "valid user",
                md("authorization", "Bearer " + user),
                MixedHostileTrafficTest::anyUser,
                Status.Code.OK,
                null),
            new Kind(
                "valid service",
                md("authorization", "Bearer " + service),
                MixedHostileTrafficTest::worker,
                Status.Code.OK,
                null),
            new Kind("valid public", md(), MixedHostileTrafficTest::open, Status.Code.OK, null),
            new Kind(
                "forged signature",
                md("authorization", "Bearer " + forged),
                MixedHostileTrafficTest::anyUser,
                Status.Code.UNAUTHENTICATED,
                AuthStatus.INVALID_TEXT),
            new Kind(
                "alg none",
                md("authorization", "Bearer " + none),
                MixedHostileTrafficTest::anyUser,
                Status.Code.UNAUTHENTICATED,
                AuthStatus.INVALID_TEXT),
            new Kind(
                "expired",
                md("authorization", "Bearer " + expired),
                MixedHostileTrafficTest::anyUser,
                Status.Code.UNAUTHENTICATED,
                AuthStatus.INVALID_TEXT),
            new Kind(
                "wrong audience",
                md("authorization", "Bearer " + wrongAudience),
                MixedHostileTrafficTest::anyUser,
                Status.Code.UNAUTHENTICATED,
                AuthStatus.INVALID_TEXT),
            new Kind(
                "spoofed XFCC alone",
                md(XFCC, "URI=" + WORKER_ID),
                MixedHostileTrafficTest::worker,
                Status.Code.UNAUTHENTICATED,
                AuthStatus.INVALID_TEXT),
            new Kind(
                "spoofed XFCC with valid service token",
                md("authorization", "Bearer " + service, XFCC, "URI=" + WORKER_ID),
                MixedHostileTrafficTest::worker,
                Status.Code.UNAUTHENTICATED,
                AuthStatus.INVALID_TEXT),
            new Kind(
                "spoofed XFCC with valid user token",
                md("authorization", "Bearer " + user, XFCC, "URI=" + WORKER_ID),
                MixedHostileTrafficTest::anyUser,
                Status.Code.UNAUTHENTICATED,
                AuthStatus.INVALID_TEXT),
            new Kind(
                "garbage bearer",
                md("authorization", "Bearer %%garbage%%.!!"),
                MixedHostileTrafficTest::anyUser,
                Status.Code.UNAUTHENTICATED,
                AuthStatus.INVALID_TEXT),
            new Kind(
                "service token on a user method",
                md("authorization", "Bearer " + service),
                MixedHostileTrafficTest::anyUser,
                Status.Code.UNAUTHENTICATED,
                AuthStatus.INVALID_TEXT),
            new Kind(
                "missing credential, user method",
                md(),
                MixedHostileTrafficTest::anyUser,
                Status.Code.UNAUTHENTICATED,
                AuthStatus.MISSING_TEXT),
            new Kind(
                "missing credential, internal method",
                md(),
                MixedHostileTrafficTest::worker,
                Status.Code.UNAUTHENTICATED,
                AuthStatus.MISSING_TEXT));

    Map<String, Tally> byKind = new HashMap<>();
    Tally all = new Tally("10,000 mixed valid and hostile calls");
    try (LogRecords audit = new LogRecords("dev.gatehouse.audit", Level.INFO);
        LogRecords thrown = new LogRecords("", Level.INFO);
        ProbeServer s =
            ProbeServer.start(
                svc ->
                    Gatehouse.newBuilder()
                        .addService(svc)
                        .userAuthenticator(
                            UserJwtAuthenticator.newBuilder()
                                .addIssuer(
                                    TrustedIssuer.newBuilder(ISS)
                                        .keys(JwksSource.of(new JWKSet(idp.toPublicJWK())))
                                        .audiences(List.of("api"))
                                        .build())
                                .build())
                        .addTrustSource(
                            MeshIdentityTrustSource.newBuilder()
                                .trustedProxies("10.0.0.0/8") // the loopback peer is no proxy
                                .allow(WORKER_ID, Set.of("trip-finisher"), Set.of())
                                .build())
                        .addTrustSource(
                            SignedTokenTrustSource.newBuilder()
                                .serviceName(SERVICE)
                                .addIssuer(
                                    ServiceTokenIssuer.newBuilder("worker")
                                        .keys(JwksSource.of(new JWKSet(worker.toPublicJWK())))
                                        .build())
                                .build())
                        .build())) {
      long start = System.nanoTime();
      Semaphore window = new Semaphore(IN_FLIGHT);
      CountDownLatch done = new CountDownLatch(CALLS);
      for (int i = 0; i < CALLS; i++) {
        Kind k = kinds.get(i % kinds.size());
        Tally kt = byKind.computeIfAbsent(k.name(), Tally::new);
        window.acquire();
        long t0 = System.nanoTime();
        k.method()
            .accept(
                s.asyncStub(k.headers()),
                new StreamObserver<>() {
                  @Override
                  public void onNext(Resp r) {}

                  @Override
                  public void onError(Throwable e) {
                    finish(Status.fromThrowable(e));
                  }

                  @Override
                  public void onCompleted() {
                    finish(Status.OK);
                  }

                  private void finish(Status st) {
                    long latency = System.nanoTime() - t0;
                    kt.record(st, latency);
                    all.record(st, latency);
                    window.release();
                    done.countDown();
                  }
                });
      }
      assertTrue(done.await(120, TimeUnit.SECONDS), "calls did not finish");

      long valid = 0;
      for (Kind k : kinds) {
        Tally kt = byKind.get(k.name());
        String expected = k.code() + (k.text() == null ? "" : "/" + k.text());
        assertEquals(
            Map.of(expected, (int) kt.calls()),
            kt.outcomes(),
            k.name() + ": every call must get " + expected);
        if (k.valid()) {
          valid += kt.calls();
        }
      }
      long windows = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) / 10 + 2;
      long auditBound = AUDIT_LINES_PER_WINDOW * windows;
      long handlerRuns = s.handlerRuns();
      long auditLines = audit.size();
      long withThrown = thrown.count(r -> r.getThrown() != null);
      long severe = thrown.count(r -> r.getLevel().intValue() >= Level.SEVERE.intValue());
      // Healthy after: a valid call still succeeds on the same server.
      Status after = all.call(() -> s.stub(md("authorization", "Bearer " + user)).anyUser(REQ));
      all.print(
          "valid="
              + valid
              + ", hostile="
              + (CALLS - valid)
              + ", handler runs="
              + handlerRuns
              + ", audit log lines="
              + auditLines
              + " (bound "
              + auditBound
              + ")"
              + ", log records with a stack trace="
              + withThrown
              + ", severe="
              + severe);
      assertEquals(valid, handlerRuns, "a handler ran for every valid call and no other");
      assertEquals(0, withThrown, "no exception escaped into a log");
      assertEquals(0, severe);
      assertTrue(auditLines <= auditBound, "refusal log not bounded: " + auditLines);
      assertTrue(after.isOk(), "server healthy after: " + after);
      assertTrue(s.serving());
    }
  }
}
