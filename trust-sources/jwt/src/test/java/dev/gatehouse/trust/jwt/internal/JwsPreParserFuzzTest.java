package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz target for everything a bearer token meets before any key is chosen: {@link BearerToken}
 * (the {@code authorization} value), {@link CompactJws} (the strict pre-parser) and the {@link
 * HeaderPolicy} and {@link ClaimsPolicy} checks over what it parsed. The input is the header value;
 * when it is not a {@code Bearer} value it is also given to the pre-parser as a bare token.
 *
 * <p>Contract: {@code BearerToken} returns a token without whitespace or control characters or
 * empty; {@code CompactJws} parses or throws {@link CompactJws.Malformed}, whose message quotes no
 * token material; the policies return a verdict and never throw. Never any other {@link Throwable},
 * never a hang.
 */
class JwsPreParserFuzzTest {
  private static final int MAX_TOKEN_BYTES = JwtSettings.DEFAULT_MAX_TOKEN_BYTES;
  private static final HeaderPolicy USER_HEADERS = HeaderPolicy.newBuilder().build();
  private static final HeaderPolicy SVID_HEADERS =
      HeaderPolicy.newBuilder()
          .exactTypes()
          .allowedTypes(List.of("JWT", "JOSE"))
          .allowHeaders(List.of("x5t", "x5t#S256"))
          .build();
  private static final ClaimsPolicy USER_CLAIMS = ClaimsPolicy.newBuilder().build();
  private static final ClaimsPolicy SERVICE_CLAIMS =
      ClaimsPolicy.newBuilder().requireIssuedAt(true).maxLifetime(Duration.ofMinutes(10)).build();
  private static final long NOW_MILLIS = 1_700_000_000_000L;

  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  @FuzzTest(maxDuration = "30s")
  void preParsesOrRefusesAsMalformed(byte[] data) {
    String header = new String(data, StandardCharsets.UTF_8);
    Optional<String> token = BearerToken.parse(header);
    if (token.isPresent()) {
      String t = token.get();
      assertFalse(t.isEmpty(), "empty bearer token");
      assertTrue(header.toLowerCase(Locale.ROOT).startsWith("bearer "), "scheme not bearer");
      assertEquals(header.substring("bearer ".length()), t, "token is the rest of the value");
      assertTrue(t.chars().allMatch(c -> c > 0x20 && c < 0x7f), "whitespace or control in token");
    }
    preParse(token.orElse(header));
  }

  private static void preParse(String token) {
    for (boolean jsonPayload : new boolean[] {true, false}) {
      CompactJws jws;
      try {
        jws = CompactJws.parse(token, MAX_TOKEN_BYTES, jsonPayload);
      } catch (CompactJws.Malformed e) {
        if (token.length() >= 8) {
          assertFalse(String.valueOf(e.getMessage()).contains(token), "message quotes the token");
        }
        continue;
      }
      assertTrue(token.length() <= MAX_TOKEN_BYTES, "over-long token parsed");
      assertEquals(2, token.chars().filter(c -> c == '.').count(), "not three segments");
      assertNotNull(jws.header);
      assertNotNull(jws.payload);
      checkHeader(USER_HEADERS, jws.header);
      checkHeader(SVID_HEADERS, jws.header);
      if (jsonPayload) {
        checkClaims(USER_CLAIMS, jws.payload);
        checkClaims(SERVICE_CLAIMS, jws.payload);
      }
    }
  }

  private static void checkHeader(HeaderPolicy policy, Map<String, Object> header) {
    Optional<JwtVerification> refusal = policy.check(header);
    if (refusal.isEmpty()) {
      assertTrue(header.get("alg") instanceof String, "accepted a header without a string alg");
      assertFalse(header.containsValue(null), "accepted a header member that is null");
    }
  }

  private static void checkClaims(ClaimsPolicy policy, Map<String, Object> claims) {
    assertNotNull(
        policy.check(
            claims, Set.of("api://fuzz"), NOW_MILLIS, 60, "https://issuer", "k1", "ES256", "fuzz"));
  }
}
