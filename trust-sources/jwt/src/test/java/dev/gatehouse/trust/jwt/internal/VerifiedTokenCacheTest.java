package dev.gatehouse.trust.jwt.internal;

import static dev.gatehouse.testing.TestTokens.claims;
import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The verified-token cache of {@link JwtVerifier}: a token served again costs no signature check,
 * and a hit still refuses whatever can change between two calls with the same bytes (the clock, the
 * key), never crosses verifiers, and survives a stream of other tokens (no emptying cliff).
 */
class VerifiedTokenCacheTest {
  private static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  private static final ECKey KEY = TestTokens.ecKey("k1");

  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private JwtVerifier verifier(MutableClock clock, JwksSource keys, String issuer, int size) {
    JwtVerifier v =
        VerifierFixture.newBuilder()
            .clock(clock)
            .signatureCacheSize(size)
            .addIssuer(TrustedIssuer.newBuilder(issuer).keys(keys).audience("aud").build())
            .build();
    open.add(v);
    return v;
  }

  private JwtVerifier verifier(MutableClock clock) {
    return verifier(clock, JwksSource.of(new JWKSet(KEY.toPublicJWK())), "iss", 100);
  }

  private static String token(String sub, Instant iat, long ttl) {
    return sign(KEY, header("ES256", "k1"), claims("iss", sub, "aud", iat, ttl));
  }

  @Test
  void verify_sameTokenTwice_secondServedWithoutSignatureCheck() {
    JwtVerifier v = verifier(new MutableClock(NOW));
    String token = token("alice", NOW, 300);
    JwtVerification first = v.verify(token);
    JwtVerification second = v.verify(token);
    assertTrue(second.isVerified(), second.toString());
    assertSame(first, second, "a hit hands back the cached result");
    assertEquals(1, v.signatureChecks());
    assertEquals(1, v.cacheHits());
  }

  @Test
  void verify_cacheOff_everyCallChecksTheSignature() {
    JwtVerifier v =
        verifier(new MutableClock(NOW), JwksSource.of(new JWKSet(KEY.toPublicJWK())), "iss", 0);
    String token = token("alice", NOW, 300);
    assertTrue(v.verify(token).isVerified());
    assertTrue(v.verify(token).isVerified());
    assertEquals(2, v.signatureChecks());
    assertEquals(0, v.cacheHits());
  }

  @Test
  void verify_cachedTokenAfterExpiry_refusedExpired() {
    MutableClock clock = new MutableClock(NOW);
    JwtVerifier v = verifier(clock);
    String token = token("alice", NOW, 60);
    assertTrue(v.verify(token).isVerified());
    clock.advance(Duration.ofSeconds(60 + 29));
    assertTrue(v.verify(token).isVerified(), "inside the skew");
    assertEquals(1, v.cacheHits());
    clock.advance(Duration.ofSeconds(2));
    JwtVerification late = v.verify(token);
    assertFalse(late.isVerified());
    assertEquals(Reason.EXPIRED, late.reason());
    assertEquals(1, v.cacheHits(), "the expired entry was not a hit");
  }

  @Test
  void verify_cachedTokenWithClockMovedBeforeIat_refusedNotYetValid() {
    MutableClock clock = new MutableClock(NOW);
    JwtVerifier v = verifier(clock);
    String token = token("alice", NOW, 300);
    assertTrue(v.verify(token).isVerified());
    clock.set(NOW.minusSeconds(31));
    JwtVerification early = v.verify(token);
    assertFalse(early.isVerified());
    assertEquals(Reason.NOT_YET_VALID, early.reason());
  }

  @Test
  void verify_cachedTokenWithNbf_refusedBeforeNbf() {
    MutableClock clock = new MutableClock(NOW);
    JwtVerifier v = verifier(clock);
    Map<String, Object> c = claims("iss", "alice", "aud", NOW.minusSeconds(100), 600);
    c.put("nbf", NOW.getEpochSecond());
    String token = sign(KEY, header("ES256", "k1"), c);
    assertTrue(v.verify(token).isVerified());
    clock.set(NOW.minusSeconds(31));
    JwtVerification early = v.verify(token);
    assertEquals(Reason.NOT_YET_VALID, early.reason());
  }

  @Test
  void verify_tamperedCopyOfCachedToken_refused() {
    JwtVerifier v = verifier(new MutableClock(NOW));
    String token = token("alice", NOW, 300);
    assertTrue(v.verify(token).isVerified());
    String[] parts = token.split("\\.", -1);
    String forged =
        parts[0]
            + "."
            + TestTokens.encode(claims("iss", "admin", "aud", NOW, 300))
            + "."
            + parts[2];
    JwtVerification r = v.verify(forged);
    assertEquals(Reason.BAD_SIGNATURE, r.reason());
    // One character changed at the very end: a different token, never the cached one.
    String last = token.substring(0, token.length() - 1) + (token.endsWith("A") ? "B" : "A");
    assertFalse(v.verify(last).isVerified());
  }

  private static JwtVerification bearer(JwtVerifier v, String headerValue) {
    io.grpc.Metadata md = new io.grpc.Metadata();
    md.put(dev.gatehouse.spi.IncomingCall.key("authorization"), headerValue);
    return v.verifyBearer(
        dev.gatehouse.spi.IncomingCall.of("p.S/M", md, null, null), "authorization");
  }

  @Test
  void verifyBearer_sameTokenTwice_secondServedFromTheCacheInsideTheHeaderValue() {
    JwtVerifier v = verifier(new MutableClock(NOW));
    String token = token("alice", NOW, 300);
    JwtVerification first = bearer(v, "Bearer " + token);
    assertTrue(first.isVerified(), first.toString());
    assertSame(first, bearer(v, "bearer " + token), "scheme case-insensitive, same token");
    assertSame(first, v.verify(token), "the bare token is the same entry");
    assertEquals(1, v.signatureChecks());
    assertEquals(2, v.cacheHits());
  }

  @Test
  void verifyBearer_headerDifferingFromACachedTokenAnywhere_neverServedFromTheCache() {
    JwtVerifier v = verifier(new MutableClock(NOW));
    String token = token("alice", NOW, 300);
    assertTrue(bearer(v, "Bearer " + token).isVerified());
    String last = token.substring(0, token.length() - 1) + (token.endsWith("A") ? "B" : "A");
    assertFalse(bearer(v, "Bearer " + last).isVerified());
    assertFalse(bearer(v, "Bearer " + token + "A").isVerified(), "longer");
    assertFalse(bearer(v, "Bearer " + token.substring(1)).isVerified(), "shorter");
    assertEquals(
        Reason.MALFORMED_CREDENTIALS, bearer(v, "Bearer  " + token).reason(), "two spaces");
    assertEquals(Reason.MALFORMED_CREDENTIALS, bearer(v, "Bearer " + token + " ").reason());
    assertEquals(Reason.MALFORMED_CREDENTIALS, bearer(v, "Basic " + token).reason());
    assertEquals(0, v.cacheHits());
  }

  @Test
  void tokenKey_equalExactlyWhenTheTokensAreEqual_withEqualHashes() {
    String token = token("alice", NOW, 300);
    VerifiedTokenCache.TokenKey bare = new VerifiedTokenCache.TokenKey(token, 0);
    VerifiedTokenCache.TokenKey inHeader =
        new VerifiedTokenCache.TokenKey("Bearer " + token, "Bearer ".length());
    VerifiedTokenCache.TokenKey lowerScheme =
        new VerifiedTokenCache.TokenKey("bearer " + token, "bearer ".length());
    assertEquals(bare, inHeader);
    assertEquals(inHeader, bare);
    assertEquals(inHeader, lowerScheme, "same token after another spelling of the scheme");
    assertEquals(bare.hashCode(), inHeader.hashCode());
    assertEquals(bare.hashCode(), lowerScheme.hashCode());
    assertFalse(bare.equals(new VerifiedTokenCache.TokenKey("Bearer " + token, 6)));
    assertFalse(bare.equals(new VerifiedTokenCache.TokenKey(token + "x", 0)));
    assertFalse(bare.equals(new VerifiedTokenCache.TokenKey("x" + token, 0)));
  }

  @Test
  void tokenKey_tokensDifferingOutsideTheHashedTail_sameHashButNeverEqual() {
    String token = token("alice", NOW, 300);
    int middle = token.length() / 2;
    String other =
        token.substring(0, middle)
            + (token.charAt(middle) == 'A' ? 'B' : 'A')
            + token.substring(middle + 1);
    VerifiedTokenCache.TokenKey a = new VerifiedTokenCache.TokenKey("Bearer " + token, 7);
    VerifiedTokenCache.TokenKey b = new VerifiedTokenCache.TokenKey("Bearer " + other, 7);
    assertEquals(a.hashCode(), b.hashCode(), "the hash reads the tail only");
    assertFalse(a.equals(b), "equality reads every character");
    assertFalse(b.equals(new VerifiedTokenCache.TokenKey(token, 0)));
  }

  @Test
  void verifyBearer_cachedTokenWithAControlCharacterInserted_refusedMalformed() {
    JwtVerifier v = verifier(new MutableClock(NOW));
    String token = token("alice", NOW, 300);
    assertTrue(bearer(v, "Bearer " + token).isVerified());
    int dot = token.indexOf('.');
    String tab = token.substring(0, dot) + "\t" + token.substring(dot);
    JwtVerification refused = bearer(v, "Bearer " + tab);
    assertEquals(Reason.MALFORMED_CREDENTIALS, refused.reason(), refused.toString());
    assertEquals(0, v.cacheHits());
  }

  @Test
  void verify_cachedTokenAfterKeyRotatedUnderSameKid_refused() throws Exception {
    MutableClock clock = new MutableClock(NOW);
    JwksServer jwks = JwksServer.start(new JWKSet(KEY));
    open.add(jwks);
    JwtVerifier v = verifier(clock, JwksSource.uri(jwks.url()), "iss", 100);
    String token = token("alice", NOW, 3600);
    assertTrue(v.verify(token).isVerified());
    assertTrue(v.verify(token).isVerified());
    assertEquals(1, v.cacheHits());
    jwks.publish(new JWKSet(TestTokens.ecKey("k1")));
    clock.advance(Duration.ofMinutes(6)); // past the 5 min key cache: the next read fetches
    JwtVerification after = v.verify(token);
    assertEquals(Reason.BAD_SIGNATURE, after.reason(), after.toString());
    assertEquals(1, v.cacheHits());
  }

  @Test
  void verify_cachedTokenAfterKeyRemoved_refused() throws Exception {
    MutableClock clock = new MutableClock(NOW);
    JwksServer jwks = JwksServer.start(new JWKSet(KEY));
    open.add(jwks);
    JwtVerifier v = verifier(clock, JwksSource.uri(jwks.url()), "iss", 100);
    String token = token("alice", NOW, 3600);
    assertTrue(v.verify(token).isVerified());
    jwks.publish(new JWKSet(TestTokens.ecKey("k2")));
    clock.advance(Duration.ofMinutes(6));
    JwtVerification after = v.verify(token);
    assertEquals(Reason.UNKNOWN_KEY, after.reason(), after.toString());
    assertEquals(0, v.cacheHits());
  }

  @Test
  void verify_cachedTokenAfterJwksRefreshWithSameKey_verifiedAgainInFull() throws Exception {
    MutableClock clock = new MutableClock(NOW);
    JwksServer jwks = JwksServer.start(new JWKSet(KEY));
    open.add(jwks);
    JwtVerifier v = verifier(clock, JwksSource.uri(jwks.url()), "iss", 100);
    String token = token("alice", NOW, 3600);
    assertTrue(v.verify(token).isVerified());
    clock.advance(Duration.ofMinutes(6));
    assertTrue(v.verify(token).isVerified());
    assertEquals(2, v.signatureChecks(), "new key objects: the signature was checked again");
    assertTrue(v.verify(token).isVerified());
    assertEquals(2, v.signatureChecks());
    assertEquals(1, v.cacheHits());
  }

  @Test
  void verify_cachedTokenAfterRefreshForcedByAnotherKidRemovedItsKey_refusedAtOnce()
      throws Exception {
    MutableClock clock = new MutableClock(NOW);
    JwksServer jwks = JwksServer.start(new JWKSet(KEY));
    open.add(jwks);
    JwtVerifier v = verifier(clock, JwksSource.uri(jwks.url()), "iss", 100);
    String token = token("alice", NOW, 3600);
    assertTrue(v.verify(token).isVerified());
    assertTrue(v.verify(token).isVerified());
    assertEquals(1, v.cacheHits());
    // Rotation: k1 leaves, k2 arrives. A token under k2 forces a refresh long before the key
    // cache's time is up; from then on the token under k1 must not be served from the cache.
    ECKey next = TestTokens.ecKey("k2");
    jwks.publish(new JWKSet(next));
    String rotated = sign(next, header("ES256", "k2"), claims("iss", "bob", "aud", NOW, 3600));
    assertTrue(v.verify(rotated).isVerified());
    JwtVerification after = v.verify(token);
    assertEquals(Reason.UNKNOWN_KEY, after.reason(), after.toString());
    assertEquals(1, v.cacheHits());
  }

  @Test
  void verify_cachedTokenWhileKeysUnavailablePastTheOutageTolerance_refusedUnavailable()
      throws Exception {
    MutableClock clock = new MutableClock(NOW);
    JwksServer jwks = JwksServer.start(new JWKSet(KEY));
    open.add(jwks);
    JwtVerifier v =
        VerifierFixture.newBuilder()
            .clock(clock)
            .outageTolerance(Duration.ofMinutes(10))
            .signatureCacheSize(100)
            .addIssuer(
                TrustedIssuer.newBuilder("iss")
                    .keys(JwksSource.uri(jwks.url()))
                    .audience("aud")
                    .build())
            .build();
    open.add(v);
    String token = token("alice", NOW, 3 * 3600);
    assertTrue(v.verify(token).isVerified());
    jwks.down(true);
    clock.advance(Duration.ofMinutes(6)); // the key cache's time is up, the outage tolerated
    assertTrue(v.verify(token).isVerified(), "cached keys ride out the outage");
    clock.advance(Duration.ofMinutes(30)); // past the tolerance
    JwtVerification after = v.verify(token);
    assertTrue(after.isUnavailable(), after.toString());
  }

  @Test
  void verify_cachedTokenWhileTheKeyLocationServesAnUnparsableDocument_decidedLikeANewToken()
      throws Exception {
    MutableClock clock = new MutableClock(NOW);
    JwksServer jwks = JwksServer.start(new JWKSet(KEY));
    open.add(jwks);
    JwtVerifier v = verifier(clock, JwksSource.uri(jwks.url()), "iss", 100);
    String token = token("alice", NOW, 3 * 3600);
    assertTrue(v.verify(token).isVerified());
    // A document that is not a JWKS: the cached token is decided exactly as a new one (both
    // ride on the last good keys within the outage tolerance), on every call.
    jwks.publishRaw("{\"keys\": 42}");
    clock.advance(Duration.ofMinutes(6));
    String fresh = token("bob", NOW, 3 * 3600);
    for (int i = 0; i < 3; i++) {
      clock.advance(Duration.ofSeconds(1));
      JwtVerification cached = v.verify(token);
      JwtVerification uncached = v.verify(fresh);
      assertEquals(uncached.isVerified(), cached.isVerified(), cached + " / " + uncached);
      assertEquals(uncached.reason(), cached.reason(), cached + " / " + uncached);
    }
  }

  @Test
  void verify_liveKeySetChangedWithoutTheKey_cachedTokenRefusedAtOnce() {
    MutableClock clock = new MutableClock(NOW);
    java.util.concurrent.atomic.AtomicReference<JWKSet> live =
        new java.util.concurrent.atomic.AtomicReference<>(new JWKSet(KEY.toPublicJWK()));
    JwtVerifier v = verifier(clock, JwksSource.live(live::get), "iss", 100);
    String token = token("alice", NOW, 3600);
    assertTrue(v.verify(token).isVerified());
    assertTrue(v.verify(token).isVerified());
    assertEquals(1, v.cacheHits());
    live.set(new JWKSet(TestTokens.ecKey("k9").toPublicJWK()));
    JwtVerification after = v.verify(token);
    assertEquals(Reason.UNKNOWN_KEY, after.reason(), after.toString());
    assertEquals(1, v.cacheHits());
  }

  @Test
  void verifyBearer_afterMayWaitForKeysFoundTheEntry_servedOnceWithoutASecondLookup() {
    MutableClock clock = new MutableClock(NOW);
    JwtVerifier v = verifier(clock);
    dev.gatehouse.spi.IncomingCall call = cachedThenProbed(v, token("alice", NOW, 3600));
    assertTrue(call.kept(v) != null, "the lookup is kept on the call");
    assertTrue(v.verifyBearer(call, "authorization").isVerified());
    assertEquals(1, v.cacheHits());
  }

  @Test
  void verifyBearer_keptEntryWhoseTokenExpiredMeanwhile_refusedExpired() {
    MutableClock clock = new MutableClock(NOW);
    JwtVerifier v = verifier(clock);
    dev.gatehouse.spi.IncomingCall call = cachedThenProbed(v, token("alice", NOW, 60));
    clock.advance(Duration.ofMinutes(10)); // between the chain's two steps: the re-check runs
    JwtVerification after = v.verifyBearer(call, "authorization");
    assertEquals(Reason.EXPIRED, after.reason(), after.toString());
    assertEquals(0, v.cacheHits());
  }

  @Test
  void verifyBearer_afterMayWaitForKeysParsedAnUncachedToken_verifiedInFullFromThatParse() {
    MutableClock clock = new MutableClock(NOW);
    JwtVerifier v = verifier(clock);
    String token = token("alice", NOW, 3600);
    dev.gatehouse.spi.IncomingCall call = bearerCall(token);
    assertFalse(v.mayWaitForKeys(call, "authorization"), "the key is in memory");
    assertTrue(v.verifyBearer(call, "authorization").isVerified());
    assertEquals(1, v.signatureChecks());
    // The same path with a signature from another key is still refused.
    String forged =
        sign(TestTokens.ecKey("k1"), header("ES256", "k1"), claims("iss", "eve", "aud", NOW, 60));
    dev.gatehouse.spi.IncomingCall bad = bearerCall(forged);
    assertFalse(v.mayWaitForKeys(bad, "authorization"));
    JwtVerification refused = v.verifyBearer(bad, "authorization");
    assertEquals(Reason.BAD_SIGNATURE, refused.reason(), refused.toString());
  }

  /** A call carrying {@code token}, verified once before and then probed by mayWaitForKeys. */
  private static dev.gatehouse.spi.IncomingCall cachedThenProbed(JwtVerifier v, String token) {
    assertTrue(v.verify(token).isVerified());
    dev.gatehouse.spi.IncomingCall call = bearerCall(token);
    assertFalse(v.mayWaitForKeys(call, "authorization"), "a cached token never waits");
    return call;
  }

  private static dev.gatehouse.spi.IncomingCall bearerCall(String token) {
    io.grpc.Metadata headers = new io.grpc.Metadata();
    headers.put(dev.gatehouse.spi.IncomingCall.key("authorization"), "Bearer " + token);
    return dev.gatehouse.spi.IncomingCall.of("svc/M", headers, null, null);
  }

  @Test
  void verify_tokenCachedByIssuerAsVerifier_notAcceptedByAnotherIssuersVerifier() {
    MutableClock clock = new MutableClock(NOW);
    JwtVerifier a = verifier(clock);
    // Same issuer name, another key: only a cache shared across verifiers could accept.
    JwtVerifier b =
        verifier(
            clock, JwksSource.of(new JWKSet(TestTokens.ecKey("k1").toPublicJWK())), "iss", 100);
    JwtVerifier c = verifier(clock, JwksSource.of(new JWKSet(KEY.toPublicJWK())), "other-iss", 100);
    String token = token("alice", NOW, 300);
    assertTrue(a.verify(token).isVerified());
    assertTrue(a.verify(token).isVerified());
    assertEquals(Reason.BAD_SIGNATURE, b.verify(token).reason());
    assertEquals(Reason.UNKNOWN_ISSUER, c.verify(token).reason());
    assertEquals(0, b.cacheHits() + c.cacheHits());
  }

  @Test
  void verify_threeTimesCapacityOfOtherTokens_continuouslyUsedTokenStaysCached() {
    JwtVerifier v =
        verifier(new MutableClock(NOW), JwksSource.of(new JWKSet(KEY.toPublicJWK())), "iss", 50);
    String hot = token("hot", NOW, 3600);
    assertTrue(v.verify(hot).isVerified());
    for (int i = 0; i < 150; i++) {
      assertTrue(v.verify(token("user-" + i, NOW, 3600)).isVerified());
      long hitsBefore = v.cacheHits();
      assertTrue(v.verify(hot).isVerified());
      assertEquals(hitsBefore + 1, v.cacheHits(), "hot token missed after " + i + " others");
    }
    assertEquals(1 + 150, v.signatureChecks(), "the hot token was verified once");
    VerifiedTokenCache cache = v.tokenCache();
    assertTrue(cache.size() <= 50, "size " + cache.size());
    assertTrue(cache.evictions() >= 100, "evictions " + cache.evictions());
  }

  @Test
  void cache_overTheMemoryBound_evictsToStayWithinIt() {
    VerifiedTokenCache cache = new VerifiedTokenCache(1_000, 20_000);
    String longToken = "x".repeat(1_000) + ".y.z";
    int weight = VerifiedTokenCache.weight(longToken);
    for (int i = 0; i < 40; i++) {
      cache.put(entry(longToken + i), 0);
      assertTrue(cache.estimatedBytes() <= 20_000, "bytes " + cache.estimatedBytes());
    }
    assertEquals(20_000 / weight, cache.size());
    assertNotNull(cache.get(longToken + 39), "the newest entry is kept");
  }

  @Test
  void cache_expiredEntriesEvictedBeforeReferencedLiveOnes() {
    VerifiedTokenCache cache = new VerifiedTokenCache(2, 1 << 20);
    cache.put(entry("a.b.live", 10_000), 0);
    cache.put(entry("a.b.old", 100), 0);
    cache.get("a.b.old"); // referenced, but its window has passed
    cache.get("a.b.live");
    cache.put(entry("a.b.new", 10_000), 500);
    assertNotNull(cache.get("a.b.live"));
    assertEquals(null, cache.get("a.b.old"));
  }

  private static VerifiedTokenCache.Entry entry(String token) {
    return entry(token, Long.MAX_VALUE);
  }

  private static VerifiedTokenCache.Entry entry(String token, long until) {
    return new VerifiedTokenCache.Entry(
        new VerifiedTokenCache.TokenKey(token, 0),
        JwtVerification.absent(),
        null,
        null,
        "ES256",
        null,
        null,
        Long.MIN_VALUE,
        until);
  }

  @Test
  void verify_concurrentFirstUsesOfOneToken_signatureCheckedOnce() throws Exception {
    JwtVerifier v = verifier(new MutableClock(NOW));
    String token = token("alice", NOW, 300);
    int threads = 8;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<JwtVerification>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(
            pool.submit(
                () -> {
                  go.await();
                  return v.verify(token);
                }));
      }
      go.countDown();
      for (Future<JwtVerification> r : results) {
        assertTrue(r.get(30, TimeUnit.SECONDS).isVerified());
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, v.signatureChecks());
  }
}
