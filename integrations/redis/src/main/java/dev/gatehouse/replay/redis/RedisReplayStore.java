package dev.gatehouse.replay.redis;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.trust.jwt.ReplayStore;
import dev.gatehouse.trust.jwt.ReplayStoreProvider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.ConnectionPoolConfig;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.RedisClient;
import redis.clients.jedis.SslOptions;
import redis.clients.jedis.SslVerifyMode;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.params.SetParams;

/**
 * A {@link ReplayStore} on Redis (or Valkey) shared by every replica of a service, so a token with
 * replay protection is accepted once across all of them, not once per replica.
 *
 * <pre>{@code
 * SignedTokenTrustSource tokens = SignedTokenTrustSource.newBuilder()
 *     .serviceName("trips")
 *     .replayProtection(true)
 *     .replayStore(RedisReplayStore.newBuilder()
 *         .uri("redis://replay.internal:6379")
 *         .keyPrefix("gatehouse:replay:trips:")
 *         .build())
 *     .addIssuer(...)
 *     .build();
 * }</pre>
 *
 * <p>Each check is one atomic {@code SET <prefix><hash> 1 NX PX <ms>}: the key is the prefix plus
 * the unpadded base64url SHA-256 of the issuer and {@code jti} (never the token, never the raw
 * {@code jti}), the time to live runs to the token's {@code exp} plus 120 s. {@code OK} is a first
 * use, no reply a replay. Redis errors, timeouts and refused connections answer {@link
 * ReplayStore.Result#UNAVAILABLE} (or, with {@link OnUnavailable#LOCAL_CACHE}, fall back to a cache
 * in this process). The check blocks the calling thread for one round trip, at most the connect
 * timeout plus the command timeout (plus the command timeout again while waiting for a pooled
 * connection): run the gRPC server on an executor, not {@code directExecutor()}.
 *
 * <p>No log line or error names the URI's user or password: the endpoint is logged as {@code
 * redis://host:port/db}.
 */
public final class RedisReplayStore implements ReplayStore {
  /** Default command (socket read) timeout, 50 ms. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofMillis(50);

  /** Default connect timeout, 100 ms. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofMillis(100);

  /** Default key prefix when none is given in code. */
  public static final String DEFAULT_KEY_PREFIX = "gatehouse:replay:";

  /** Default number of pooled connections, 16. */
  public static final int DEFAULT_POOL_SIZE = 16;

  /** Capacity of the in-process cache used with {@link OnUnavailable#LOCAL_CACHE}. */
  public static final int LOCAL_CACHE_SIZE = 100_000;

  /** Largest timeout either setting accepts, 5 s. */
  public static final Duration MAX_TIMEOUT = Duration.ofSeconds(5);

  private static final Logger LOG = Logger.getLogger(RedisReplayStore.class.getName());
  private static final long MIN_TTL_MILLIS = 1_000;

  private final RedisEndpoint endpoint;
  private final String keyPrefix;
  private final OnUnavailable onUnavailable;
  private final ReplayStore local;
  private final RedisClient client;
  private final AtomicBoolean reachable = new AtomicBoolean(true);

  private RedisReplayStore(Builder b) {
    this.endpoint = b.endpoint;
    this.keyPrefix = b.keyPrefix;
    this.onUnavailable = b.onUnavailable;
    this.local =
        b.onUnavailable == OnUnavailable.LOCAL_CACHE
            ? ReplayStore.inMemory(LOCAL_CACHE_SIZE)
            : null;
    DefaultJedisClientConfig.Builder cc =
        DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis((int) b.connectTimeout.toMillis())
            .socketTimeoutMillis((int) b.timeout.toMillis())
            .database(endpoint.database())
            .clientName("gatehouse-replay")
            .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
            .resp2();
    if (endpoint.tls()) {
      // rediss://: the JDK's trust store, certificate and host name verified.
      cc.sslOptions(SslOptions.builder().sslVerifyMode(SslVerifyMode.FULL).build());
    }
    endpoint.user().ifPresent(cc::user);
    endpoint.password().ifPresent(p -> cc.password(new String(p)));
    ConnectionPoolConfig pool = new ConnectionPoolConfig();
    pool.setMaxTotal(b.poolSize);
    pool.setMaxIdle(b.poolSize);
    pool.setMinIdle(0);
    pool.setBlockWhenExhausted(true);
    pool.setMaxWait(b.timeout);
    pool.setTestOnBorrow(false);
    pool.setJmxEnabled(false);
    this.client =
        RedisClient.builder()
            .hostAndPort(endpoint.host(), endpoint.port())
            .clientConfig(cc.build())
            .poolConfig(pool)
            .build();
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * The provider of {@code replay_store} type {@code redis} for the configuration file: register it
   * with {@code SignedTokenSection.provider(RedisReplayStore.provider())}.
   */
  public static ReplayStoreProvider provider() {
    return RedisReplayStoreProvider.INSTANCE;
  }

  @Override
  public Result insertIfAbsent(String issuer, String jti, Instant expiresAt, Instant now) {
    String key = key(issuer, jti);
    long ttl = Math.max(MIN_TTL_MILLIS, expiresAt.toEpochMilli() - now.toEpochMilli());
    try {
      String reply = client.set(key, "1", SetParams.setParams().nx().px(ttl));
      if (reachable.compareAndSet(false, true)) {
        LOG.log(Level.INFO, "replay store {0} answers again", endpoint);
      }
      return "OK".equals(reply) ? Result.FIRST_USE : Result.REPLAYED;
    } catch (RuntimeException e) {
      return unavailable(e, issuer, jti, expiresAt, now);
    }
  }

  private Result unavailable(
      RuntimeException e, String issuer, String jti, Instant expiresAt, Instant now) {
    if (e instanceof JedisConnectionException) {
      // Idle pooled connections to a restarted server are dead too: drop them all at once so the
      // next call connects afresh instead of failing once per stale connection.
      try {
        client.getPool().clear();
      } catch (RuntimeException ignored) {
        // Best effort.
      }
    }
    if (reachable.compareAndSet(true, false)) {
      // The exception's class only: its message may quote server replies or addresses.
      LOG.log(
          Level.WARNING,
          "replay store {0} unavailable ({1}); {2}",
          new Object[] {
            endpoint,
            e.getClass().getSimpleName(),
            local == null
                ? "calls with replay protection are refused UNAVAILABLE until it answers"
                : "falling back to this process's cache (on_unavailable: local_cache): a token"
                    + " may be accepted once per replica until it answers"
          });
    }
    return local == null ? Result.UNAVAILABLE : local.insertIfAbsent(issuer, jti, expiresAt, now);
  }

  /** {@code prefix} + unpadded base64url SHA-256 of issuer, NUL, jti: 43 characters. */
  String key(String issuer, String jti) {
    MessageDigest d;
    try {
      d = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
    d.update(issuer.getBytes(StandardCharsets.UTF_8));
    d.update((byte) 0);
    d.update(jti.getBytes(StandardCharsets.UTF_8));
    return keyPrefix + Base64.getUrlEncoder().withoutPadding().encodeToString(d.digest());
  }

  /** Entries held by the fallback cache in this process (0 unless it was used). */
  @Override
  public int localSize() {
    return local == null ? 0 : local.localSize();
  }

  /** What this store does while Redis is unreachable. */
  public OnUnavailable onUnavailable() {
    return onUnavailable;
  }

  /** Closes the connection pool. */
  @Override
  public void close() {
    try {
      client.close();
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "closing replay store {0}: {1}", new Object[] {endpoint, e.getClass()});
    }
  }

  /** The redacted endpoint and prefix, never the password. */
  @Override
  public String toString() {
    return "RedisReplayStore{" + endpoint + ", prefix=" + keyPrefix + ", " + onUnavailable + "}";
  }

  /** Builds a {@link RedisReplayStore}; {@link #build()} validates and opens the pool (lazily). */
  public static final class Builder {
    private RedisEndpoint endpoint;
    private String keyPrefix = DEFAULT_KEY_PREFIX;
    private Duration timeout = DEFAULT_TIMEOUT;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private int poolSize = DEFAULT_POOL_SIZE;
    private OnUnavailable onUnavailable = OnUnavailable.REFUSE;

    private Builder() {}

    /**
     * Where Redis is: {@code redis://[[user]:password@]host[:port][/db]}, {@code rediss://} for TLS
     * (required). The password never appears in a log line or error.
     *
     * @throws IllegalArgumentException if it is not such a URI (the message does not quote it)
     */
    public Builder uri(String uri) {
      this.endpoint = RedisEndpoint.parse(requireNonNull(uri, "uri"));
      return this;
    }

    /**
     * Prefix of every key, default {@code gatehouse:replay:}: 1 to 128 printable ASCII characters
     * without spaces. Replicas of one service share it; give different services different ones (a
     * token naming several audiences may be used once at each).
     */
    public Builder keyPrefix(String prefix) {
      requireNonNull(prefix, "prefix");
      if (!validPrefix(prefix)) {
        throw new IllegalArgumentException(
            "keyPrefix must be 1 to 128 printable ASCII characters without spaces");
      }
      this.keyPrefix = prefix;
      return this;
    }

    /** Command (socket read) timeout, default 50 ms, between 1 ms and 5 s. */
    public Builder timeout(Duration timeout) {
      this.timeout = checkTimeout(timeout, "timeout");
      return this;
    }

    /** Connect timeout, default 100 ms, between 1 ms and 5 s. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = checkTimeout(timeout, "connectTimeout");
      return this;
    }

    /**
     * Pooled connections, default 16, 1 to 1024: at most this many calls check at once; a further
     * one waits at most the command timeout for a connection, then is answered unavailable.
     */
    public Builder poolSize(int size) {
      if (size < 1 || size > 1024) {
        throw new IllegalArgumentException("poolSize must be between 1 and 1024: " + size);
      }
      this.poolSize = size;
      return this;
    }

    /** What to answer while Redis is unreachable, default {@link OnUnavailable#REFUSE}. */
    public Builder onUnavailable(OnUnavailable what) {
      this.onUnavailable = requireNonNull(what, "onUnavailable");
      return this;
    }

    /**
     * The store; connects on first use (a Redis unreachable now is not an error).
     *
     * @throws IllegalArgumentException without a URI
     */
    public RedisReplayStore build() {
      if (endpoint == null) {
        throw new IllegalArgumentException("RedisReplayStore: uri is required");
      }
      if (onUnavailable == OnUnavailable.LOCAL_CACHE) {
        LOG.log(
            Level.WARNING,
            "replay store {0}: on_unavailable is local_cache: while it is unreachable a token may be"
                + " accepted once per replica",
            endpoint);
      }
      return new RedisReplayStore(this);
    }

    static boolean validPrefix(String prefix) {
      return prefix.length() >= 1 && prefix.length() <= 128 && prefix.matches("[\\x21-\\x7e]+");
    }

    private static Duration checkTimeout(Duration d, String name) {
      requireNonNull(d, name);
      if (d.compareTo(Duration.ofMillis(1)) < 0 || d.compareTo(MAX_TIMEOUT) > 0) {
        throw new IllegalArgumentException(name + " must be between 1 ms and 5 s: " + d);
      }
      return d;
    }
  }
}
