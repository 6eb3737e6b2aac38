package dev.gatehouse.trust.spiffe.workload;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.gatehouse.trust.spiffe.TrustDomain;
import dev.gatehouse.trust.spiffe.tls.Pki;
import dev.gatehouse.trust.spiffe.tls.Pki.Issued;
import dev.gatehouse.trust.spiffe.tls.X509Material;
import io.spiffe.workloadapi.grpc.Workload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link WorkloadX509Material} against a fake Workload API on a Unix socket the test starts. */
class WorkloadX509MaterialTest {
  private static final String A = "example.org";
  private static final String B = "partner.test";
  private static final String WORKER = "spiffe://example.org/ns/trips/sa/worker";
  private static final Issued CA_A = Pki.ca(A);
  private static final Issued CA_B = Pki.ca(B);

  private Path dir;
  private FakeWorkloadApi agent;
  private WorkloadApiFeed feed;

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory(Path.of("/tmp"), "gh-wx");
    agent = new FakeWorkloadApi(dir.resolve("agent.sock"));
    agent.start();
    feed = WorkloadApiFeed.connect("unix:" + dir.resolve("agent.sock"));
  }

  @AfterEach
  void stop() throws Exception {
    feed.close();
    agent.close();
    Files.deleteIfExists(dir.resolve("agent.sock"));
    Files.deleteIfExists(dir);
  }

  private static Workload.X509SVIDResponse context(Issued svid) throws Exception {
    return AgentWorkload.context(
        WORKER, svid, List.of(CA_A.cert()), Map.of(B, List.of(CA_B.cert())));
  }

  @Test
  void materialHoldsTheSvidAndTheOwnAndFederatedBundles_andFollowsRotation() throws Exception {
    Issued first = Pki.svid(CA_A, WORKER);
    agent.x509(context(first));
    try (WorkloadX509Material m = WorkloadX509Material.of(feed, Duration.ofSeconds(20))) {
      X509Material now = m.current();
      assertEquals(WORKER, now.spiffeId().toString());
      assertEquals(List.of(first.cert()), now.chain());
      assertEquals(
          Map.of(
              TrustDomain.parse(A), List.of(CA_A.cert()),
              TrustDomain.parse(B), List.of(CA_B.cert())),
          now.bundles());

      List<X509Material> seen = new CopyOnWriteArrayList<>();
      m.subscribe(seen::add);
      Issued second = Pki.svid(CA_A, WORKER);
      agent.x509(context(second));
      await(() -> m.current().chain().get(0).equals(second.cert()), "the rotated SVID");
      await(() -> !seen.isEmpty(), "the listener");
      assertSame(m.current(), seen.get(seen.size() - 1));
    }
  }

  @Test
  void contextWhoseKeyIsNotTheLeafs_isSkippedAndThePreviousMaterialKept() throws Exception {
    Issued good = Pki.svid(CA_A, WORKER);
    agent.x509(context(good));
    try (WorkloadX509Material m = WorkloadX509Material.of(feed, Duration.ofSeconds(20))) {
      X509Material before = m.current();
      List<X509Material> seen = new CopyOnWriteArrayList<>();
      m.subscribe(seen::add);
      Issued other = Pki.svid(CA_A, WORKER);
      X509Certificate newLeaf = Pki.svid(CA_A, WORKER).cert();
      Workload.X509SVIDResponse mismatched =
          Workload.X509SVIDResponse.newBuilder()
              .addSvids(
                  Workload.X509SVID
                      .newBuilder()
                      .setSpiffeId(WORKER)
                      .setX509Svid(AgentWorkload.der(List.of(newLeaf)))
                      .setX509SvidKey(ByteString.copyFrom(other.key().getEncoded()))
                      .setBundle(AgentWorkload.der(List.of(CA_A.cert()))))
              .build();
      agent.x509(mismatched);
      // The feed took the context (its SVID changed), the TLS material did not.
      await(() -> feed.svid().orElseThrow().leaf().equals(newLeaf), "the feed's SVID");
      assertSame(before, m.current());

      Issued fixed = Pki.svid(CA_A, WORKER);
      agent.x509(context(fixed));
      await(() -> m.current().chain().get(0).equals(fixed.cert()), "the next consistent SVID");
      // The material is replaced before its listeners run: wait for them, then check that the
      // mismatched pair was never handed out.
      await(() -> !seen.isEmpty(), "the listener");
      assertEquals(1, seen.size(), seen::toString);
      assertSame(m.current(), seen.get(0));
    }
  }

  @Test
  void noSvidWithinTheTimeout_failsNamingTheSocket() {
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> WorkloadX509Material.of(feed, Duration.ofMillis(300)));
    assertTrue(e.getMessage().contains("firstSvidTimeout"), e.getMessage());
    assertTrue(e.getMessage().contains(feed.socket()), e.getMessage());
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 20 s: " + what);
      }
      Thread.sleep(10);
    }
  }
}
