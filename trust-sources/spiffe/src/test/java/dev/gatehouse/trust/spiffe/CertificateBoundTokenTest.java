package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.CertificateThumbprint;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.ServiceTokenIssuer;
import dev.gatehouse.trust.jwt.SignedTokenTrustSource;
import io.grpc.Metadata;
import java.time.Instant;
import java.util.Map;
import java.util.function.Consumer;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** RFC 8705: a service token bound to a client certificate works only from that certificate. */
class CertificateBoundTokenTest {
  private static final TestPki.Issued CA = TestPki.rootCa("cluster.local");
  private static final TestPki.Issued WORKER =
      TestPki.leaf(CA, TestPki.Spec.svid("spiffe://cluster.local/ns/trips/sa/worker"));
  private static final TestPki.Issued OTHER =
      TestPki.leaf(CA, TestPki.Spec.svid("spiffe://cluster.local/ns/trips/sa/other"));

  private ECKey key;
  private SignedTokenTrustSource source;

  @BeforeEach
  void setUp() throws Exception {
    key = TestTokens.ecKey("w1");
    source = build(false);
  }

  @AfterEach
  void tearDown() {
    source.close();
  }

  private SignedTokenTrustSource build(boolean requireBinding) {
    return SignedTokenTrustSource.newBuilder()
        .serviceName("trips")
        .requireCertificateBinding(requireBinding)
        .addIssuer(
            ServiceTokenIssuer.newBuilder("worker")
                .keys(JwksSource.of(new JWKSet(key.toPublicJWK())))
                .build())
        .build();
  }

  private String token(Consumer<Map<String, Object>> edit) {
    Map<String, Object> claims = TestTokens.claims("worker", "worker", "trips", Instant.now(), 300);
    edit.accept(claims);
    return TestTokens.sign(key, TestTokens.header("ES256", "w1"), claims);
  }

  private static AuthResult call(SignedTokenTrustSource s, String token, SSLSession session) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
    return s.authenticate(IncomingCall.of("svc.S/M", md, null, session));
  }

  private static String thumbprint(TestPki.Issued leaf) {
    return CertificateThumbprint.x5tS256(leaf.cert());
  }

  @Test
  void boundToken_fromItsCertificate_accepted() {
    String t = token(c -> c.put("cnf", Map.of("x5t#S256", thumbprint(WORKER))));
    AuthResult r = call(source, t, TestPki.session(WORKER.presented()));
    assertEquals(AuthResult.Outcome.AUTHENTICATED, r.outcome(), r.toString());
  }

  @Test
  void boundToken_fromAnotherCertificate_refusedBindingMismatch() {
    String t = token(c -> c.put("cnf", Map.of("x5t#S256", thumbprint(WORKER))));
    assertEquals(
        Reason.BINDING_MISMATCH, call(source, t, TestPki.session(OTHER.presented())).reason());
  }

  @Test
  void boundToken_withoutTls_refusedBindingMismatch() {
    String t = token(c -> c.put("cnf", Map.of("x5t#S256", thumbprint(WORKER))));
    assertEquals(Reason.BINDING_MISMATCH, call(source, t, null).reason());
    assertEquals(Reason.BINDING_MISMATCH, call(source, t, TestPki.session()).reason());
  }

  @Test
  void cnfOfAnotherForm_refusedInvalidClaims() {
    assertEquals(
        Reason.INVALID_CLAIMS,
        call(source, token(c -> c.put("cnf", Map.of("jkt", "abc"))), null).reason());
    assertEquals(
        Reason.INVALID_CLAIMS,
        call(
                source,
                token(c -> c.put("cnf", Map.of("x5t#S256", thumbprint(WORKER), "jkt", "abc"))),
                TestPki.session(WORKER.presented()))
            .reason());
    assertEquals(Reason.INVALID_CLAIMS, call(source, token(c -> c.put("cnf", "x")), null).reason());
  }

  @Test
  void unboundToken_acceptedUnlessBindingRequired() {
    String t = token(c -> {});
    assertEquals(AuthResult.Outcome.AUTHENTICATED, call(source, t, null).outcome());
    try (SignedTokenTrustSource strict = build(true)) {
      assertEquals(Reason.BINDING_MISMATCH, call(strict, t, null).reason());
      String bound = token(c -> c.put("cnf", Map.of("x5t#S256", thumbprint(WORKER))));
      assertEquals(
          AuthResult.Outcome.AUTHENTICATED,
          call(strict, bound, TestPki.session(WORKER.presented())).outcome());
    }
  }
}
