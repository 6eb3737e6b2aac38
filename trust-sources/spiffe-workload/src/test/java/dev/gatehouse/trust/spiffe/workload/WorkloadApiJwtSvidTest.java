package dev.gatehouse.trust.spiffe.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.client.JwtSvidCallCredentials;
import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.spiffe.SpiffeJwtTrustSource;
import dev.gatehouse.trust.spiffe.TrustDomain;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.spiffe.workloadapi.grpc.Workload;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * JWT-SVIDs without mTLS: callers get JWT-SVIDs from their fake agents ({@link WorkloadApiJwtSvids}
 * through {@link JwtSvidCallCredentials}, opted in to a plaintext hop to a local sidecar) and call
 * a server on plaintext 127.0.0.1 whose {@code spiffe_jwt} reads the JWT bundles of the server's
 * agent. While 4 threads call continuously, the agents rotate the trust domain's JWT signing key
 * (new key published next to the old one, tokens signed by the new one, old key withdrawn) and the
 * short-lived SVIDs are refreshed: every call of the allowed caller succeeds; a caller whose SVID
 * is valid but whose ID is not allowed, and a call without an SVID, are refused and never reach the
 * handler.
 */
class WorkloadApiJwtSvidTest {
  private static final String A = "example.org";
  private static final String AUDIENCE = "trips";
  private static final String CALLER = "spiffe://example.org/ns/trips/sa/jwt-caller";
  private static final String INTRUDER = "spiffe://example.org/ns/trips/sa/intruder";
  private static final long SVID_SECONDS = 6;
  private static final int THREADS = 4;

  private final ECKey key1 = TestTokens.ecKey("jwt-1");
  private final ECKey key2 = TestTokens.ecKey("jwt-2");
  private final AtomicReference<ECKey> signer = new AtomicReference<>(key1);
  private final AtomicInteger issuedByKey2 = new AtomicInteger();
  private final List<AutoCloseable> closeAfter = new ArrayList<>();
  private Path dir;
  private FakeWorkloadApi serverAgent;
  private FakeWorkloadApi callerAgent;
  private FakeWorkloadApi intruderAgent;

  @BeforeEach
  void startAgents() throws Exception {
    dir = Files.createTempDirectory(Path.of("/tmp"), "gh-wj");
    serverAgent = agent("server.sock");
    serverAgent.jwt(jwtBundle(key1));
    callerAgent = agent("caller.sock");
    callerAgent.jwtSvids(audience -> svid(CALLER, audience));
    intruderAgent = agent("intruder.sock");
    intruderAgent.jwtSvids(audience -> svid(INTRUDER, audience));
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeAfter) {
      c.close();
    }
    for (String s : List.of("server.sock", "caller.sock", "intruder.sock")) {
      Files.deleteIfExists(dir.resolve(s));
    }
    Files.deleteIfExists(dir);
  }

  private FakeWorkloadApi agent(String socket) throws Exception {
    FakeWorkloadApi a = new FakeWorkloadApi(dir.resolve(socket));
    a.start();
    closeAfter.add(a);
    return a;
  }

  private WorkloadApiFeed feed(String socket) {
    WorkloadApiFeed f = WorkloadApiFeed.connect("unix:" + dir.resolve(socket));
    closeAfter.add(0, f);
    return f;
  }

  private String svid(String subject, String audience) {
    ECKey key = signer.get();
    if (key.getKeyID().equals(key2.getKeyID())) {
      issuedByKey2.incrementAndGet();
    }
    long now = Instant.now().getEpochSecond();
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("sub", subject);
    claims.put("aud", audience);
    claims.put("iat", now);
    claims.put("exp", now + SVID_SECONDS);
    return TestTokens.sign(key, TestTokens.header("ES256", key.getKeyID()), claims);
  }

  private static Workload.JWTBundlesResponse jwtBundle(ECKey... keys) {
    List<JWK> pub = new ArrayList<>();
    for (ECKey k : keys) {
      pub.add(k.toPublicJWK());
    }
    return Workload.JWTBundlesResponse.newBuilder()
        .putBundles(
            "spiffe://" + A,
            ByteString.copyFrom(new JWKSet(pub).toString(true).getBytes(StandardCharsets.UTF_8)))
        .build();
  }

  private static JwtSvidCallCredentials credentials(WorkloadApiFeed feed) {
    return JwtSvidCallCredentials.newBuilder()
        .source(WorkloadApiJwtSvids.of(feed))
        .audience(AUDIENCE)
        .allowPlaintextToLocalSidecar()
        .build();
  }

  @Test
  void agentJwtSvidsOverPlaintext_keyRotationAndRefreshUnderLoad_onlyAllowedIdServed()
      throws Exception {
    WorkloadApiFeed serverFeed = feed("server.sock");
    TrustDomain td = TrustDomain.parse(A);
    await(() -> serverFeed.bundles().jwtAuthorities(td).isPresent(), "the JWT bundle");
    SpiffeJwtTrustSource jwts =
        SpiffeJwtTrustSource.newBuilder()
            .serviceAudience(AUDIENCE)
            .addBundle(A, serverFeed.bundles())
            .allow(CALLER, Set.of(), Set.of())
            .build();
    closeAfter.add(0, jwts);
    AtomicReference<Gatehouse> gatehouse = new AtomicReference<>();
    try (ProbeHarness h =
        ProbeHarness.start(
            x -> {
              gatehouse.set(
                  Gatehouse.newBuilder()
                      .addService(x.service())
                      .userAuthenticator(TestSupport.noUsers())
                      .addTrustSource(jwts)
                      .build());
              return gatehouse.get();
            })) {
      Server server =
          gatehouse
              .get()
              .addTo(
                  NettyServerBuilder.forAddress(
                      new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                      InsecureServerCredentials.create()))
              .build()
              .start();
      ManagedChannel channel =
          NettyChannelBuilder.forAddress(
                  "127.0.0.1", server.getPort(), InsecureChannelCredentials.create())
              .build();
      try {
        ProbeGrpc.ProbeBlockingStub plain = ProbeGrpc.newBlockingStub(channel);
        ProbeGrpc.ProbeBlockingStub caller =
            plain.withCallCredentials(credentials(feed("caller.sock")));
        ProbeGrpc.ProbeBlockingStub intruder =
            plain.withCallCredentials(credentials(feed("intruder.sock")));

        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger served = new AtomicInteger();
        List<String> failures = new CopyOnWriteArrayList<>();
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
          Thread t =
              new Thread(
                  () -> {
                    while (!stop.get()) {
                      try {
                        caller
                            .withDeadlineAfter(10, TimeUnit.SECONDS)
                            .worker(Req.getDefaultInstance());
                        served.incrementAndGet();
                      } catch (StatusRuntimeException e) {
                        failures.add(e.getStatus().toString());
                      }
                    }
                  },
                  "jwt-caller-" + i);
          t.start();
          callers.add(t);
        }
        try {
          await(() -> served.get() > 0, "a first call");
          // The new key is published before any SVID is signed with it...
          serverAgent.jwt(jwtBundle(key1, key2));
          await(() -> serverFeed.bundles().jwtAuthorities(td).orElseThrow().size() == 2, "2 keys");
          signer.set(key2);
          // ...and the old one withdrawn once the caller has refreshed onto a new-key SVID twice
          // (the first new-key SVID replaced every cached old-key one).
          await(() -> issuedByKey2.get() >= 2, "SVIDs refreshed onto the new key");
          serverAgent.jwt(jwtBundle(key2));
          await(() -> serverFeed.bundles().jwtAuthorities(td).orElseThrow().size() == 1, "1 key");
          int refreshed = issuedByKey2.get();
          await(() -> issuedByKey2.get() > refreshed, "one more refresh on the new key alone");
        } finally {
          stop.set(true);
          for (Thread t : callers) {
            t.join(TimeUnit.SECONDS.toMillis(30));
          }
        }
        assertEquals(List.of(), failures);
        assertTrue(served.get() >= 20, "served: " + served.get());

        int runs = h.handlerRuns();
        assertEquals(served.get(), runs);
        Status notAllowed =
            ProbeHarness.expectFailure(() -> intruder.worker(Req.getDefaultInstance())).getStatus();
        assertEquals(Status.Code.UNAUTHENTICATED, notAllowed.getCode());
        assertEquals(AuthStatus.INVALID_TEXT, notAllowed.getDescription());
        Status none =
            ProbeHarness.expectFailure(() -> plain.worker(Req.getDefaultInstance())).getStatus();
        assertEquals(Status.Code.UNAUTHENTICATED, none.getCode());
        assertEquals(AuthStatus.MISSING_TEXT, none.getDescription());
        assertEquals(runs, h.handlerRuns(), "refused calls never reach the handler");

        Set<String> seen =
            h.seen().stream()
                .map(s -> s.context().map(AuthContext::subject).orElse("(none)"))
                .collect(Collectors.toSet());
        assertEquals(Set.of(CALLER), seen);
        assertEquals(
            SpiffeJwtTrustSource.NAME,
            h.seen().get(0).context().map(AuthContext::trustSource).orElse("(none)"));
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 30 s: " + what);
      }
      Thread.sleep(20);
    }
  }
}
