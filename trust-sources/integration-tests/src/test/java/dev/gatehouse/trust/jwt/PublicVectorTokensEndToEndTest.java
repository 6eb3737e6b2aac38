package dev.gatehouse.trust.jwt;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.NoCredentialTrustSource;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Public vectors and framing outliers sent as real bearer credentials to an in-process server
 * protected by a user-JWT issuer: each is refused with {@code UNAUTHENTICATED} and the fixed
 * description, and the handler never runs. (The per-case vector checks of the verifier itself are
 * in the JWT module's {@code JwsVectorSweepTest}, {@code JwkVectorTest} and {@code
 * KnownAnswerTest}.)
 */
class PublicVectorTokensEndToEndTest {
  private static final String AUD = "trips-api";

  private final List<AuditEvent> audit = new CopyOnWriteArrayList<>();

  private ProbeHarness start(UserJwtAuthenticator auth) throws Exception {
    return ProbeHarness.start(
        h ->
            Gatehouse.newBuilder()
                .addService(h.service())
                .userAuthenticator(auth)
                .addTrustSource(new NoCredentialTrustSource())
                .auditListener(audit::add)
                .build());
  }

  private static StatusRuntimeException call(ProbeHarness h, Metadata md) {
    return expectFailure(() -> h.stub(md).anyUser(Req.getDefaultInstance()));
  }

  private Reason assertRefused(ProbeHarness h, Metadata md, String fixedText, String what) {
    int before = h.handlerRuns();
    StatusRuntimeException e = call(h, md);
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), what);
    assertEquals(fixedText, e.getStatus().getDescription(), what);
    assertEquals(before, h.handlerRuns(), what + ": handler must not run");
    return audit.get(audit.size() - 1).reason();
  }

  private static Metadata bearer(String token) {
    return ProbeHarness.headers("authorization", "Bearer " + token);
  }

  @SuppressWarnings("unchecked")
  private static List<String> wycheproof(String file, String member) throws Exception {
    Map<String, Object> doc =
        JSONObjectUtils.parse(
            Files.readString(TestSupport.vectors().resolve("wycheproof/" + file)), -1);
    List<String> out = new ArrayList<>();
    for (Object g : (List<Object>) doc.get("testGroups")) {
      for (Object t : (List<Object>) ((Map<String, Object>) g).get("tests")) {
        out.add((String) ((Map<String, Object>) t).get(member));
      }
    }
    return out;
  }

  @Test
  void anyUser_everyWycheproofJwsAndJwe_refusedInvalidHandlerNotRun() throws Exception {
    List<String> tokens = new ArrayList<>(wycheproof("json_web_signature_test.json", "jws"));
    tokens.addAll(wycheproof("json_web_encryption_test.json", "jwe"));
    assertTrue(tokens.size() >= 540, "every JWS and JWE vector: " + tokens.size());
    try (JwksServer jwks = JwksServer.start(new JWKSet(TestTokens.ecKey("k1")));
        UserJwtAuthenticator auth =
            UserJwtAuthenticator.newBuilder()
                .addIssuer("https://idp.test", jwks.url(), List.of(AUD))
                .build();
        ProbeHarness h = start(auth)) {
      for (String token : tokens) {
        // Some vectors are not valid header values at all (whitespace, line breaks): sent in
        // their metadata-safe form, they are still refused the same way.
        String sendable = token.replaceAll("[^\\x21-\\x7e]", "");
        assertRefused(h, bearer(sendable), AuthStatus.INVALID_TEXT, sendable);
      }
    }
  }

  @Test
  void anyUser_rfc7515TokensWithGoodSignatures_refusedExpiredHandlerNotRun() throws Exception {
    for (String id : List.of("RFC7515-A.2", "RFC7515-A.3")) {
      rfc7515TokenRefusedAsExpired(id);
    }
  }

  @SuppressWarnings("unchecked")
  private void rfc7515TokenRefusedAsExpired(String id) throws Exception {
    Map<String, Object> c = null;
    Map<String, Object> doc =
        JSONObjectUtils.parse(
            Files.readString(TestSupport.vectors().resolve("rfc7515/rfc7515_appendix_a.json")));
    for (Object o : (List<Object>) doc.get("cases")) {
      if (id.equals(((Map<String, Object>) o).get("id"))) {
        c = (Map<String, Object>) o;
      }
    }
    JWK key = JWK.parse((Map<String, Object>) c.get("jwk"));
    try (JwksServer jwks = JwksServer.start(new JWKSet(key.toPublicJWK()));
        UserJwtAuthenticator auth =
            UserJwtAuthenticator.newBuilder().addIssuer("joe", jwks.url(), List.of(AUD)).build();
        ProbeHarness h = start(auth)) {
      // The claims run after the signature: EXPIRED proves the signature verified.
      assertEquals(
          Reason.EXPIRED,
          assertRefused(h, bearer((String) c.get("compact")), AuthStatus.INVALID_TEXT, id));
    }
  }

  @Test
  void anyUser_jwsJsonSerialisations_refusedMalformedHandlerNotRun() throws Exception {
    ECKey key = TestTokens.ecKey("k1");
    try (JwksServer jwks = JwksServer.start(new JWKSet(key));
        UserJwtAuthenticator auth =
            UserJwtAuthenticator.newBuilder()
                .addIssuer("https://idp.test", jwks.url(), List.of(AUD))
                .build();
        ProbeHarness h = start(auth)) {
      String compact =
          TestTokens.sign(
              key,
              TestTokens.header("ES256", "k1"),
              TestTokens.claims("https://idp.test", "alice", AUD, Instant.now(), 300));
      String[] parts = compact.split("\\.", -1);
      Map<String, Object> flattened = new LinkedHashMap<>();
      flattened.put("protected", parts[0]);
      flattened.put("payload", parts[1]);
      flattened.put("signature", parts[2]);
      Map<String, Object> general = new LinkedHashMap<>();
      general.put("payload", parts[1]);
      general.put("signatures", List.of(Map.of("protected", parts[0], "signature", parts[2])));
      for (Map<String, Object> json : List.of(flattened, general)) {
        assertEquals(
            Reason.MALFORMED_CREDENTIALS,
            assertRefused(
                h,
                bearer(JSONObjectUtils.toJSONString(json)),
                AuthStatus.INVALID_TEXT,
                "JSON serialisation"));
      }
      // The same signature in compact form is accepted: the refusal is about the form.
      assertEquals("AnyUser", h.stub(bearer(compact)).anyUser(Req.getDefaultInstance()).getText());
    }
  }

  @Test
  void anyUser_validTokenUnderAnotherHeaderName_missingCredentialsHandlerNotRun() throws Exception {
    ECKey key = TestTokens.ecKey("k1");
    try (JwksServer jwks = JwksServer.start(new JWKSet(key));
        UserJwtAuthenticator auth =
            UserJwtAuthenticator.newBuilder()
                .addIssuer("https://idp.test", jwks.url(), List.of(AUD))
                .build();
        ProbeHarness h = start(auth)) {
      String token =
          TestTokens.sign(
              key,
              TestTokens.header("ES256", "k1"),
              TestTokens.claims("https://idp.test", "alice", AUD, Instant.now(), 300));
      for (String name : List.of("x-authorization", "proxy-authorization", "authorisation")) {
        assertEquals(
            Reason.MISSING_CREDENTIALS,
            assertRefused(
                h, ProbeHarness.headers(name, "Bearer " + token), AuthStatus.MISSING_TEXT, name));
      }
    }
  }
}
