package dev.gatehouse.testkit;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.Status;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * A token to mint from a {@link TestIdentityProvider}: set claims and header, then {@link #sign()}
 * as often as needed (each signature is stamped with the provider's clock at that moment, and a
 * service token gets a fresh {@code "jti"} each time). Not thread-safe while being configured.
 *
 * <pre>{@code
 * String jwt = idp.userToken("alice").roles("driver").scopes("trips:write").sign();
 * stub.withCallCredentials(idp.userToken("alice").callCredentials()).getTrip(request);
 * }</pre>
 */
public final class TestToken {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final TestIdentityProvider provider;
  private boolean withIssuer = true;
  private String subject;
  private final List<String> audiences = new ArrayList<>();
  private List<String> roles;
  private List<String> scopes;
  private final Map<String, Object> claims = new LinkedHashMap<>();
  private JWSAlgorithm algorithm = JWSAlgorithm.ES256;
  private String type = "JWT";
  private boolean freshJti;
  private Instant issuedAt;
  private Duration lifetime;
  private Instant expiresAt;
  private Instant notBefore;

  TestToken(TestIdentityProvider provider) {
    this.provider = provider;
  }

  TestIdentityProvider provider() {
    return provider;
  }

  TestToken withoutIssuer() {
    this.withIssuer = false;
    return this;
  }

  TestToken freshJti() {
    this.freshJti = true;
    return this;
  }

  /** The subject claim, {@code "sub"}. */
  public TestToken subject(String subject) {
    this.subject = requireNonNull(subject, "subject");
    return this;
  }

  /** Replaces the audiences ({@code "aud"}: a string when one, an array when several). */
  public TestToken audience(String... audiences) {
    this.audiences.clear();
    for (String a : audiences) {
      this.audiences.add(requireNonNull(a, "audience"));
    }
    return this;
  }

  /** The roles claim, {@code "roles"}: an array of strings. */
  public TestToken roles(String... roles) {
    this.roles = List.of(roles);
    return this;
  }

  /** The scope claim, {@code "scope"}: the scopes space-delimited. */
  public TestToken scopes(String... scopes) {
    this.scopes = List.of(scopes);
    return this;
  }

  /** Any other claim (strings, numbers, booleans, lists and maps of those). */
  public TestToken claim(String name, Object value) {
    requireNonNull(name, "name");
    claims.put(name, requireNonNull(value, "value"));
    return this;
  }

  /** Signs with the provider's RSA key (RS256) instead of its EC key (ES256). */
  public TestToken rsa() {
    this.algorithm = JWSAlgorithm.RS256;
    return this;
  }

  /** The {@code "typ"} header; null leaves it out. Default {@code JWT}. */
  public TestToken type(String type) {
    this.type = type;
    return this;
  }

  /** A fixed issue time, {@code "iat"} (default: the provider's clock at signing). */
  public TestToken issuedAt(Instant issuedAt) {
    this.issuedAt = requireNonNull(issuedAt, "issuedAt");
    return this;
  }

  /** The lifetime, {@code "exp"} minus {@code "iat"}; default the provider's token lifetime. */
  public TestToken lifetime(Duration lifetime) {
    this.lifetime = requireNonNull(lifetime, "lifetime");
    return this;
  }

  /** A fixed expiry, {@code "exp"}, overriding the lifetime (a past instant makes it expired). */
  public TestToken expiresAt(Instant expiresAt) {
    this.expiresAt = requireNonNull(expiresAt, "expiresAt");
    return this;
  }

  /** The not-before claim, {@code "nbf"}. */
  public TestToken notBefore(Instant notBefore) {
    this.notBefore = requireNonNull(notBefore, "notBefore");
    return this;
  }

  /** A copy to vary without changing this one. */
  public TestToken copy() {
    TestToken t = new TestToken(provider);
    t.withIssuer = withIssuer;
    t.subject = subject;
    t.audiences.addAll(audiences);
    t.roles = roles;
    t.scopes = scopes;
    t.claims.putAll(claims);
    t.algorithm = algorithm;
    t.type = type;
    t.freshJti = freshJti;
    t.issuedAt = issuedAt;
    t.lifetime = lifetime;
    t.expiresAt = expiresAt;
    t.notBefore = notBefore;
    return t;
  }

  /** The audiences set so far. */
  List<String> audiences() {
    return List.copyOf(audiences);
  }

  JWSAlgorithm algorithm() {
    return algorithm;
  }

  /** The claims as they would be signed now. */
  JWTClaimsSet claimsSet() {
    Instant iat =
        issuedAt != null ? issuedAt : provider.clock().instant().truncatedTo(ChronoUnit.SECONDS);
    Instant exp =
        expiresAt != null
            ? expiresAt
            : iat.plus(lifetime != null ? lifetime : provider.tokenLifetime());
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder();
    if (withIssuer) {
      b.issuer(provider.issuer());
    }
    if (subject != null) {
      b.subject(subject);
    }
    if (audiences.size() == 1) {
      b.audience(audiences.get(0));
    } else if (!audiences.isEmpty()) {
      b.audience(List.copyOf(audiences));
    }
    b.issueTime(Date.from(iat)).expirationTime(Date.from(exp));
    if (notBefore != null) {
      b.notBeforeTime(Date.from(notBefore));
    }
    if (freshJti) {
      byte[] id = new byte[16];
      RANDOM.nextBytes(id);
      b.jwtID(Base64.getUrlEncoder().withoutPadding().encodeToString(id));
    }
    if (roles != null) {
      b.claim("roles", roles);
    }
    if (scopes != null) {
      b.claim("scope", String.join(" ", scopes));
    }
    claims.forEach(b::claim);
    return b.build();
  }

  JWSHeader header(String kid) {
    JWSHeader.Builder h = new JWSHeader.Builder(algorithm).keyID(kid);
    if (type != null) {
      h.type(new JOSEObjectType(type));
    }
    return h.build();
  }

  /** The compact JWS, signed now with the provider's current key. */
  public String sign() {
    return signWith(provider.signingKey(algorithm), claimsSet());
  }

  /** Signs {@code claims} with {@code key}, this token's header naming the key's {@code "kid"}. */
  String signWith(JWK key, JWTClaimsSet claims) {
    try {
      JWSSigner signer =
          key instanceof ECKey ec ? new ECDSASigner(ec) : new RSASSASigner((RSAKey) key);
      SignedJWT jwt = new SignedJWT(header(key.getKeyID()), claims);
      jwt.sign(signer);
      return jwt.serialize();
    } catch (JOSEException e) {
      throw new IllegalStateException("signing failed", e);
    }
  }

  /** {@code Bearer <jwt>}, freshly signed. */
  public String bearer() {
    return "Bearer " + sign();
  }

  /**
   * Call credentials that send {@code authorization: Bearer <jwt>}, signed afresh on every call.
   */
  public CallCredentials callCredentials() {
    TestToken frozen = copy();
    return new CallCredentials() {
      @Override
      public void applyRequestMetadata(
          RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
        try {
          Metadata headers = new Metadata();
          headers.put(
              Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), frozen.bearer());
          applier.apply(headers);
        } catch (RuntimeException e) {
          applier.fail(Status.INTERNAL.withDescription("test token signing failed"));
        }
      }
    };
  }

  /** Names the issuer, subject and audiences; never a signature. */
  @Override
  public String toString() {
    return "TestToken{iss="
        + (withIssuer ? provider.issuer() : "-")
        + ", sub="
        + subject
        + ", aud="
        + audiences
        + ", alg="
        + algorithm
        + "}";
  }
}
