package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.Reason;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link HeaderPolicy} on its own: each rule, its {@link Reason} and its log-safe detail. */
class HeaderPolicyTest {
  private static final HeaderPolicy DEFAULT = HeaderPolicy.newBuilder().build();

  private static Map<String, Object> header(Object... pairs) {
    Map<String, Object> h = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      h.put((String) pairs[i], pairs[i + 1]);
    }
    return h;
  }

  private static JwtVerification refused(HeaderPolicy policy, Map<String, Object> header) {
    Optional<JwtVerification> r = policy.check(header);
    assertTrue(r.isPresent(), "expected a refusal for " + header.keySet());
    assertFalse(r.get().isVerified());
    return r.get();
  }

  private static void refused(
      HeaderPolicy policy, Map<String, Object> header, Reason reason, String detail) {
    JwtVerification r = refused(policy, header);
    assertEquals(reason, r.reason());
    assertEquals(detail, r.detail());
  }

  @Test
  void check_algKidTyp_accepted() {
    assertEquals(
        Optional.empty(), DEFAULT.check(header("alg", "ES256", "kid", "k1", "typ", "JWT")));
    assertEquals(Optional.empty(), DEFAULT.check(header("alg", "PS512")));
  }

  @Test
  void check_memberWithJsonNull_malformedNamingTheMember() {
    refused(
        DEFAULT,
        header("alg", "ES256", "kid", null),
        Reason.MALFORMED_CREDENTIALS,
        "header parameter \"kid\" is null");
    refused(
        DEFAULT,
        header("alg", "ES256", "typ", null),
        Reason.MALFORMED_CREDENTIALS,
        "header parameter \"typ\" is null");
  }

  @Test
  void check_exactTypes_noCaseFoldingNoPrefix() {
    HeaderPolicy svid =
        HeaderPolicy.newBuilder().allowedTypes(List.of("JWT", "JOSE")).exactTypes().build();
    assertEquals(Optional.empty(), svid.check(header("alg", "ES256", "typ", "JOSE")));
    assertEquals(Optional.empty(), svid.check(header("alg", "ES256")));
    for (String typ : List.of("jwt", "application/jwt", "application/JWT", "Jose")) {
      refused(
          svid, header("alg", "ES256", "typ", typ), Reason.DISALLOWED_HEADER, "typ not allowed");
    }
  }

  @Test
  void check_typCaseAndApplicationPrefix_ignored() {
    assertEquals(Optional.empty(), DEFAULT.check(header("alg", "ES256", "typ", "jwt")));
    assertEquals(Optional.empty(), DEFAULT.check(header("alg", "ES256", "typ", "application/JWT")));
  }

  @Test
  void check_typNotAllowed_disallowedHeaderWithoutValue() {
    refused(
        DEFAULT,
        header("alg", "ES256", "typ", "at+jwt"),
        Reason.DISALLOWED_HEADER,
        "typ not allowed");
    refused(
        DEFAULT, header("alg", "ES256", "typ", 7L), Reason.DISALLOWED_HEADER, "typ not allowed");
  }

  @Test
  void check_allowedTypesReplaced_onlyThoseAccepted() {
    HeaderPolicy p = HeaderPolicy.newBuilder().allowedTypes(List.of("JWT", "at+jwt")).build();
    assertEquals(Optional.empty(), p.check(header("alg", "ES256", "typ", "AT+JWT")));
    HeaderPolicy jose = HeaderPolicy.newBuilder().allowedTypes(List.of("JOSE")).build();
    refused(
        jose, header("alg", "ES256", "typ", "JWT"), Reason.DISALLOWED_HEADER, "typ not allowed");
    assertEquals(Optional.empty(), jose.check(header("alg", "ES256")), "typ absent is accepted");
  }

  @Test
  void check_dangerousMembers_disallowedHeaderNamingTheMember() {
    for (String name : List.of("crit", "jku", "jwk", "x5u", "x5c", "zip", "b64", "cty", "enc")) {
      refused(
          DEFAULT,
          header("alg", "ES256", name, "x"),
          Reason.DISALLOWED_HEADER,
          "header parameter \"" + name + "\" not allowed");
    }
  }

  @Test
  void check_memberNameWithControlCharacters_quotedSafely() {
    JwtVerification r = refused(DEFAULT, header("alg", "ES256", "a\nb\"c", "x"));
    assertEquals(Reason.DISALLOWED_HEADER, r.reason());
    assertEquals("header parameter \"a?b?c\" not allowed", r.detail());
  }

  @Test
  void check_x5tOnlyWhenAllowedAndAString() {
    refused(
        DEFAULT,
        header("alg", "ES256", "x5t", "abc"),
        Reason.DISALLOWED_HEADER,
        "header parameter \"x5t\" not allowed");
    HeaderPolicy p = HeaderPolicy.newBuilder().allowHeaders(List.of("x5t", "x5t#S256")).build();
    assertEquals(Optional.empty(), p.check(header("alg", "ES256", "x5t", "abc")));
    refused(p, header("alg", "ES256", "x5t", 1L), Reason.MALFORMED_CREDENTIALS, "x5t not a string");
    refused(
        p,
        header("alg", "ES256", "x5t#S256", List.of()),
        Reason.MALFORMED_CREDENTIALS,
        "x5t#S256 not a string");
  }

  @Test
  void allowHeaders_anythingButX5t_throws() {
    for (String name : List.of("jku", "jwk", "x5c", "crit", "kid2")) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class,
              () -> HeaderPolicy.newBuilder().allowHeaders(List.of(name)));
      assertTrue(e.getMessage().contains("cannot be allowed"), e.getMessage());
    }
  }

  @Test
  void check_algMissingOrNotString_malformed() {
    refused(
        DEFAULT, header("kid", "k1"), Reason.MALFORMED_CREDENTIALS, "alg missing or not a string");
    refused(
        DEFAULT, header("alg", 1L), Reason.MALFORMED_CREDENTIALS, "alg missing or not a string");
  }

  @Test
  void check_noneHmacOrUnknownAlg_algorithmNotAllowed() {
    for (String alg : List.of("none", "HS256", "HS512", "EdDSA", "es256", "RSA-OAEP")) {
      refused(
          DEFAULT,
          header("alg", alg),
          Reason.ALGORITHM_NOT_ALLOWED,
          "algorithm \"" + alg + "\" not allowed");
    }
  }

  @Test
  void check_kidEmptyTooLongOrNotString_malformed() {
    String tooLong = "k".repeat(HeaderPolicy.MAX_KID_LENGTH + 1);
    for (Object kid : List.<Object>of("", tooLong, 5L, List.of("k1"))) {
      refused(
          DEFAULT,
          header("alg", "ES256", "kid", kid),
          Reason.MALFORMED_CREDENTIALS,
          "kid is not a usable string");
    }
    assertEquals(
        Optional.empty(),
        DEFAULT.check(header("alg", "ES256", "kid", "k".repeat(HeaderPolicy.MAX_KID_LENGTH))));
  }

  @Test
  void check_disallowedMemberCheckedBeforeAlg() {
    // The member allow-list runs first: an unknown member is reported even with a bad alg.
    refused(
        DEFAULT,
        header("alg", "none", "jku", "https://evil.example"),
        Reason.DISALLOWED_HEADER,
        "header parameter \"jku\" not allowed");
  }

  @Test
  void accessors_normalisedAndImmutable() {
    HeaderPolicy p =
        HeaderPolicy.newBuilder()
            .allowedTypes(List.of("application/JOSE"))
            .allowHeaders(List.of("x5t"))
            .build();
    assertEquals(java.util.Set.of("jose"), p.allowedTypes());
    assertEquals(java.util.Set.of("alg", "kid", "typ", "x5t"), p.allowedHeaders());
    assertThrows(UnsupportedOperationException.class, () -> p.allowedTypes().add("jwt"));
  }
}
