package dev.gatehouse.replay.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.trust.jwt.ReplayStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** {@link RedisReplayStore} without a server: keys, validation, and an unreachable Redis. */
class RedisReplayStoreTest {
  private static final Instant NOW = Instant.parse("2026-06-01T08:00:00Z");

  private static int closedPort() throws IOException {
    try (ServerSocket s =
        new ServerSocket(0, 1, InetAddress.getByAddress(new byte[] {127, 0, 0, 1}))) {
      return s.getLocalPort();
    }
  }

  @Test
  void key_prefixPlusHashOfIssuerAndJti_neverTheRawJti() {
    try (RedisReplayStore s =
        RedisReplayStore.newBuilder().uri("redis://127.0.0.1:6379").keyPrefix("p:").build()) {
      String jti = "x".repeat(256);
      String k = s.key("worker", jti);
      assertTrue(k.startsWith("p:"), k);
      assertEquals(2 + 43, k.length(), k);
      assertFalse(k.contains("xxxx"), k);
      // Issuer-scoped, and the separator keeps ("a", "bc") apart from ("ab", "c").
      assertNotEquals(s.key("a", "bc"), s.key("ab", "c"));
      assertNotEquals(s.key("worker", "j"), s.key("billing", "j"));
      assertEquals(s.key("worker", "j"), s.key("worker", "j"));
    }
  }

  @Test
  void builder_validates() {
    assertThrows(IllegalArgumentException.class, () -> RedisReplayStore.newBuilder().build());
    RedisReplayStore.Builder b = RedisReplayStore.newBuilder();
    assertThrows(IllegalArgumentException.class, () -> b.uri("redis://"));
    assertThrows(IllegalArgumentException.class, () -> b.keyPrefix(""));
    assertThrows(IllegalArgumentException.class, () -> b.keyPrefix("a b"));
    assertThrows(IllegalArgumentException.class, () -> b.keyPrefix("k".repeat(129)));
    assertThrows(IllegalArgumentException.class, () -> b.timeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> b.timeout(Duration.ofSeconds(6)));
    assertThrows(IllegalArgumentException.class, () -> b.connectTimeout(Duration.ofSeconds(6)));
    assertThrows(IllegalArgumentException.class, () -> b.poolSize(0));
    assertThrows(IllegalArgumentException.class, () -> b.poolSize(1025));
  }

  @Test
  void endpoint_redactedFormAndParts() {
    RedisEndpoint e = RedisEndpoint.parse("rediss://app:pw%40x@replay.internal:6380/3");
    assertEquals("rediss://replay.internal:6380/3", e.toString());
    assertTrue(e.tls());
    assertEquals("app", e.user().orElseThrow());
    assertEquals("pw@x", new String(e.password().orElseThrow()));
    assertEquals(3, e.database());
    RedisEndpoint d = RedisEndpoint.parse("redis://127.0.0.1");
    assertEquals("redis://127.0.0.1:6379/0", d.toString());
    assertFalse(d.password().isPresent());
  }

  @Test
  void unreachable_refuseByDefault_loggedWithoutPassword() throws Exception {
    List<LogRecord> logged = new CopyOnWriteArrayList<>();
    Logger log = Logger.getLogger(RedisReplayStore.class.getName());
    Handler h =
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            logged.add(r);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    log.addHandler(h);
    try (RedisReplayStore s =
        RedisReplayStore.newBuilder()
            .uri("redis://app:s3cret-pw@127.0.0.1:" + closedPort())
            .build()) {
      assertEquals(
          ReplayStore.Result.UNAVAILABLE,
          s.insertIfAbsent("worker", "j-1", NOW.plusSeconds(60), NOW));
      assertEquals(
          ReplayStore.Result.UNAVAILABLE,
          s.insertIfAbsent("worker", "j-1", NOW.plusSeconds(60), NOW));
      assertFalse(s.toString().contains("s3cret-pw"), s.toString());
    } finally {
      log.removeHandler(h);
    }
    assertEquals(
        1,
        logged.stream().filter(r -> r.getLevel().equals(Level.WARNING)).count(),
        "one WARNING on the transition");
    for (LogRecord r : logged) {
      String text = new java.util.logging.SimpleFormatter().formatMessage(r);
      assertFalse(text.contains("s3cret-pw"), text);
      assertFalse(text.contains("app:"), text);
    }
  }

  @Test
  void unreachable_localCacheOptIn_checksInThisProcess() throws Exception {
    try (RedisReplayStore s =
        RedisReplayStore.newBuilder()
            .uri("redis://127.0.0.1:" + closedPort())
            .onUnavailable(OnUnavailable.LOCAL_CACHE)
            .build()) {
      assertEquals(
          ReplayStore.Result.FIRST_USE,
          s.insertIfAbsent("worker", "j-1", NOW.plusSeconds(60), NOW));
      assertEquals(
          ReplayStore.Result.REPLAYED, s.insertIfAbsent("worker", "j-1", NOW.plusSeconds(60), NOW));
      assertEquals(1, s.localSize());
    }
  }
}
