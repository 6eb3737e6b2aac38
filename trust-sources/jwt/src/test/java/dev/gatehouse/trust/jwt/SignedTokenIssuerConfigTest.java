package dev.gatehouse.trust.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigSections;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code internal.signed_token} issuer keys {@code subjects} and {@code
 * require_certificate_binding}: parsed, ambiguous entries refused naming the field, and the source
 * built from the file enforcing both.
 */
class SignedTokenIssuerConfigTest {
  private static final ECKey WORKER_KEY = TestTokens.ecKey("w1");
  private static final ECKey BILLING_KEY = TestTokens.ecKey("b1");
  private static final ConfigSections SECTIONS = ConfigSections.of(SignedTokenSection.provider());

  @TempDir Path dir;

  private GatehouseConfig parse(String issuers) throws Exception {
    Files.writeString(
        dir.resolve("worker.jwks.json"), new JWKSet(WORKER_KEY.toPublicJWK()).toString());
    Files.writeString(
        dir.resolve("billing.jwks.json"), new JWKSet(BILLING_KEY.toPublicJWK()).toString());
    String yaml =
        "service_name: trips\ninternal:\n  signed_token:\n    issuers:\n"
            + issuers.indent(6).stripTrailing()
            + "\n";
    return GatehouseConfig.parse(yaml, dir, SECTIONS);
  }

  private SignedTokenSection section(String issuers) throws Exception {
    return parse(issuers).section(SignedTokenSection.provider()).orElseThrow();
  }

  private ConfigException refused(String issuers) {
    return assertThrows(ConfigException.class, () -> parse(issuers));
  }

  @Test
  void parse_subjectsAndBinding_read() throws Exception {
    SignedTokenSection s =
        section(
            """
            - issuer: central
              jwks_file: worker.jwks.json
              scopes: [trips:read]
              require_certificate_binding: true
              subjects:
                - { subject: worker, roles: [trip-finisher], cluster_ids: [cluster-a] }
                - { subject: reporter }
            """);
    SignedTokenSection.Issuer i = s.issuers().get(0);
    assertEquals(
        List.of(
            new SignedTokenSection.Subject(
                "worker", List.of("trip-finisher"), List.of(), List.of("cluster-a")),
            new SignedTokenSection.Subject("reporter", List.of(), List.of(), List.of())),
        i.subjects());
    assertEquals(Optional.of(true), i.requireCertificateBinding());
  }

  @Test
  void parse_fieldOnIssuerAndSubject_refusedNamingTheSubjectField() {
    ConfigException e =
        refused(
            """
            - issuer: central
              jwks_file: worker.jwks.json
              cluster_ids: [cluster-a]
              subjects:
                - { subject: worker }
                - { subject: reporter, cluster_ids: [cluster-b] }
            """);
    assertEquals("internal.signed_token.issuers[0].subjects[1].cluster_ids", e.field());
    ConfigException roles =
        refused(
            """
            - issuer: central
              jwks_file: worker.jwks.json
              roles: [a]
              subjects: [ { subject: worker, roles: [b] } ]
            """);
    assertEquals("internal.signed_token.issuers[0].subjects[0].roles", roles.field());
  }

  @Test
  void parse_subjectTwiceOrUnknownField_refused() {
    assertEquals(
        "internal.signed_token.issuers[0].subjects[1].subject",
        refused(
                """
                - issuer: central
                  jwks_file: worker.jwks.json
                  subjects: [ { subject: worker }, { subject: worker } ]
                """)
            .field());
    assertEquals(
        "internal.signed_token.issuers[0].subjects[0].cluster",
        refused(
                """
                - issuer: central
                  jwks_file: worker.jwks.json
                  subjects: [ { subject: worker, cluster: a } ]
                """)
            .field());
    assertEquals(
        "internal.signed_token.issuers[0].require_certificate_binding",
        refused(
                """
                - issuer: central
                  jwks_file: worker.jwks.json
                  require_certificate_binding: "yes please"
                """)
            .field());
  }

  // ---- certificate binding from the file ----

  private static final X509Certificate BOUND_PEER = PeerCertificates.selfSigned("CN=worker");
  private static final X509Certificate OTHER_PEER = PeerCertificates.selfSigned("CN=thief");

  private SignedTokenTrustSource bindingSource() throws Exception {
    SignedTokenSection s =
        section(
            """
            - { issuer: worker, jwks_file: worker.jwks.json, require_certificate_binding: true }
            - { issuer: billing, jwks_file: billing.jwks.json }
            """);
    return (SignedTokenTrustSource)
        SignedTokenSection.provider()
            .create(s, parse("- { issuer: x, jwks_file: worker.jwks.json }"), Optional.empty());
  }

  private static String token(ECKey key, String iss, Consumer<Map<String, Object>> edit) {
    Map<String, Object> c = TestTokens.claims(iss, iss, "trips", Instant.now(), 300);
    edit.accept(c);
    return TestTokens.sign(key, TestTokens.header("ES256", key.getKeyID()), c);
  }

  private static AuthResult call(SignedTokenTrustSource s, String token, X509Certificate peer) {
    Metadata md = new Metadata();
    md.put(IncomingCall.key("authorization"), "Bearer " + token);
    return s.authenticate(
        IncomingCall.of(
            "gatehouse.test.v1.Probe/Worker", md, null, PeerCertificates.session(peer)));
  }

  @Test
  void requiredBinding_boundTokenFromItsPeer_accepted() throws Exception {
    try (SignedTokenTrustSource s = bindingSource()) {
      String bound =
          token(
              WORKER_KEY,
              "worker",
              c -> c.put("cnf", Map.of("x5t#S256", CertificateThumbprint.x5tS256(BOUND_PEER))));
      AuthResult r = call(s, bound, BOUND_PEER);
      assertEquals(AuthResult.Outcome.AUTHENTICATED, r.outcome(), r.toString());
    }
  }

  @Test
  void requiredBinding_boundTokenFromAnotherPeer_refused() throws Exception {
    try (SignedTokenTrustSource s = bindingSource()) {
      String bound =
          token(
              WORKER_KEY,
              "worker",
              c -> c.put("cnf", Map.of("x5t#S256", CertificateThumbprint.x5tS256(BOUND_PEER))));
      AuthResult r = call(s, bound, OTHER_PEER);
      assertEquals(AuthResult.Outcome.REJECTED, r.outcome());
      assertEquals(Reason.BINDING_MISMATCH, r.reason());
      AuthResult noTls = call(s, bound, null);
      assertEquals(Reason.BINDING_MISMATCH, noTls.reason());
    }
  }

  @Test
  void requiredBinding_tokenWithoutCnf_refused_otherIssuerUnaffected() throws Exception {
    try (SignedTokenTrustSource s = bindingSource()) {
      AuthResult r = call(s, token(WORKER_KEY, "worker", c -> {}), BOUND_PEER);
      assertEquals(AuthResult.Outcome.REJECTED, r.outcome());
      assertEquals(Reason.BINDING_MISMATCH, r.reason());
      AuthResult billing = call(s, token(BILLING_KEY, "billing", c -> {}), OTHER_PEER);
      assertEquals(AuthResult.Outcome.AUTHENTICATED, billing.outcome(), billing.toString());
    }
  }

  @Test
  void bindingOff_perIssuerFalseOverridesSourceWideRequirement() {
    try (SignedTokenTrustSource s =
        SignedTokenTrustSource.newBuilder()
            .serviceName("trips")
            .requireCertificateBinding(true)
            .addIssuer(
                ServiceTokenIssuer.newBuilder("billing")
                    .keys(JwksSource.of(new JWKSet(BILLING_KEY.toPublicJWK())))
                    .requireCertificateBinding(false)
                    .build())
            .addIssuer(
                ServiceTokenIssuer.newBuilder("worker")
                    .keys(JwksSource.of(new JWKSet(WORKER_KEY.toPublicJWK())))
                    .build())
            .build()) {
      assertEquals(
          AuthResult.Outcome.AUTHENTICATED,
          call(s, token(BILLING_KEY, "billing", c -> {}), null).outcome());
      assertEquals(
          Reason.BINDING_MISMATCH, call(s, token(WORKER_KEY, "worker", c -> {}), null).reason());
    }
  }
}
