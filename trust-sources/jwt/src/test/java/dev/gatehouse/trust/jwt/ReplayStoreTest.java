package dev.gatehouse.trust.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import dev.gatehouse.config.ConfigSectionProvider;
import dev.gatehouse.config.ConfigSectionProvider.Previous;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link ReplayStore} SPI as {@code signed_token} uses it: what it is asked, what each answer
 * becomes, who closes it, and how {@code replay_store} is read from the file.
 */
class ReplayStoreTest {
  private static final Instant START = Instant.parse("2026-06-01T08:00:00Z");
  private static final ECKey WORKER = TestTokens.ecKey("w-1");

  @TempDir Path dir;

  /** Answers {@code answer} (or throws when null) and records every question. */
  private static final class ScriptedStore implements ReplayStore {
    final List<String> asked = new ArrayList<>();
    final AtomicInteger closed = new AtomicInteger();
    volatile Result answer;

    ScriptedStore(Result answer) {
      this.answer = answer;
    }

    @Override
    public Result insertIfAbsent(String issuer, String jti, Instant expiresAt, Instant now) {
      asked.add(issuer + "|" + jti + "|" + expiresAt + "|" + now);
      if (answer == null) {
        throw new IllegalStateException("backend exploded at redis://:hunter2@10.0.0.1");
      }
      return answer;
    }

    @Override
    public void close() {
      closed.incrementAndGet();
    }
  }

  private static SignedTokenTrustSource source(MutableClock clock, ReplayStore store) {
    return SignedTokenTrustSource.newBuilder()
        .serviceName("trips")
        .clock(clock)
        .replayProtection(true)
        .replayStore(store)
        .addIssuer(
            ServiceTokenIssuer.newBuilder("worker")
                .keys(JwksSource.of(new JWKSet(WORKER.toPublicJWK())))
                .build())
        .build();
  }

  private static String token(String jti) {
    Map<String, Object> claims = TestTokens.claims("worker", "worker", "trips", START, 300);
    claims.put("jti", jti);
    return TestTokens.sign(WORKER, TestTokens.header("ES256", "w-1"), claims);
  }

  private static AuthResult present(Authenticator s, String token) {
    Metadata md = new Metadata();
    md.put(IncomingCall.key("authorization"), "Bearer " + token);
    return s.authenticate(IncomingCall.of("gatehouse.test.v1.Probe/Worker", md, null, null));
  }

  @Test
  void store_askedForIssuerJtiUntilExpPlusLargestSkew() {
    ScriptedStore store = new ScriptedStore(ReplayStore.Result.FIRST_USE);
    try (SignedTokenTrustSource s = source(new MutableClock(START), store)) {
      assertEquals(AuthResult.Outcome.AUTHENTICATED, present(s, token("j-1")).outcome());
    }
    assertEquals(List.of("worker|j-1|" + START.plusSeconds(300 + 120) + "|" + START), store.asked);
  }

  @Test
  void storeAnswersReplayedOrFull_refusedReplayed() {
    ScriptedStore store = new ScriptedStore(ReplayStore.Result.REPLAYED);
    try (SignedTokenTrustSource s = source(new MutableClock(START), store)) {
      AuthResult replayed = present(s, token("j-1"));
      assertEquals(AuthResult.Outcome.REJECTED, replayed.outcome());
      assertEquals(Reason.REPLAYED, replayed.reason());
      store.answer = ReplayStore.Result.FULL;
      AuthResult full = present(s, token("j-2"));
      assertEquals(AuthResult.Outcome.REJECTED, full.outcome());
      assertEquals(Reason.REPLAYED, full.reason());
    }
  }

  @Test
  void storeUnavailable_callUnavailableNeverAuthenticated() {
    ScriptedStore store = new ScriptedStore(ReplayStore.Result.UNAVAILABLE);
    try (SignedTokenTrustSource s = source(new MutableClock(START), store)) {
      AuthResult r = present(s, token("j-1"));
      assertEquals(AuthResult.Outcome.UNAVAILABLE, r.outcome());
      assertTrue(r.detail().contains("replay store unavailable"), r.detail());
      // Back: the same token is a first use.
      store.answer = ReplayStore.Result.FIRST_USE;
      assertEquals(AuthResult.Outcome.AUTHENTICATED, present(s, token("j-1")).outcome());
    }
  }

  @Test
  void storeThrows_callUnavailable_detailWithoutStoreMessage() {
    ScriptedStore store = new ScriptedStore(null);
    try (SignedTokenTrustSource s = source(new MutableClock(START), store)) {
      AuthResult r = present(s, token("j-1"));
      assertEquals(AuthResult.Outcome.UNAVAILABLE, r.outcome());
      assertFalse(r.detail().contains("hunter2"), r.detail());
    }
  }

  @Test
  void replayProtectionOff_storeNeverAsked() {
    ScriptedStore store = new ScriptedStore(ReplayStore.Result.UNAVAILABLE);
    try (SignedTokenTrustSource s =
        SignedTokenTrustSource.newBuilder()
            .serviceName("trips")
            .clock(new MutableClock(START))
            .replayStore(store)
            .addIssuer(
                ServiceTokenIssuer.newBuilder("worker")
                    .keys(JwksSource.of(new JWKSet(WORKER.toPublicJWK())))
                    .build())
            .build()) {
      assertEquals(AuthResult.Outcome.AUTHENTICATED, present(s, token("j-1")).outcome());
    }
    assertEquals(List.of(), store.asked);
  }

  @Test
  void storeCarriedOverReload_closedOnlyWithLastSource() {
    MutableClock clock = new MutableClock(START);
    ScriptedStore store = new ScriptedStore(ReplayStore.Result.FIRST_USE);
    SignedTokenTrustSource first = source(clock, store);
    SignedTokenTrustSource second =
        SignedTokenTrustSource.newBuilder()
            .serviceName("trips")
            .clock(clock)
            .replayProtection(true)
            .continueReplayCacheOf(first)
            .addIssuer(
                ServiceTokenIssuer.newBuilder("worker")
                    .keys(JwksSource.of(new JWKSet(WORKER.toPublicJWK())))
                    .build())
            .build();
    first.close();
    assertEquals(0, store.closed.get());
    assertEquals(AuthResult.Outcome.AUTHENTICATED, present(second, token("j-9")).outcome());
    assertEquals(1, store.asked.size());
    second.close();
    assertEquals(1, store.closed.get());
  }

  @Test
  void inMemoryStore_capacityMustBePositive() {
    assertThrows(IllegalArgumentException.class, () -> ReplayStore.inMemory(0));
    ReplayStore s = ReplayStore.inMemory(1);
    assertEquals(
        ReplayStore.Result.FIRST_USE, s.insertIfAbsent("a", "j", START.plusSeconds(10), START));
    assertEquals(
        ReplayStore.Result.REPLAYED, s.insertIfAbsent("a", "j", START.plusSeconds(10), START));
    // Issuer-scoped: the same jti of another issuer is another key (and the store is full).
    assertEquals(ReplayStore.Result.FULL, s.insertIfAbsent("b", "j", START.plusSeconds(10), START));
    assertEquals(1, s.localSize());
  }

  // --- configuration -----------------------------------------------------------------------

  /** A test store type {@code scripted} with one field {@code name}. */
  private record ScriptedSpec(String name) implements ReplayStoreSpec {
    static final List<ScriptedStore> OPENED = new ArrayList<>();

    @Override
    public String type() {
      return "scripted";
    }

    @Override
    public ReplayStore open() {
      ScriptedStore s = new ScriptedStore(ReplayStore.Result.FIRST_USE);
      synchronized (OPENED) {
        OPENED.add(s);
      }
      return s;
    }
  }

  private static final ReplayStoreProvider SCRIPTED =
      new ReplayStoreProvider() {
        @Override
        public String type() {
          return "scripted";
        }

        @Override
        public ReplayStoreSpec parse(ConfigNode node, GatehouseConfig topLevel) {
          return new ScriptedSpec(node.requiredString("name"));
        }
      };

  private static final ConfigSectionProvider<SignedTokenSection> WITH_SCRIPTED =
      SignedTokenSection.provider(SCRIPTED);

  private GatehouseConfig parse(ConfigSectionProvider<SignedTokenSection> p, String store)
      throws Exception {
    Files.writeString(dir.resolve("w.jwks.json"), new JWKSet(WORKER.toPublicJWK()).toString());
    return GatehouseConfig.parse(
        "service_name: trips\n"
            + "internal:\n"
            + "  signed_token:\n"
            + "    replay_protection: true\n"
            + store
            + "    issuers:\n"
            + "      - { issuer: worker, jwks_file: w.jwks.json }\n",
        dir,
        ConfigSections.of(p));
  }

  @Test
  void config_noReplayStore_inMemoryDefault() throws Exception {
    SignedTokenSection s =
        parse(WITH_SCRIPTED, "").section(SignedTokenSection.provider()).orElseThrow();
    assertEquals(Optional.empty(), s.replayStore());
    SignedTokenSection memory =
        parse(SignedTokenSection.provider(), "    replay_store: { type: memory }\n")
            .section(SignedTokenSection.provider())
            .orElseThrow();
    assertEquals(s, memory);
  }

  @Test
  void config_unknownType_refusedNamingFieldAndRegisteredTypes() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> parse(WITH_SCRIPTED, "    replay_store: { type: memcached }\n"));
    assertEquals("internal.signed_token.replay_store.type", e.field());
    assertTrue(e.getMessage().contains("memory, scripted"), e.getMessage());
  }

  @Test
  void config_redisWithoutItsProvider_refusedNamingTheModule() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                parse(
                    SignedTokenSection.provider(),
                    "    replay_store: { type: redis, uri: \"redis://127.0.0.1:6379\" }\n"));
    assertEquals("internal.signed_token.replay_store.type", e.field());
    assertTrue(e.getMessage().contains("gatehouse-replay-redis"), e.getMessage());
  }

  @Test
  void config_missingTypeOrUnknownField_refusedNamingField() {
    ConfigException missing =
        assertThrows(
            ConfigException.class, () -> parse(WITH_SCRIPTED, "    replay_store: { name: a }\n"));
    assertEquals("internal.signed_token.replay_store.type", missing.field());
    ConfigException unknown =
        assertThrows(
            ConfigException.class,
            () -> parse(WITH_SCRIPTED, "    replay_store: { type: scripted, name: a, x: 1 }\n"));
    assertEquals("internal.signed_token.replay_store.x", unknown.field());
  }

  @Test
  void config_registeredType_openedAtCreateAndStoreChangeOnReloadRefused() throws Exception {
    GatehouseConfig a = parse(WITH_SCRIPTED, "    replay_store: { type: scripted, name: a }\n");
    SignedTokenSection sa = a.section(WITH_SCRIPTED).orElseThrow();
    assertEquals(Optional.of(new ScriptedSpec("a")), sa.replayStore());
    int before;
    synchronized (ScriptedSpec.OPENED) {
      before = ScriptedSpec.OPENED.size();
    }
    Authenticator live = WITH_SCRIPTED.create(sa, a, Optional.empty());
    try {
      synchronized (ScriptedSpec.OPENED) {
        assertEquals(before + 1, ScriptedSpec.OPENED.size());
      }
      GatehouseConfig b = parse(WITH_SCRIPTED, "    replay_store: { type: scripted, name: b }\n");
      ConfigException e =
          assertThrows(
              ConfigException.class,
              () ->
                  WITH_SCRIPTED.create(
                      b.section(WITH_SCRIPTED).orElseThrow(),
                      b,
                      Optional.of(new Previous<>(sa, live))));
      assertEquals("internal.signed_token.replay_store", e.field());
    } finally {
      live.close();
    }
  }

  @Test
  void provider_storeTypesValidated() {
    assertThrows(
        IllegalArgumentException.class, () -> SignedTokenSection.provider(SCRIPTED, SCRIPTED));
    ReplayStoreProvider memory =
        new ReplayStoreProvider() {
          @Override
          public String type() {
            return "memory";
          }

          @Override
          public ReplayStoreSpec parse(ConfigNode node, GatehouseConfig topLevel) {
            throw new AssertionError();
          }
        };
    assertThrows(IllegalArgumentException.class, () -> SignedTokenSection.provider(memory));
  }
}
