package dev.gatehouse.trust.jwt.internal;

import com.google.common.hash.Hashing;
import com.nimbusds.jose.jwk.JWK;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers which exact tokens were already found to carry a valid signature under which exact key
 * object, so a token presented again (clients reuse a service or user token for minutes) skips the
 * ECDSA/RSA check, the one expensive step.
 *
 * <p>Only the pure function (token bytes, key) → "signature valid" is memoised. Every policy check
 * still runs on every call: framing, headers, algorithm, issuer binding, key lookup in the issuer's
 * current JWKS, every claim and time check, and (in the signed-token source) the replay check. A
 * key that leaves the JWKS, or a JWKS refresh (new key objects), makes entries miss. Entries are
 * keyed by the SHA-256 of the token, so the cache never holds token material. Bounded: when full it
 * is emptied, never grown.
 */
final class SignatureCache {
  private final int capacity;
  private final ConcurrentHashMap<String, JWK> verified = new ConcurrentHashMap<>();

  SignatureCache(int capacity) {
    if (capacity < 0) {
      throw new IllegalArgumentException("capacity must not be negative");
    }
    this.capacity = capacity;
  }

  /** Whether {@code token} was verified before with this very key object. */
  boolean verifiedBefore(String token, JWK key) {
    // Identity on purpose: a JWKS refresh brings new key objects, and entries must then miss.
    @SuppressWarnings("ReferenceEquality")
    boolean sameKeyObject = verified.get(digest(token)) == key;
    return capacity > 0 && sameKeyObject;
  }

  /** Records that {@code token}'s signature verified with {@code key}. */
  void remember(String token, JWK key) {
    if (capacity == 0) {
      return;
    }
    if (verified.size() >= capacity) {
      verified.clear();
    }
    verified.put(digest(token), key);
  }

  int size() {
    return verified.size();
  }

  private static String digest(String token) {
    return Hashing.sha256().hashString(token, StandardCharsets.US_ASCII).toString();
  }
}
