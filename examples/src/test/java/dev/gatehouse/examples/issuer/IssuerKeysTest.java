package dev.gatehouse.examples.issuer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The issuer's key ring: the next key is published before it signs, and a rotated-out key stays
 * published until its last token has expired (plus the grace), then disappears.
 */
class IssuerKeysTest {
  private final TestClock clock = new TestClock(Instant.parse("2026-06-01T08:00:00Z"));
  private final IssuerKeys keys = new IssuerKeys(clock, Duration.ofSeconds(30));

  private String sign(Duration ttl) {
    Instant now = clock.instant();
    return keys.sign(
        new JWTClaimsSet.Builder()
            .issuer("iss")
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)))
            .build());
  }

  private List<String> kids() {
    return keys.publicKeys().getKeys().stream().map(JWK::getKeyID).toList();
  }

  @Test
  void rotation_nextKeyPublishedAhead_oldKeyServedUntilItsLastTokenExpires() throws Exception {
    String first = keys.activeKid();
    assertEquals(2, kids().size(), "active and next");
    String next = kids().get(1);
    String token = sign(Duration.ofMinutes(2));
    keys.rotate();
    assertEquals(next, keys.activeKid(), "the pre-published key signs after a rotation");
    assertTrue(kids().contains(first), "the old key is still served");
    clock.advance(Duration.ofMinutes(2).plusSeconds(29));
    assertTrue(kids().contains(first), "until exp + grace");
    // The old token still verifies against the published key.
    SignedJWT jwt = SignedJWT.parse(token);
    ECKey published = (ECKey) keys.publicKeys().getKeyByKeyId(first);
    assertTrue(jwt.verify(new ECDSAVerifier(published)));
    clock.advance(Duration.ofSeconds(1));
    assertFalse(kids().contains(first), "dropped once its last token expired");
    assertEquals(2, kids().size());
  }

  @Test
  void publicKeys_neverCarryPrivateParts() {
    sign(Duration.ofMinutes(1));
    keys.rotate();
    keys.publicKeys().getKeys().forEach(k -> assertFalse(k.isPrivate(), k.getKeyID()));
  }
}
