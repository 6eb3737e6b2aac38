package dev.gatehouse.trust.jwt.internal;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.Reason;
import java.util.List;

/**
 * The keys of one {@link TrustAnchor} (an issuer, or a SPIFFE trust domain) in one configuration
 * generation: the anchor as configured now (name, algorithms, audiences) over a {@link KeyCache}
 * that fetches and caches the keys. A reload that keeps the anchor's key location and algorithms
 * builds a new {@code IssuerKeys} (new audiences apply at once) over the same {@link KeyCache}.
 */
final class IssuerKeys {
  static final long REFRESH_INTERVAL_MILLIS = 30_000;
  static final long CACHE_TTL_MILLIS = 5 * 60_000;
  static final long REFRESH_AHEAD_MILLIS = 60_000;
  static final int JWKS_SIZE_LIMIT = 256 * 1024;

  final TrustAnchor anchor;
  final String issuer;
  final List<String> algorithms;
  final KeyCache cache;

  /**
   * The outcome of a key lookup: a key and the (immutable) key set object it was picked from, or a
   * reason why there is none.
   */
  static final class Lookup {
    final JWK key;
    final JWKSet from;
    final Reason reason;
    final String detail;
    final boolean unavailable;
    final boolean retry;

    private Lookup(
        JWK key, JWKSet from, Reason reason, String detail, boolean unavailable, boolean retry) {
      this.key = key;
      this.from = from;
      this.reason = reason;
      this.detail = detail;
      this.unavailable = unavailable;
      this.retry = retry;
    }

    static Lookup found(JWK key, JWKSet from) {
      return new Lookup(key, from, Reason.OK, "", false, false);
    }

    static Lookup rejected(Reason reason, String detail, boolean retry) {
      return new Lookup(null, null, reason, detail, false, retry);
    }

    static Lookup unavailable(String detail) {
      return new Lookup(null, null, Reason.KEYS_UNAVAILABLE, detail, true, false);
    }
  }

  /** The anchor's keys served by {@code cache} (whose reference this object now holds). */
  IssuerKeys(TrustAnchor anchor, KeyCache cache) {
    this.anchor = anchor;
    this.issuer = anchor.name();
    this.algorithms = anchor.algorithms();
    this.cache = cache;
  }

  /**
   * Selects the key for a token of this issuer.
   *
   * @param kid the token's {@code kid}, or null
   * @param alg the token's (allowed) algorithm
   */
  Lookup select(String kid, String alg, long now) {
    return cache.select(kid, alg, now);
  }

  /**
   * Whether the key set would, at {@code now}, serve exactly the set object {@code from} without
   * fetching: the verified-token cache's hit check (see {@link KeyCache#stillServing}).
   */
  boolean stillServing(JWKSet from, long now) {
    return cache.stillServing(from, now);
  }

  /**
   * Whether {@link #select} for {@code kid} and {@code alg} at {@code now} might wait for a key
   * fetch; never fetches or blocks (see {@link KeyCache#mayWait}).
   */
  boolean mayWait(String kid, String alg, long now) {
    return cache.mayWait(kid, alg, now);
  }

  /** The most callers that were ever blocked at once on a key fetch of this set (tests). */
  int peakBlocked() {
    return cache.peakBlocked();
  }
}
