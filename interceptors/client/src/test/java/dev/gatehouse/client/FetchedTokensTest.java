package dev.gatehouse.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.client.FakeRequests.Applier;
import dev.gatehouse.testing.MutableClock;
import io.grpc.Status;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Service-token credentials that fetch their tokens from an issuer ({@code fetchFrom}): cached per
 * audience, refreshed in the background ahead of expiry with one fetch in flight, an issuer outage
 * shorter than the rest of the token's lifetime fails no call, and with no usable token left calls
 * fail with {@code UNAVAILABLE} and a fixed text.
 */
class FetchedTokensTest {
  private static final Duration LIFETIME = Duration.ofMinutes(5);
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T12:00:00Z"));
  private final Map<String, AtomicInteger> fetches = new ConcurrentHashMap<>();
  private final AtomicBoolean issuerDown = new AtomicBoolean();

  /** A fake issuer: token "aud.n" for the n-th fetch of an audience, valid for LIFETIME. */
  private final TokenFetcher issuer =
      audience -> {
        if (issuerDown.get()) {
          throw new IOException("issuer down");
        }
        int n = fetches.computeIfAbsent(audience, a -> new AtomicInteger()).incrementAndGet();
        return IssuedToken.of(audience + "." + n, clock.instant().plus(LIFETIME));
      };

  /** Runs tasks only when told to, so a test sees what happens while a fetch is in flight. */
  private static final class ManualExecutor implements Executor {
    final Queue<Runnable> tasks = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable r) {
      tasks.add(r);
    }

    void runAll() {
      Runnable r;
      while ((r = poll()) != null) {
        r.run();
      }
    }

    synchronized Runnable poll() {
      return tasks.poll();
    }
  }

  private ServiceTokenCallCredentials creds() {
    return ServiceTokenCallCredentials.newBuilder()
        .fetchFrom(issuer)
        .audienceFor("trips.v1.Trips", "trips")
        .audienceFor("billing.v1.Billing", "billing")
        .clock(clock)
        .build();
  }

  private static Applier call(ServiceTokenCallCredentials creds, Executor executor) {
    Applier a = new Applier();
    creds.applyRequestMetadata(FakeRequests.secure("trips.v1.Trips"), executor, a);
    return a;
  }

  private int fetchCount(String audience) {
    AtomicInteger n = fetches.get(audience);
    return n == null ? 0 : n.get();
  }

  @Test
  void tokens_cachedPerAudience_oneFetchEach() throws Exception {
    ServiceTokenCallCredentials creds = creds();
    assertEquals("trips.1", FakeRequests.token(creds, "trips.v1.Trips"));
    assertEquals("trips.1", FakeRequests.token(creds, "trips.v1.Trips"));
    assertEquals("billing.1", FakeRequests.token(creds, "billing.v1.Billing"));
    assertEquals("billing.1", FakeRequests.token(creds, "billing.v1.Billing"));
    assertEquals(1, fetchCount("trips"));
    assertEquals(1, fetchCount("billing"));
  }

  @Test
  void firstCalls_waitForOneFetch() throws Exception {
    ServiceTokenCallCredentials creds = creds();
    ManualExecutor executor = new ManualExecutor();
    Applier first = call(creds, executor);
    Applier second = call(creds, executor);
    assertFalse(first.isDone(), "waits for the fetch");
    assertFalse(second.isDone(), "waits for the same fetch");
    assertEquals(1, executor.tasks.size(), "one fetch in flight");
    executor.runAll();
    assertEquals("trips.1", first.jwt());
    assertEquals("trips.1", second.jwt());
    assertEquals(1, fetchCount("trips"));
  }

  @Test
  void refresh_aheadOfExpiry_inBackground_singleFetchInFlight() throws Exception {
    ServiceTokenCallCredentials creds = creds();
    assertEquals("trips.1", FakeRequests.token(creds, "trips.v1.Trips"));
    clock.advance(LIFETIME.multipliedBy(39).dividedBy(100));
    ManualExecutor executor = new ManualExecutor();
    assertEquals("trips.1", call(creds, executor).jwt());
    assertTrue(executor.tasks.isEmpty(), "no refresh before 40 % of the lifetime");
    clock.advance(LIFETIME.multipliedBy(11).dividedBy(100)); // 50 %: due whatever the jitter
    assertEquals("trips.1", call(creds, executor).jwt(), "the call does not wait for the refresh");
    assertEquals("trips.1", call(creds, executor).jwt());
    assertEquals(1, executor.tasks.size(), "one refresh in flight");
    executor.runAll();
    assertEquals("trips.2", call(creds, executor).jwt());
    assertEquals(2, fetchCount("trips"));
  }

  @Test
  void issuerDown_shorterThanTheRestOfTheLifetime_noCallFails() throws Exception {
    ServiceTokenCallCredentials creds = creds();
    assertEquals("trips.1", FakeRequests.token(creds, "trips.v1.Trips"));
    issuerDown.set(true);
    // A call every 5 s for 200 s: the refreshes from 40-50 % on fail and back off, every call is
    // served with the token in hand.
    for (long s = 5; s <= 200; s += 5) {
      clock.advance(Duration.ofSeconds(5));
      assertEquals("trips.1", call(creds, Runnable::run).jwt(), "at +" + s + " s");
    }
    assertTrue(fetchCount("trips") == 1, "every refresh failed");
    issuerDown.set(false);
    clock.advance(Duration.ofSeconds(37)); // past any backoff (at most 36 s), before 270 s
    assertEquals("trips.1", call(creds, Runnable::run).jwt(), "the refresh runs behind this call");
    assertEquals("trips.2", call(creds, Runnable::run).jwt());
  }

  @Test
  void noUsableTokenLeft_unavailableWithFixedText() throws Exception {
    ServiceTokenCallCredentials creds = creds();
    assertEquals("trips.1", FakeRequests.token(creds, "trips.v1.Trips"));
    issuerDown.set(true);
    clock.advance(LIFETIME.minusSeconds(30)); // the last 30 s are not used
    Applier a = call(creds, Runnable::run).await();
    assertNull(a.headers(), "no token sent");
    assertEquals(Status.Code.UNAVAILABLE, a.status().getCode());
    assertEquals(ClientStatus.ISSUER_UNAVAILABLE_TEXT, a.status().getDescription());
    // Backing off: the next call fails at once, without another fetch.
    ManualExecutor executor = new ManualExecutor();
    Applier b = call(creds, executor).await();
    assertEquals(ClientStatus.ISSUER_UNAVAILABLE_TEXT, b.status().getDescription());
    assertTrue(executor.tasks.isEmpty(), "no fetch while backing off");
    issuerDown.set(false);
    clock.advance(Duration.ofSeconds(31));
    assertEquals("trips.2", call(creds, Runnable::run).jwt());
  }

  @Test
  void issuerReturnsExpiredToken_treatedAsFailure() throws Exception {
    ServiceTokenCallCredentials creds =
        ServiceTokenCallCredentials.newBuilder()
            .fetchFrom(audience -> IssuedToken.of("stale", clock.instant().minusSeconds(1)))
            .audience("trips")
            .clock(clock)
            .build();
    Applier a = call(creds, Runnable::run).await();
    assertEquals(Status.Code.UNAVAILABLE, a.status().getCode());
    assertEquals(ClientStatus.ISSUER_UNAVAILABLE_TEXT, a.status().getDescription());
  }

  @Test
  void build_fetchFromWithLocalSigningSettings_refusedNamingEach() throws Exception {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ServiceTokenCallCredentials.newBuilder()
                    .fetchFrom(issuer)
                    .keySource(SigningKeySource.newBuilder().keyPair(TestKeys.ec()).build())
                    .clusterId("a")
                    .oneTimeTokens()
                    .audience("trips")
                    .build());
    assertTrue(e.getMessage().contains("fetchFrom(...) or keySource(...)"), e.getMessage());
    assertTrue(e.getMessage().contains("clusterId and scopes"), e.getMessage());
    assertTrue(e.getMessage().contains("oneTimeTokens()"), e.getMessage());
  }

  @Test
  void build_fetchFromWithOnBehalfOf_refused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ServiceTokenCallCredentials.newBuilder()
                    .fetchFrom(issuer)
                    .onBehalfOf(Optional::empty)
                    .audience("trips")
                    .build());
    assertTrue(e.getMessage().contains("onBehalfOf(...) cannot be combined"), e.getMessage());
  }

  @Test
  void issuedToken_toStringNeverShowsTheToken() {
    IssuedToken t = IssuedToken.of("secret.token.value", Instant.EPOCH);
    assertFalse(t.toString().contains("secret"));
    assertThrows(IllegalArgumentException.class, () -> IssuedToken.of("a b", Instant.EPOCH));
  }
}
