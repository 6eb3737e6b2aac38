package dev.gatehouse.trust.jwt.internal;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Verifies compact JWS tokens by running single-job parts in a fixed order, each failure mapped to
 * a {@link Reason}:
 *
 * <ol>
 *   <li>framing ({@link CompactJws}): at most {@link JwtSettings#maxTokenBytes()}, three canonical
 *       base64url segments, header and payload JSON objects ({@code MALFORMED_CREDENTIALS});
 *   <li>header ({@link HeaderPolicy}): allowed members, {@code alg}, {@code kid}, {@code typ};
 *   <li>key set ({@link KeySelector}): by the unverified {@code iss}, or by the trust domain of the
 *       unverified SPIFFE {@code sub}; the token's algorithm in that set's allow-list ({@code
 *       ALGORITHM_NOT_ALLOWED});
 *   <li>key: by {@code kid} in that set only; the key's pinned algorithm must equal the token's; no
 *       {@code kid} only when exactly one key fits; an unknown {@code kid} triggers one refresh (at
 *       most one successful refresh per key set per 30 s), then {@code UNKNOWN_KEY}; keys that
 *       cannot be fetched make the result {@link JwtVerification#isUnavailable() unavailable};
 *   <li>signature ({@code BAD_SIGNATURE}), with one Nimbus verifier per key object;
 *   <li>claims ({@link ClaimsPolicy}).
 * </ol>
 *
 * <p>Verified-token cache ({@link JwtSettings#signatureCacheSize()} entries, at most {@link
 * JwtSettings#verifiedTokenCacheBytes()} estimated bytes; size 0 turns it off): a token that
 * verified is remembered, keyed by its exact string, with its result, until its {@code exp}. The
 * same token again is served from the cache after re-checking only what can differ between two
 * calls with the same bytes: the clock ({@code exp}, {@code nbf}, {@code iat} with the skew) and
 * that the key set still serves the very key object the token verified under for its {@code kid} (a
 * JWKS refresh, rotation or removal sends it through the full verification again). Each verifier
 * has its own cache, so a token is only ever served under the rules it verified under; a reload
 * builds a new verifier with an empty cache. Checks that belong to the caller after verification
 * ({@code jti} replay, certificate binding, subject allow-lists) run on every call regardless.
 * Concurrent first calls with one token verify it once: the others wait for that verification.
 *
 * <p>Thread-safe. A call blocks only when keys must be fetched, for at most about twice the fetch
 * timeout, and at most 16 calls per key set block at once (the others are answered unavailable at
 * once). {@link #close()} stops the key selector's background refresh threads.
 */
public final class JwtVerifier implements AutoCloseable {
  private static final int MAX_KEY_VERIFIERS = 256;

  private final JwtSettings settings;
  private final HeaderPolicy headers;
  private final KeySelector keys;
  private final ClaimsPolicy claims;
  private final VerifiedTokenCache tokens;
  private final ConcurrentHashMap<String, CompletableFuture<Void>> inflight =
      new ConcurrentHashMap<>();
  private final IdentityHashMap<JWK, JWSVerifier> verifiers = new IdentityHashMap<>(); // guarded
  private final LongAdder signatureChecks = new LongAdder();

  private JwtVerifier(Builder b) {
    this.settings = b.settings;
    this.headers = b.headers;
    this.keys = b.keys;
    this.claims = b.claims;
    int size = settings.signatureCacheSize();
    this.tokens =
        size == 0 ? null : new VerifiedTokenCache(size, settings.verifiedTokenCacheBytes());
  }

  /** A builder composing the parts for {@code settings}. */
  public static Builder newBuilder(JwtSettings settings) {
    return new Builder(settings);
  }

  /** Where each fetched key set stands (never fetches); in-memory sets are left out. */
  public java.util.List<dev.gatehouse.spi.KeySetReachability.KeySetState> keySetStates() {
    return keys.keySetStates();
  }

  /** The names of the configured key sets (issuers or trust domains). */
  public Set<String> issuers() {
    return keys.names();
  }

  /** The key selection (a reload hands its key caches on to the next verifier). */
  KeySelector keySelector() {
    return keys;
  }

  /** The shared settings. */
  public JwtSettings settings() {
    return settings;
  }

  /** The clock used for every time check. */
  public Clock clock() {
    return settings.clock();
  }

  /**
   * Reads the one {@code Bearer} credential of {@code header} and verifies it. Absent header: a
   * result whose {@link JwtVerification#toFailure()} is "no credential"; two values or another
   * scheme: a refusal. Never throws for bad input.
   */
  public JwtVerification verifyBearer(IncomingCall request, String header) {
    List<String> values = request.headerValues(header);
    if (values.isEmpty()) {
      return JwtVerification.absent();
    }
    if (values.size() > 1) {
      return JwtVerification.rejected(
          Reason.DUPLICATE_CREDENTIALS, "header " + header + " repeated");
    }
    String value = values.get(0);
    int start = BearerToken.schemeEnd(value);
    if (start < 0) {
      return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, NOT_BEARER);
    }
    VerifiedTokenCache.TokenKey key = null;
    if (tokens != null) {
      // A hit reads the token inside the header value: no copy of it per call. When this call's
      // mayWaitForKeys already found the entry for this very header value, it is not looked up
      // again (the re-checks below run regardless).
      Probe probe = request.kept(this) instanceof Probe p && p.sameHeader(value) ? p : null;
      if (probe != null && probe.parsed != null) {
        // Not cached a moment ago: verified in full from the token mayWaitForKeys parsed.
        return verifyParsed(probe.parsed, null, probe.key);
      }
      key = probe != null ? probe.key : new VerifiedTokenCache.TokenKey(value, start);
      VerifiedTokenCache.Entry e = probe != null ? probe.entry : tokens.get(key);
      JwtVerification hit = e == null ? null : recheck(e);
      if (hit != null) {
        return hit;
      }
    }
    // Not served from the cache: the token's characters are checked before anything parses it.
    if (!BearerToken.tokenCharsValid(value, start)) {
      return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, NOT_BEARER);
    }
    return tokens == null ? verify(value.substring(start)) : verifyFully(value, start, key);
  }

  private static final String NOT_BEARER = "not a Bearer credential";

  /**
   * Whether {@link #verifyBearer} of {@code request} might have to wait for a key fetch right now,
   * judged without fetching and without blocking (the chain then decides the call off the calling
   * thread). False for a token served from the verified-token cache under a key set that holds its
   * keys (the hot path: one cache lookup), for anything that is not one well-formed bearer JWT
   * naming a configured key set (refused without any fetch), and for a key set whose cached keys
   * hold the token's {@code kid}. True when the key set has no usable cached keys, or lacks the
   * {@code kid} while a refresh is in flight or allowed, and on any doubt. Never throws.
   */
  public boolean mayWaitForKeys(IncomingCall request, String header) {
    try {
      List<String> values = request.headerValues(header);
      if (values.size() != 1) {
        return false;
      }
      String value = values.get(0);
      int start = BearerToken.schemeEnd(value);
      if (start < 0) {
        return false;
      }
      long now = settings.clock().millis();
      VerifiedTokenCache.TokenKey key = null;
      if (tokens != null) {
        key = new VerifiedTokenCache.TokenKey(value, start);
        VerifiedTokenCache.Entry e = tokens.get(key);
        if (e != null && now >= e.validFromMillis && now < e.validUntilMillis) {
          // verifyBearer of this call takes the entry from here instead of a second lookup.
          request.keep(this, new Probe(value, key, e, null));
          return !e.keys.stillServing(e.from, now) && e.keys.mayWait(e.kid, e.alg, now);
        }
      }
      if (!BearerToken.tokenCharsValid(value, start)) {
        return false;
      }
      CompactJws raw;
      try {
        raw = CompactJws.parse(value.substring(start), settings.maxTokenBytes(), true);
      } catch (CompactJws.Malformed e) {
        return false;
      }
      if (tokens != null) {
        // verifyBearer of this call verifies this parse instead of parsing the token again.
        request.keep(this, new Probe(value, key, null, raw));
      }
      if (headers.check(raw.header).isPresent()) {
        return false;
      }
      String alg = (String) raw.header.get("alg");
      String kid = (String) raw.header.get("kid");
      KeySelection chosen = keys.select(raw.payload);
      if (!chosen.isFound() || !chosen.keys.algorithms.contains(alg)) {
        return false;
      }
      return chosen.keys.mayWait(kid, alg, now);
    } catch (RuntimeException e) {
      return true;
    }
  }

  /**
   * Whether the bearer token in {@code header} names, unverified, one of this verifier's issuers in
   * {@code iss}. For wording a log line only (see {@code Authenticator.recognizes}); never for a
   * decision. False for anything that is not one well-formed bearer JWT; never throws.
   */
  public boolean namesOwnIssuer(IncomingCall request, String header) {
    try {
      List<String> values = request.headerValues(header);
      if (values.size() != 1) {
        return false;
      }
      Optional<String> token = BearerToken.parse(values.get(0));
      if (token.isEmpty()) {
        return false;
      }
      Object iss = CompactJws.parse(token.get(), settings.maxTokenBytes()).payload.get("iss");
      return iss instanceof String s && issuers().contains(s);
    } catch (CompactJws.Malformed | RuntimeException e) {
      return false;
    }
  }

  /** Verifies a compact JWS. Never throws for bad input. */
  public JwtVerification verify(String token) {
    return verify(token, null);
  }

  /**
   * The signature layer only, for known-answer and Wycheproof tests: the framing, header, algorithm
   * and key checks and the signature, with the key set given instead of chosen from the claims; the
   * payload need not be JSON and no claim is checked. Never use it to authenticate.
   */
  JwtVerification verifySignatureOnly(String token, String issuer) {
    return verify(token, requireNonNull(issuer, "issuer"));
  }

  private JwtVerification verify(String token, String fixedKeySet) {
    if (tokens == null || fixedKeySet != null || token == null) {
      return verifyFully(token, fixedKeySet);
    }
    JwtVerification hit = cached(token);
    return hit != null ? hit : verifyFully(token, null);
  }

  /**
   * {@link #verifyFully} of the token {@code value.substring(start)} (a bearer header value),
   * cached under {@code key} (the header value's own key) when it verifies.
   */
  private JwtVerification verifyFully(String value, int start, VerifiedTokenCache.TokenKey key) {
    CompactJws raw;
    try {
      raw = CompactJws.parse(value.substring(start), settings.maxTokenBytes(), true);
    } catch (CompactJws.Malformed e) {
      return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, e.getMessage());
    }
    return verifyParsed(raw, null, key);
  }

  /**
   * The cached result of exactly {@code token} if it still holds: the clock inside the token's
   * window (with the skew), and the key set still serving the very key object it verified under for
   * its {@code kid} (a JWKS refresh brings new key objects, a rotation or removal another key or
   * none). Otherwise the entry is dropped and null returned, and the caller verifies in full.
   */
  private JwtVerification cached(String token) {
    return cached(token, 0);
  }

  /** {@link #cached(String)} of the token {@code text.substring(from)}, without copying it. */
  private JwtVerification cached(String text, int from) {
    VerifiedTokenCache.Entry e = tokens.get(new VerifiedTokenCache.TokenKey(text, from));
    return e == null ? null : recheck(e);
  }

  /**
   * What {@link #mayWaitForKeys} found for one header value of one call, kept on the call for
   * {@link #verifyBearer}: the cache entry (still re-checked there: only the lookup is saved), or,
   * when the token was not cached, its parse (then verified in full: only the parse is saved).
   */
  private record Probe(
      String header,
      VerifiedTokenCache.TokenKey key,
      VerifiedTokenCache.Entry entry,
      CompactJws parsed) {
    /** Whether {@code value} is the very header value the lookup was made for. */
    @SuppressWarnings("ReferenceEquality") // the call's memoized header string, not its contents
    boolean sameHeader(String value) {
      return header == value;
    }

    @Override
    public String toString() {
      return "Probe"; // never the header: it holds the bearer token
    }
  }

  /** The entry's result if its re-checks pass at this moment; otherwise drops it, null. */
  private JwtVerification recheck(VerifiedTokenCache.Entry e) {
    long now = settings.clock().millis();
    if (now >= e.validFromMillis && now < e.validUntilMillis) {
      // The key set still serves the very set object the key was picked from (volatile reads
      // only); otherwise the full lookup decides whether it still serves the very key object.
      if (e.keys.stillServing(e.from, now)) {
        tokens.recordHit();
        return e.result;
      }
      IssuerKeys.Lookup lookup = e.keys.select(e.kid, e.alg, now);
      @SuppressWarnings("ReferenceEquality") // identity on purpose: see above
      boolean sameKey = lookup.key == e.key;
      if (sameKey) {
        tokens.recordHit();
        return e.result;
      }
    }
    tokens.remove(e);
    return null;
  }

  private JwtVerification verifyFully(String token, String fixedKeySet) {
    CompactJws raw;
    try {
      raw = CompactJws.parse(token, settings.maxTokenBytes(), fixedKeySet == null);
    } catch (CompactJws.Malformed e) {
      return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, e.getMessage());
    }
    return verifyParsed(raw, fixedKeySet, null);
  }

  /**
   * {@link #verifyFully} from the framing on, for a token already parsed; a verified token is
   * cached under {@code key} (null: a key of the token itself).
   */
  private JwtVerification verifyParsed(
      CompactJws raw, String fixedKeySet, VerifiedTokenCache.TokenKey key) {
    String token = raw.token;
    Optional<JwtVerification> badHeader = headers.check(raw.header);
    if (badHeader.isPresent()) {
      return badHeader.get();
    }
    String alg = (String) raw.header.get("alg");
    String kid = (String) raw.header.get("kid");
    KeySelection chosen = fixedKeySet == null ? keys.select(raw.payload) : keys.named(fixedKeySet);
    if (!chosen.isFound()) {
      return JwtVerification.rejected(chosen.reason, chosen.detail);
    }
    IssuerKeys set = chosen.keys;
    String name = set.issuer;
    if (!set.algorithms.contains(alg)) {
      return JwtVerification.rejected(
          Reason.ALGORITHM_NOT_ALLOWED,
          "algorithm " + alg + " not allowed for " + chosen.label + name);
    }
    IssuerKeys.Lookup lookup = set.select(kid, alg, settings.clock().millis());
    if (lookup.unavailable) {
      return JwtVerification.unavailable(lookup.detail);
    }
    if (lookup.key == null) {
      return JwtVerification.rejected(lookup.reason, lookup.detail);
    }
    // Single flight over the expensive part: the first caller of a token checks its signature;
    // concurrent callers of the same token wait for that and then read the cache. Taken only once
    // the key is at hand, so callers never queue here behind a key fetch (the key cache bounds
    // those waits itself).
    CompletableFuture<Void> mine = null;
    if (tokens != null && fixedKeySet == null) {
      mine = new CompletableFuture<>();
      CompletableFuture<Void> running = inflight.putIfAbsent(token, mine);
      if (running != null) {
        mine = null;
        running.join();
      }
      // A verification finished before or while this caller waited counts as a hit.
      JwtVerification hit = cached(token);
      if (hit != null) {
        release(token, mine);
        return hit;
      }
    }
    try {
      return checkSignatureAndClaims(raw, fixedKeySet, set, chosen, lookup, alg, kid, key);
    } finally {
      release(token, mine);
    }
  }

  private void release(String token, CompletableFuture<Void> mine) {
    if (mine != null) {
      inflight.remove(token, mine);
      mine.complete(null);
    }
  }

  private JwtVerification checkSignatureAndClaims(
      CompactJws raw,
      String fixedKeySet,
      IssuerKeys set,
      KeySelection chosen,
      IssuerKeys.Lookup lookup,
      String alg,
      String kid,
      VerifiedTokenCache.TokenKey cacheKey) {
    JWK key = lookup.key;
    String name = set.issuer;
    String who = chosen.label + name + " kid " + (kid == null ? "-" : LogSafe.quote(kid));
    try {
      // The header as already parsed and the signing input as sent: no second parse of the token.
      JWSHeader jwsHeader = JWSHeader.parse(raw.header, new Base64URL(raw.headerSegment));
      if (!alg.equals(jwsHeader.getAlgorithm().getName())) {
        return JwtVerification.rejected(Reason.ALGORITHM_NOT_ALLOWED, who + ": alg mismatch");
      }
      byte[] signingInput =
          raw.token.substring(0, raw.signingInputLength).getBytes(StandardCharsets.US_ASCII);
      signatureChecks.increment();
      if (!verifierFor(key).verify(jwsHeader, signingInput, new Base64URL(raw.signatureSegment))) {
        return JwtVerification.rejected(Reason.BAD_SIGNATURE, who + ": signature does not verify");
      }
    } catch (ParseException e) {
      return JwtVerification.rejected(Reason.MALFORMED_CREDENTIALS, who + ": not a JWS");
    } catch (JOSEException | RuntimeException e) {
      return JwtVerification.rejected(
          Reason.BAD_SIGNATURE,
          who + ": signature check failed (" + e.getClass().getSimpleName() + ")");
    }
    if (fixedKeySet != null) {
      return JwtVerification.verified(
          new VerifiedJwt(name, kid, alg, Map.of(), List.of(), Instant.EPOCH, null));
    }
    long skewSeconds = settings.clockSkew().toSeconds();
    JwtVerification result =
        claims.check(
            raw.payload,
            set.anchor.audiences(),
            settings.clock().millis(),
            skewSeconds,
            name,
            kid,
            alg,
            who);
    if (tokens != null && result.isVerified()) {
      remember(
          cacheKey != null ? cacheKey : new VerifiedTokenCache.TokenKey(raw.token, 0),
          raw,
          result,
          set,
          kid,
          alg,
          lookup,
          skewSeconds);
    }
    return result;
  }

  /**
   * Caches a verified token with the window in which a hit may serve it: from the latest of {@code
   * nbf} and {@code iat} less the skew, until {@code exp} plus the skew (the same bounds {@link
   * ClaimsPolicy} applies; all three are at most {@link ClaimsPolicy#MAX_NUMERIC_DATE}, so the
   * arithmetic cannot overflow).
   */
  private void remember(
      VerifiedTokenCache.TokenKey cacheKey,
      CompactJws raw,
      JwtVerification result,
      IssuerKeys set,
      String kid,
      String alg,
      IssuerKeys.Lookup lookup,
      long skewSeconds) {
    VerifiedJwt jwt = result.token();
    long until = (jwt.expiry().getEpochSecond() + skewSeconds) * 1000L;
    long from = Long.MIN_VALUE;
    Object nbf = raw.payload.get("nbf");
    if (nbf instanceof Long l) {
      from = Math.max(from, (l - skewSeconds) * 1000L);
    }
    if (jwt.issuedAt().isPresent()) {
      from = Math.max(from, (jwt.issuedAt().get().getEpochSecond() - skewSeconds) * 1000L);
    }
    tokens.put(
        new VerifiedTokenCache.Entry(
            cacheKey, result, set, kid, alg, lookup.key, lookup.from, from, until),
        settings.clock().millis());
  }

  /**
   * One verifier per key object, so the public key is converted once per JWK rather than per token.
   * Identity-keyed (a JWKS refresh brings new objects); bounded, emptied when full: a miss here
   * only costs one key conversion.
   */
  private JWSVerifier verifierFor(JWK key) throws JOSEException {
    synchronized (verifiers) {
      JWSVerifier v = verifiers.get(key);
      if (v != null) {
        return v;
      }
    }
    JWSVerifier v = newVerifier(key);
    synchronized (verifiers) {
      if (verifiers.size() >= MAX_KEY_VERIFIERS) {
        verifiers.clear();
      }
      verifiers.put(key, v);
    }
    return v;
  }

  /** The Nimbus verifier Gatehouse uses for a kept (pinned, public) key. */
  static JWSVerifier newVerifier(JWK key) throws JOSEException {
    if (key instanceof ECKey eCKey) {
      return new ECDSAVerifier(eCKey);
    }
    if (key instanceof RSAKey rSAKey) {
      return new RSASSAVerifier(rSAKey);
    }
    throw new JOSEException("unsupported key type");
  }

  /** Token-cache lookups served from the cache (tests and benchmarks). */
  long cacheHits() {
    return tokens == null ? 0 : tokens.hits();
  }

  /** Signature checks run (tests: a hit runs none). */
  long signatureChecks() {
    return signatureChecks.sum();
  }

  /** The verified-token cache, or null when it is off (tests). */
  VerifiedTokenCache tokenCache() {
    return tokens;
  }

  /** Stops the background refresh threads and releases the key sources. */
  @Override
  public void close() {
    keys.close();
  }

  @Override
  public String toString() {
    return "JwtVerifier{" + keys + ", " + headers + ", " + claims + "}";
  }

  /**
   * Composes a {@link JwtVerifier} from its parts; each part is set exactly once and {@link
   * #build()} refuses a missing part or parts that contradict each other. The order in which the
   * parts run is fixed by the verifier, not by the order of the calls.
   */
  public static final class Builder {
    private final JwtSettings settings;
    private HeaderPolicy headers;
    private KeySelector keys;
    private ClaimsPolicy claims;

    private Builder(JwtSettings settings) {
      this.settings = requireNonNull(settings, "settings");
    }

    /**
     * The header rules.
     *
     * @throws IllegalStateException if already set
     */
    public Builder headerPolicy(HeaderPolicy policy) {
      requireNonNull(policy, "policy");
      if (headers != null) {
        throw new IllegalStateException("header policy already set");
      }
      this.headers = policy;
      return this;
    }

    /**
     * The key selection; the verifier owns it from {@link #build()} on and closes it.
     *
     * @throws IllegalStateException if already set
     */
    public Builder keySelector(KeySelector selector) {
      requireNonNull(selector, "selector");
      if (keys != null) {
        throw new IllegalStateException("key selector already set");
      }
      this.keys = selector;
      return this;
    }

    /**
     * The claim rules.
     *
     * @throws IllegalStateException if already set
     */
    public Builder claimsPolicy(ClaimsPolicy policy) {
      requireNonNull(policy, "policy");
      if (claims != null) {
        throw new IllegalStateException("claims policy already set");
      }
      this.claims = policy;
      return this;
    }

    /**
     * Validates and builds. On failure the key selector, if set, is closed.
     *
     * @throws IllegalStateException on a missing part
     * @throws IllegalArgumentException when the key selector was started with other settings (its
     *     clock, fetch timeout or outage tolerance would then differ from the verifier's)
     */
    public JwtVerifier build() {
      try {
        if (headers == null) {
          throw new IllegalStateException("no header policy");
        }
        if (keys == null) {
          throw new IllegalStateException("no key selector");
        }
        if (claims == null) {
          throw new IllegalStateException("no claims policy");
        }
        if (keys.settings() != settings) {
          throw new IllegalArgumentException(
              "the key selector was built with other settings than the verifier");
        }
        return new JwtVerifier(this);
      } catch (RuntimeException e) {
        if (keys != null) {
          keys.close();
        }
        throw e;
      }
    }
  }
}
