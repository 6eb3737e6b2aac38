package dev.gatehouse.trust.spiffe;

import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import io.grpc.Attributes;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link SpiffeJwtTrustSource} called directly: builder validation, and the go-spiffe / java-spiffe
 * JWT bundle fixtures from the shared vectors.
 */
class SpiffeJwtTrustSourceTest {
  static final Instant NOW = Instant.parse("2026-06-01T08:00:00Z");
  static final String TD = "example.org";
  static final String ID = "spiffe://example.org/ns/trips/sa/worker";
  static final String AUD = "trips";
  static final String GO = "spiffe/go-spiffe-bundles/";
  static final String JAVA = "spiffe/java-spiffe-jwtbundle/";
  static final String FIXTURE_EC_KID = "C6vs25welZOx6WksNYfbMfiw9l96pMnD";
  static final String FIXTURE_RSA_KID = "14cc39cd-838d-426d-9bb1-77f3468fba96";

  private SpiffeJwtTrustSource source;

  @AfterEach
  void close() {
    if (source != null) {
      source.close();
    }
  }

  private static SpiffeJwtTrustSource.Builder valid() {
    return SpiffeJwtTrustSource.newBuilder()
        .serviceAudience(AUD)
        .clock(Clock.fixed(NOW, ZoneOffset.UTC))
        .addBundle(TD, JwksSource.of(new JWKSet(TestTokens.ecKey("k"))))
        .allow(ID, Set.of("r"), Set.of());
  }

  private SpiffeJwtTrustSource fixture(
      String relative, UnaryOperator<SpiffeJwtTrustSource.Builder> e) throws Exception {
    Path file = TestSupport.vectors().resolve(relative);
    assertTrue(file.toFile().isFile(), "missing vector " + file);
    source =
        e.apply(
                SpiffeJwtTrustSource.newBuilder()
                    .serviceAudience(AUD)
                    .clock(Clock.fixed(NOW, ZoneOffset.UTC))
                    .addBundle(TD, JwksSource.file(file))
                    .allowTrustDomain(TD, Set.of("r"), Set.of()))
            .build();
    return source;
  }

  private SpiffeJwtTrustSource fixture(String relative) throws Exception {
    return fixture(relative, UnaryOperator.identity());
  }

  private static Map<String, Object> claims(String sub) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("sub", sub);
    c.put("aud", AUD);
    c.put("exp", NOW.getEpochSecond() + 300);
    return c;
  }

  private AuthResult call(String token) {
    return source.authenticate(
        IncomingCall.of(
            "gatehouse.test.v1.Probe/Worker",
            ProbeHarness.headers("authorization", "Bearer " + token),
            Attributes.EMPTY));
  }

  private Reason reason(JWK signer, String alg, String kid) {
    AuthResult r = call(sign(signer, header(alg, kid), claims(ID)));
    return r.outcome() == AuthResult.Outcome.AUTHENTICATED ? Reason.OK : r.reason();
  }

  private static ECKey p384(String kid) throws JOSEException {
    return new ECKeyGenerator(Curve.P_384).keyID(kid).generate();
  }

  // ---- go-spiffe / java-spiffe JWT bundle fixtures ----

  @Test
  void fixtures_validJwtBundles_everyKeyLoaded() throws Exception {
    Map<String, List<String>> fixtures =
        Map.of(
            GO + "jwtbundle_jwks_valid_1.json", List.of(FIXTURE_EC_KID),
            GO + "jwtbundle_jwks_valid_2.json",
                List.of(FIXTURE_EC_KID, "gHTCunJbefYtnZnTctd84xeRWyMrEsWD"),
            JAVA + "jwks_valid_EC_1.json", List.of(FIXTURE_EC_KID),
            JAVA + "jwks_valid_RSA_EC.json", List.of(FIXTURE_EC_KID));
    for (Map.Entry<String, List<String>> f : fixtures.entrySet()) {
      fixture(f.getKey());
      for (String kid : f.getValue()) {
        // The fixture's key under that kid was used: our own key's signature does not verify.
        assertEquals(
            Reason.BAD_SIGNATURE, reason(TestTokens.ecKey(kid), "ES256", kid), f + " " + kid);
      }
      assertEquals(
          Reason.UNKNOWN_KEY,
          reason(TestTokens.ecKey("nope"), "ES256", "nope"),
          f.getKey() + ": unknown kid");
      source.close();
      source = null;
    }
  }

  @Test
  void fixtures_javaSpiffeRsaBundle_tokenSignedWithFixtureKeyAccepted() throws Exception {
    // The java-spiffe fixture publishes its RSA private key (public test data, read at test time,
    // never committed here). The bundle keeps the public part only; RS256 is pinned (no alg).
    for (String f : List.of(JAVA + "jwks_valid_RSA_1.json", JAVA + "jwks_valid_RSA_EC.json")) {
      JWK fixtureKey =
          JWKSet.load(TestSupport.vectors().resolve(f).toFile()).getKeyByKeyId(FIXTURE_RSA_KID);
      assertTrue(fixtureKey.isPrivate());
      fixture(f);
      AuthResult ok = call(sign(fixtureKey, header("RS256", FIXTURE_RSA_KID), claims(ID)));
      assertEquals(AuthResult.Outcome.AUTHENTICATED, ok.outcome(), ok.toString());
      assertEquals(ID, ok.principal().orElseThrow().subject());
      assertEquals(TD, ok.principal().orElseThrow().issuer().orElseThrow());
      // PS256 with the same RSA key is refused: the key is pinned to RS256.
      assertEquals(Reason.ALGORITHM_NOT_ALLOWED, reason(fixtureKey, "PS256", FIXTURE_RSA_KID));
      // The fixture's trust domain is example.org: the same token for another trust domain's ID
      // cannot be verified by this bundle.
      AuthResult other =
          call(
              sign(
                  fixtureKey,
                  header("RS256", FIXTURE_RSA_KID),
                  claims("spiffe://other.org/ns/trips/sa/worker")));
      assertEquals(Reason.UNKNOWN_ISSUER, other.reason());
      source.close();
      source = null;
    }
  }

  @Test
  void fixtures_missingKid_kidlessKeyDroppedOtherKeyServes() throws Exception {
    for (String f :
        List.of(GO + "jwtbundle_jwks_missing_kid.json", JAVA + "jwks_missing_kid.json")) {
      fixture(f);
      assertEquals(Reason.BAD_SIGNATURE, reason(TestTokens.ecKey("x"), "ES256", FIXTURE_EC_KID), f);
      // Without a kid: were the kid-less key kept, two ES256 keys would fit (UNKNOWN_KEY). It is
      // dropped, so exactly one key is eligible and the token's signature is checked against it.
      assertEquals(Reason.BAD_SIGNATURE, reason(TestTokens.ecKey("x"), "ES256", null), f);
      source.close();
      source = null;
    }
  }

  @Test
  void fixtures_invalidKeyType_okpDroppedEveryTokenRefused() throws Exception {
    fixture(JAVA + "jwks_invalid_keytype.json");
    String eddsa =
        TestTokens.encode(header("EdDSA", "1")) + "." + TestTokens.encode(claims(ID)) + ".AAAA";
    assertEquals(Reason.ALGORITHM_NOT_ALLOWED, call(eddsa).reason());
    assertEquals(Reason.UNKNOWN_KEY, reason(TestTokens.ecKey("1"), "ES256", "1"));
    assertEquals(Reason.UNKNOWN_KEY, reason(TestTokens.ecKey("1"), "ES256", null));
  }

  @Test
  void fixtures_spiffeBundle_onlyJwtSvidKeysUsed() throws Exception {
    // A full SPIFFE bundle: its x509-svid key (P-384, no kid) must never verify a JWT, even with
    // ES384 allowed; its jwt-svid key serves.
    fixture(
        GO + "spiffebundle_spiffebundle_valid_1.json",
        b -> b.algorithms(List.of("ES256", "ES384")));
    assertEquals(Reason.BAD_SIGNATURE, reason(TestTokens.ecKey("x"), "ES256", FIXTURE_EC_KID));
    assertEquals(Reason.UNKNOWN_KEY, reason(p384("x"), "ES384", null));
  }

  @Test
  void fixtures_spiffeBundleWithWit_witAndX509KeysDropped() throws Exception {
    fixture(GO + "spiffebundle_spiffebundle_valid_with_wit.json");
    assertEquals(
        Reason.BAD_SIGNATURE,
        reason(TestTokens.ecKey("x"), "ES256", "IRsID4VIM3T11TsK43Ny1DgCD5UNWhva"));
    assertEquals(
        Reason.UNKNOWN_KEY,
        reason(TestTokens.ecKey("x"), "ES256", "uNhqAaPI7NDn7IHOsa2ac1BF4O5qGxjZ"));
  }

  @Test
  void fixtures_spiffeBundleMissingKid_noUsableKey() throws Exception {
    fixture(GO + "spiffebundle_spiffebundle_missing_kid.json");
    assertEquals(Reason.UNKNOWN_KEY, reason(TestTokens.ecKey("x"), "ES256", null));
  }

  @Test
  void fixtures_bundleWithoutKeysMember_notAJwksSoUnavailable() throws Exception {
    // No "keys" member: not a JWKS document, so the bundle cannot be read (fail closed).
    fixture(GO + "spiffebundle_spiffebundle_no_keys.json");
    AuthResult r = call(sign(TestTokens.ecKey("x"), header("ES256", "x"), claims(ID)));
    assertEquals(AuthResult.Outcome.UNAVAILABLE, r.outcome(), r.toString());
  }

  // ---- the SPIFFE ID parse vectors as JWT-SVID subjects ----

  /**
   * Every case of spiffe_id_cases.json as a signed token's {@code sub}: valid-id is accepted with
   * exactly that subject; invalid-id, DIVERGENT (upper case) and POLICY (over-long) are refused as
   * INVALID_CLAIMS, even though a bundle exists for the lower-case trust domain they resemble.
   */
  @Test
  void authenticate_spiffeIdVectorsAsSub_onlyValidIdsAccepted() throws Exception {
    List<Map<String, Object>> cases = TestSupport.cases("spiffe/spiffe_id_cases.json");
    ECKey key = TestTokens.ecKey("k");
    Set<String> domains = new java.util.TreeSet<>(Set.of("trustdomain", "example.org"));
    for (Map<String, Object> c : cases) {
      if (c.get("expected").equals("valid-id")) {
        domains.add(SpiffeId.parse((String) c.get("input")).trustDomain().name());
      }
    }
    SpiffeJwtTrustSource.Builder b =
        SpiffeJwtTrustSource.newBuilder()
            .serviceAudience(AUD)
            .clock(Clock.fixed(NOW, ZoneOffset.UTC))
            .maxTokenBytes(16 * 1024);
    for (String td : domains) {
      b.addBundle(td, JwksSource.of(new JWKSet(key))).allowTrustDomain(td, Set.of(), Set.of());
    }
    source = b.build();
    int accepted = 0;
    int refused = 0;
    for (Map<String, Object> c : cases) {
      String input = (String) c.get("input");
      String label = c.get("expected") + " " + input.substring(0, Math.min(60, input.length()));
      AuthResult r = call(sign(key, header("ES256", "k"), claims(input)));
      boolean workload =
          c.get("expected").equals("valid-id") && !SpiffeId.parse(input).path().isEmpty();
      if (workload) {
        assertEquals(AuthResult.Outcome.AUTHENTICATED, r.outcome(), label + " " + r);
        assertEquals(input, r.principal().orElseThrow().subject(), label);
        accepted++;
      } else {
        // Invalid IDs, and valid trust-domain IDs without a path (they name no workload).
        assertEquals(AuthResult.Outcome.REJECTED, r.outcome(), label);
        assertEquals(Reason.INVALID_CLAIMS, r.reason(), label);
        refused++;
      }
    }
    // 18 valid IDs, one of which (spiffe://trustdomain) names a trust domain, not a workload.
    assertEquals(17, accepted);
    assertEquals(56, refused);
  }

  // ---- direct calls ----

  @Test
  void authenticate_noHeader_noCredential() {
    source = valid().build();
    AuthResult r =
        source.authenticate(
            IncomingCall.of(
                "gatehouse.test.v1.Probe/Worker", new io.grpc.Metadata(), Attributes.EMPTY));
    assertEquals(AuthResult.Outcome.NO_CREDENTIAL, r.outcome());
  }

  @Test
  void authenticate_subInAllowedDomainWithoutBundleKey_refusedNotFallenThrough() {
    source = valid().build();
    AuthResult r = call(sign(TestTokens.ecKey("k"), header("ES256", "k"), claims(ID)));
    assertEquals(AuthResult.Outcome.REJECTED, r.outcome());
    assertEquals(Reason.BAD_SIGNATURE, r.reason());
  }

  @Test
  void nameHeadersAndTrustDomains_asConfigured() {
    source = valid().header("X-Svid").build();
    assertEquals("spiffe_jwt", source.name());
    assertEquals(Set.of("x-svid"), source.credentialHeaders());
    assertEquals(Set.of(TrustDomain.parse(TD)), source.trustDomains());
    assertFalse(source.toString().contains("\"keys\""));
  }

  @Test
  void builder_typedOverloads_equivalent() {
    source =
        SpiffeJwtTrustSource.newBuilder()
            .serviceAudience(AUD)
            .addBundle(TrustDomain.parse(TD), JwksSource.of(new JWKSet(TestTokens.ecKey("k"))))
            .allow(SpiffeId.parse(ID), List.of("r"), List.of())
            .allowTrustDomain(TrustDomain.parse(TD), List.of(), List.of())
            .build();
    assertEquals(Set.of(TrustDomain.parse(TD)), source.trustDomains());
  }

  // ---- build() validation ----

  private static void invalid(UnaryOperator<SpiffeJwtTrustSource.Builder> edit, String fragment) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> edit.apply(valid()).build().close());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  @Test
  void build_missingAudience_throws() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SpiffeJwtTrustSource.newBuilder()
                    .addBundle(TD, JwksSource.of(new JWKSet(TestTokens.ecKey("k"))))
                    .allow(ID, Set.of(), Set.of())
                    .build());
    assertTrue(e.getMessage().contains("serviceAudience"));
    invalid(b -> b.serviceAudience(""), "serviceAudience");
  }

  @Test
  void build_noBundle_throws() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SpiffeJwtTrustSource.newBuilder()
                    .serviceAudience(AUD)
                    .allow(ID, Set.of(), Set.of())
                    .build());
    assertTrue(e.getMessage().contains("no trust domain bundle"));
  }

  @Test
  void build_badOrDuplicateBundleTrustDomain_throws() {
    JwksSource k = JwksSource.of(new JWKSet(TestTokens.ecKey("k")));
    invalid(b -> b.addBundle("Example.org", k), "not a valid trust domain");
    invalid(b -> b.addBundle("spiffe://example.org", k), "not a valid trust domain");
    invalid(b -> b.addBundle(TD, k), "more than one bundle");
  }

  @Test
  void build_emptyAllowList_throws() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                SpiffeJwtTrustSource.newBuilder()
                    .serviceAudience(AUD)
                    .addBundle(TD, JwksSource.of(new JWKSet(TestTokens.ecKey("k"))))
                    .build());
    assertTrue(e.getMessage().contains("allow-list is empty"));
  }

  @Test
  void build_badAllowEntries_throw() {
    invalid(b -> b.allow("spiffe://EXAMPLE.org/x", Set.of(), Set.of()), "not a valid SPIFFE ID");
    invalid(b -> b.allow("example.org/x", Set.of(), Set.of()), "not a valid SPIFFE ID");
    invalid(b -> b.allow(ID, Set.of(), Set.of()), "twice");
    invalid(b -> b.allow("spiffe://other.org/x", Set.of(), Set.of()), "has no bundle");
    invalid(b -> b.allowTrustDomain("other.org", Set.of(), Set.of()), "has no bundle");
    invalid(b -> b.allowTrustDomain("Example.Org", Set.of(), Set.of()), "not a valid trust");
    invalid(
        b -> b.allowTrustDomain(TD, Set.of(), Set.of()).allowTrustDomain(TD, Set.of("x"), Set.of()),
        "twice");
    invalid(b -> b.allow("spiffe://example.org/y", Set.of(" "), Set.of()), "empty role");
    invalid(b -> b.allowTrustDomain(TD, Set.of(), Set.of("")), "empty scope");
  }

  @Test
  void build_badHeaderSkewOrAlgorithm_throws() {
    invalid(b -> b.header("bad header"), "invalid header");
    invalid(b -> b.header("x-svid-bin"), "invalid header");
    invalid(b -> b.clockSkew(Duration.ofSeconds(121)), "clock skew");
    invalid(b -> b.algorithms(List.of("HS256")), "not allowed");
    invalid(b -> b.algorithms(List.of()), "no algorithm");
  }
}
