package dev.gatehouse.trust.jwt.internal;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The tokens one {@link JwtVerifier} has fully verified, with their results, so that the same token
 * presented again costs a map lookup and the few checks that can change between two calls with the
 * same bytes (done by the verifier: the clock window, and that the key it verified under is still
 * the key set's current key object for that {@code kid}).
 *
 * <p>Keyed by the exact token string: the hash only picks the bucket, equality compares every
 * character, so two tokens that differ anywhere never share an entry. Only verified results are
 * stored. One cache per verifier instance: it is never shared across verifiers, so never across
 * configurations (a reload builds a new verifier with an empty cache, even when it keeps the key
 * caches).
 *
 * <p>Bounded by entries and by an estimate of retained memory ({@link #weight(String)}: the token's
 * length counted several times over for the token, its parsed claims and their copy, plus a fixed
 * overhead). Eviction is CLOCK (second chance): a lookup sets the entry's reference bit; when over
 * a bound, the oldest entry whose bit is clear (or whose window has passed) is evicted, and an
 * entry whose bit is set gets its bit cleared and goes to the back. A token used between two sweeps
 * of the hand stays cached however many other tokens pass through; there is no emptying cliff.
 *
 * <p>Thread-safe: lookups are lock-free; insertion, removal and eviction hold the cache's lock for
 * an amortised constant number of steps.
 */
final class VerifiedTokenCache {
  /** The fixed part of an entry's estimated size (entry, map node, result objects). */
  static final int ENTRY_OVERHEAD_BYTES = 768;

  /**
   * How many times the token's length an entry is counted (the header value holding the token, the
   * parsed claims, their copy, the derived principal). With {@link #ENTRY_OVERHEAD_BYTES} this
   * slightly over-estimates the retained heap measured per entry (about 2.9 KB for a 382-character
   * user JWT, {@code benchmarks/} {@code HeapOverTokens}), so the byte bound is a real bound.
   */
  static final int BYTES_PER_TOKEN_CHAR = 6;

  private final int maxEntries;
  private final long maxBytes;
  private final ConcurrentHashMap<TokenKey, Entry> entries;
  // The CLOCK queue; may also hold removed entries (skipped when the hand reaches them).
  private final ArrayDeque<Entry> hand = new ArrayDeque<>(); // guarded by this
  private int live; // guarded by this
  private long bytes; // guarded by this
  private final LongAdder hits = new LongAdder();
  private final LongAdder evictions = new LongAdder();

  /** One verified token: the shared result and what a hit must re-check. */
  static final class Entry {
    final TokenKey key0;
    final JwtVerification result;
    final IssuerKeys keys;
    final String kid;
    final String alg;
    final JWK key;
    final JWKSet from;
    final long validFromMillis;
    final long validUntilMillis;
    final int weight;
    volatile boolean referenced;
    boolean removed; // guarded by the cache

    Entry(
        TokenKey key0,
        JwtVerification result,
        IssuerKeys keys,
        String kid,
        String alg,
        JWK key,
        JWKSet from,
        long validFromMillis,
        long validUntilMillis) {
      this.key0 = key0;
      this.result = result;
      this.keys = keys;
      this.kid = kid;
      this.alg = alg;
      this.key = key;
      this.from = from;
      this.validFromMillis = validFromMillis;
      this.validUntilMillis = validUntilMillis;
      this.weight = weight(key0.text);
    }
  }

  /**
   * @param maxEntries at least 1
   * @param maxBytes at least one entry of the largest accepted token
   */
  VerifiedTokenCache(int maxEntries, long maxBytes) {
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be positive");
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be positive");
    }
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.entries = new ConcurrentHashMap<>(Math.min(maxEntries, 1 << 16));
  }

  /** The estimated retained size of an entry for {@code token}. */
  static int weight(String token) {
    return BYTES_PER_TOKEN_CHAR * token.length() + ENTRY_OVERHEAD_BYTES;
  }

  /** The entry of exactly {@code token}, marked as used, or null. Lock-free. */
  Entry get(String token) {
    return get(new TokenKey(token, 0));
  }

  /**
   * The entry of exactly the token {@code key} names, marked as used, or null; without copying the
   * token out of its text (a header value such as {@code Bearer <token>}). Lock-free.
   */
  Entry get(TokenKey key) {
    Entry e = entries.get(key);
    if (e != null && !e.referenced) {
      e.referenced = true;
    }
    return e;
  }

  /** Counts a lookup whose entry passed the verifier's re-checks. */
  void recordHit() {
    hits.increment();
  }

  /** Stores {@code e}, replacing an entry of the same token, and evicts while over a bound. */
  synchronized void put(Entry e, long nowMillis) {
    Entry old = entries.put(e.key0, e);
    if (old != null) {
      unlink(old);
    }
    live++;
    bytes += e.weight;
    hand.addLast(e);
    evictWhileOver(nowMillis);
    if (hand.size() > 2 * live + 64) {
      hand.removeIf(x -> x.removed);
    }
  }

  /** Drops {@code e} if it is still the entry of its token (a failed re-check). */
  synchronized void remove(Entry e) {
    if (entries.remove(e.key0, e)) {
      unlink(e);
    }
  }

  private void unlink(Entry e) {
    if (!e.removed) {
      e.removed = true;
      live--;
      bytes -= e.weight;
    }
  }

  private void evictWhileOver(long nowMillis) {
    // Every referenced entry gets one second chance per sweep; after two full passes the hand
    // evicts regardless, so readers setting bits concurrently cannot keep it going around.
    int budget = 2 * hand.size() + 2;
    while ((live > maxEntries || bytes > maxBytes) && !hand.isEmpty()) {
      Entry e = hand.pollFirst();
      if (e.removed) {
        continue;
      }
      boolean expired = nowMillis >= e.validUntilMillis;
      if (e.referenced && !expired && budget-- > 0) {
        e.referenced = false;
        hand.addLast(e);
        continue;
      }
      entries.remove(e.key0, e);
      unlink(e);
      evictions.increment();
    }
  }

  /** Lookups that passed the re-checks (tests and benchmarks). */
  long hits() {
    return hits.sum();
  }

  /** Entries evicted to stay within the bounds (tests). */
  long evictions() {
    return evictions.sum();
  }

  /** The number of cached tokens. */
  synchronized int size() {
    return live;
  }

  /** The estimated retained size of the cached entries. */
  synchronized long estimatedBytes() {
    return bytes;
  }

  /**
   * A token as the characters of {@code text} from {@code from} on: equal to another exactly when
   * those characters are equal (every character compared). Lets a lookup read the token inside its
   * header value without copying it.
   *
   * <p>The hash covers the length and the last {@link #HASHED_TAIL} characters only: a token ends
   * with its signature, which differs between any two tokens an issuer signs, so the tail spreads
   * tokens as well as the whole would, at a fraction of the cost per call. The hash only picks the
   * bucket; equality always compares every character. Only verified tokens are ever stored, so
   * nobody without an issuer's key can fill a bucket.
   *
   * <p>Equality takes {@link String#equals} (a vectorised comparison) when both keys sit at the
   * same offset of texts of the same length, as a header value and the header value a token was
   * cached from do; otherwise, or when that says no (the scheme written in another case), it
   * compares the token characters one by one.
   */
  static final class TokenKey {
    static final int HASHED_TAIL = 32;

    private final String text;
    private final int from;
    private final int hash;

    TokenKey(String text, int from) {
      if (from < 0 || from > text.length()) {
        throw new IndexOutOfBoundsException(from);
      }
      this.text = text;
      this.from = from;
      int n = text.length();
      int h = n - from;
      for (int i = Math.max(from, n - HASHED_TAIL); i < n; i++) {
        h = 31 * h + text.charAt(i);
      }
      this.hash = h;
    }

    private int length() {
      return text.length() - from;
    }

    @Override
    public boolean equals(Object o) {
      if (this == o) {
        return true;
      }
      if (!(o instanceof TokenKey k) || k.hash != hash || k.length() != length()) {
        return false;
      }
      if (k.from == from && text.equals(k.text)) {
        return true; // same text at the same offset: the same token
      }
      return text.regionMatches(from, k.text, k.from, length());
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public String toString() {
      return "TokenKey[" + length() + " chars]";
    }
  }
}
