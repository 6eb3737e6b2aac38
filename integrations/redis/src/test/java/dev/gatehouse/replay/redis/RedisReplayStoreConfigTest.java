package dev.gatehouse.replay.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigSectionProvider;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.SignedTokenSection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code internal.signed_token.replay_store} of type {@code redis}: defaults, every field's
 * validation at startup naming the field, and no password in any error or {@code toString()}.
 */
class RedisReplayStoreConfigTest {
  private static final ConfigSectionProvider<SignedTokenSection> SIGNED_TOKEN =
      SignedTokenSection.provider(RedisReplayStore.provider());

  @TempDir Path dir;

  @BeforeEach
  void keys() throws Exception {
    Files.writeString(
        dir.resolve("w.jwks.json"), new JWKSet(TestTokens.ecKey("w-1").toPublicJWK()).toString());
  }

  private GatehouseConfig parse(ConfigSectionProvider<SignedTokenSection> p, String store) {
    return GatehouseConfig.parse(
        "service_name: trips\n"
            + "internal:\n"
            + "  signed_token:\n"
            + "    replay_protection: true\n"
            + "    replay_store: "
            + store
            + "\n"
            + "    issuers:\n"
            + "      - { issuer: worker, jwks_file: w.jwks.json }\n",
        dir,
        ConfigSections.of(p));
  }

  private ConfigException fails(String store) {
    return assertThrows(ConfigException.class, () -> parse(SIGNED_TOKEN, store));
  }

  @Test
  void redis_defaults() {
    SignedTokenSection s =
        parse(SIGNED_TOKEN, "{ type: redis, uri: \"redis://127.0.0.1:6379\" }")
            .section(SIGNED_TOKEN)
            .orElseThrow();
    RedisReplayStoreProvider.Spec spec =
        (RedisReplayStoreProvider.Spec) s.replayStore().orElseThrow();
    assertEquals("gatehouse:replay:trips:", spec.keyPrefix());
    assertEquals(Duration.ofMillis(50), spec.timeout());
    assertEquals(Duration.ofMillis(100), spec.connectTimeout());
    assertEquals(16, spec.poolSize());
    assertEquals(OnUnavailable.REFUSE, spec.onUnavailable());
  }

  @Test
  void redis_allFieldsRead() {
    SignedTokenSection s =
        parse(
                SIGNED_TOKEN,
                "{ type: redis, uri: \"rediss://replay.internal:6380/2\", key_prefix: \"gh:r:\","
                    + " timeout_ms: 20, connect_timeout_ms: 300, pool_size: 64,"
                    + " on_unavailable: local_cache }")
            .section(SIGNED_TOKEN)
            .orElseThrow();
    RedisReplayStoreProvider.Spec spec =
        (RedisReplayStoreProvider.Spec) s.replayStore().orElseThrow();
    assertEquals("gh:r:", spec.keyPrefix());
    assertEquals(Duration.ofMillis(20), spec.timeout());
    assertEquals(Duration.ofMillis(300), spec.connectTimeout());
    assertEquals(64, spec.poolSize());
    assertEquals(OnUnavailable.LOCAL_CACHE, spec.onUnavailable());
    assertTrue(spec.toString().contains("rediss://replay.internal:6380/2"), spec.toString());
  }

  @Test
  void badUri_refusedAtStartupNamingField_withoutQuotingPassword() {
    for (String uri :
        new String[] {
          "http://:s3cret-pw@127.0.0.1:6379",
          "redis://:s3cret-pw@:6379",
          "redis://:s3cret-pw@127.0.0.1:99999",
          "redis://:s3cret-pw@127.0.0.1:6379/x",
          "redis://:s3cret-pw@127.0.0.1:6379?db=1",
          "redis://s3cret-pw@127.0.0.1:6379",
          "redis://:s3cret-pw@127.0.0.1 6379",
          "127.0.0.1:6379"
        }) {
      ConfigException e = fails("{ type: redis, uri: \"" + uri + "\" }");
      assertEquals("internal.signed_token.replay_store.uri", e.field(), uri);
      assertFalse(e.getMessage().contains("s3cret-pw"), e.getMessage());
    }
    assertEquals("internal.signed_token.replay_store.uri", fails("{ type: redis }").field());
  }

  @Test
  void unknownType_refusedAtStartupNamingField() {
    ConfigException e = fails("{ type: rediz, uri: \"redis://127.0.0.1:6379\" }");
    assertEquals("internal.signed_token.replay_store.type", e.field());
    assertTrue(e.getMessage().contains("memory, redis"), e.getMessage());
  }

  @Test
  void redisWithoutItsProviderRegistered_refusedNamingTheFix() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                parse(
                    SignedTokenSection.provider(),
                    "{ type: redis, uri: \"redis://127.0.0.1:6379\" }"));
    assertEquals("internal.signed_token.replay_store.type", e.field());
    assertTrue(e.getMessage().contains("RedisReplayStore.provider()"), e.getMessage());
  }

  @Test
  void otherFields_refusedNamingField() {
    String base = "type: redis, uri: \"redis://127.0.0.1:6379\", ";
    assertEquals(
        "internal.signed_token.replay_store.timeout_ms",
        fails("{ " + base + "timeout_ms: 0 }").field());
    assertEquals(
        "internal.signed_token.replay_store.timeout_ms",
        fails("{ " + base + "timeout_ms: 5001 }").field());
    assertEquals(
        "internal.signed_token.replay_store.connect_timeout_ms",
        fails("{ " + base + "connect_timeout_ms: 60000 }").field());
    assertEquals(
        "internal.signed_token.replay_store.pool_size",
        fails("{ " + base + "pool_size: 0 }").field());
    assertEquals(
        "internal.signed_token.replay_store.on_unavailable",
        fails("{ " + base + "on_unavailable: accept }").field());
    assertEquals(
        "internal.signed_token.replay_store.key_prefix",
        fails("{ " + base + "key_prefix: \"has space\" }").field());
    assertEquals(
        "internal.signed_token.replay_store.password",
        fails("{ " + base + "password: x }").field());
  }

  @Test
  void specWithPassword_toStringRedacted() {
    SignedTokenSection s =
        parse(SIGNED_TOKEN, "{ type: redis, uri: \"redis://app:s3cret-pw@127.0.0.1:6379/1\" }")
            .section(SIGNED_TOKEN)
            .orElseThrow();
    String shown = s.toString();
    assertFalse(shown.contains("s3cret-pw"), shown);
    assertFalse(shown.contains("app:"), shown);
    assertTrue(shown.contains("redis://127.0.0.1:6379/1"), shown);
  }
}
