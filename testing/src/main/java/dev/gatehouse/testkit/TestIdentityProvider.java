package dev.gatehouse.testkit;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.ServiceTokenIssuer;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An identity provider that lives in the test: an EC P-256 and an RSA-2048 signing key generated at
 * creation (nothing on disk), their JWKS served on {@code http://127.0.0.1:PORT/jwks.json}, tokens
 * minted on demand, and key rotation, outages and slow answers when the test asks for them.
 *
 * <pre>{@code
 * // a field of the test class, annotated @RegisterExtension
 * static final TestIdentityProvider idp =
 *     TestIdentityProvider.newBuilder("https://idp.test").audience("trips-api").build();
 *
 * String jwt = idp.userToken("alice").roles("driver").sign();
 * }</pre>
 *
 * <p>As a JUnit 5 extension ({@code @RegisterExtension}) it starts its server before the tests,
 * clears any outage or slowness after each test and stops after the last one (a {@code static}
 * field) or after the test (an instance field). Without JUnit, {@link #jwksUri()} starts the server
 * and {@link #close()} stops it. The same provider serves as a user IdP ({@link #userToken}), as a
 * calling service that signs its own tokens ({@link #serviceToken}) or as the JWT bundle of a
 * SPIFFE trust domain ({@link #jwtSvid}). For tests only: the private keys are held in memory for
 * minting.
 */
public final class TestIdentityProvider
    implements BeforeAllCallback,
        AfterAllCallback,
        BeforeEachCallback,
        AfterEachCallback,
        AutoCloseable {

  /** How the JWKS endpoint fails while an outage is on. */
  public enum Outage {
    /** Every request is answered {@code 500 Internal Server Error}. */
    HTTP_500,
    /** The server stops listening: connections are refused. */
    CONNECTION_REFUSED
  }

  private static final AtomicInteger INSTANCES = new AtomicInteger();

  private final String issuer;
  private final String audience;
  private final Clock clock;
  private final Duration tokenLifetime;
  private final String kidPrefix;
  private final JwksEndpoint endpoint;
  private final Object keysLock = new Object();
  private final AtomicInteger generation = new AtomicInteger();
  private ECKey ecKey;
  private RSAKey rsaKey;
  private final List<JWK> previous = new ArrayList<>();
  private boolean perTest;

  private TestIdentityProvider(Builder b) {
    this.issuer = b.issuer;
    this.audience = b.audience;
    this.clock = b.clock;
    this.tokenLifetime = b.tokenLifetime;
    this.kidPrefix = "testkit-" + INSTANCES.incrementAndGet();
    generateKeys();
    this.endpoint = new JwksEndpoint(() -> publicKeys().toString());
  }

  /** A builder for a provider whose tokens carry {@code iss = issuer}. */
  public static Builder newBuilder(String issuer) {
    return new Builder(issuer);
  }

  private void generateKeys() {
    int gen = generation.incrementAndGet();
    try {
      ECKey ec =
          new ECKeyGenerator(Curve.P_256)
              .keyID(kidPrefix + "-ec-" + gen)
              .algorithm(JWSAlgorithm.ES256)
              .keyUse(KeyUse.SIGNATURE)
              .generate();
      RSAKey rsa =
          new RSAKeyGenerator(2048)
              .keyID(kidPrefix + "-rsa-" + gen)
              .algorithm(JWSAlgorithm.RS256)
              .keyUse(KeyUse.SIGNATURE)
              .generate();
      synchronized (keysLock) {
        if (ecKey != null) {
          previous.add(ecKey);
          previous.add(rsaKey);
        }
        ecKey = ec;
        rsaKey = rsa;
      }
    } catch (JOSEException e) {
      throw new IllegalStateException("key generation failed", e);
    }
  }

  /** The {@code "iss"} of the tokens this provider mints. */
  public String issuer() {
    return issuer;
  }

  /** The default audience of user tokens. */
  public String audience() {
    return audience;
  }

  /** The clock tokens are stamped with. */
  public Clock clock() {
    return clock;
  }

  Duration tokenLifetime() {
    return tokenLifetime;
  }

  /** The JWKS URL, {@code http://127.0.0.1:PORT/jwks.json}; starts the server on first use. */
  public String jwksUri() {
    return endpoint.url();
  }

  /** {@link JwksSource#uri} of {@link #jwksUri()}, for trust-source builders. */
  public JwksSource jwksSource() {
    return JwksSource.uri(jwksUri());
  }

  /** This provider as a trusted user-JWT issuer with its default audience. */
  public TrustedIssuer trustedIssuer() {
    return TrustedIssuer.newBuilder(issuer).keys(jwksSource()).audience(audience).build();
  }

  /**
   * This provider as a calling service for {@code SignedTokenTrustSource}: its issuer name and
   * JWKS; add the grant ({@code roles}, {@code scopes}) and build.
   */
  public ServiceTokenIssuer.Builder serviceTokenIssuer() {
    return ServiceTokenIssuer.newBuilder(issuer).jwksUri(jwksUri());
  }

  /** The public keys being served (current ones first, then not yet retired previous ones). */
  public JWKSet publicKeys() {
    synchronized (keysLock) {
      List<JWK> keys = new ArrayList<>();
      keys.add(ecKey.toPublicJWK());
      keys.add(rsaKey.toPublicJWK());
      previous.forEach(k -> keys.add(k.toPublicJWK()));
      return new JWKSet(keys);
    }
  }

  /** The current signing key for {@code alg} (ES256 or RS256). */
  JWK signingKey(JWSAlgorithm alg) {
    synchronized (keysLock) {
      if (JWSAlgorithm.ES256.equals(alg)) {
        return ecKey;
      }
      if (JWSAlgorithm.RS256.equals(alg)) {
        return rsaKey;
      }
    }
    throw new IllegalArgumentException("algorithm must be ES256 or RS256, not " + alg);
  }

  /**
   * An end-user token: {@code "iss"} this provider, {@code "sub"}, {@code "aud"} the default
   * audience, {@code "iat"} now, {@code "exp"} after the token lifetime, signed ES256.
   */
  public TestToken userToken(String subject) {
    return token().subject(subject).audience(audience);
  }

  /**
   * A signed service token in the format of gatehouse-client's minter: {@code iss = sub =} this
   * provider's issuer (the calling service's name), {@code "aud"}, {@code "iat"}, {@code "exp"}, a
   * fresh random {@code "jti"} on every {@link TestToken#sign()}, {@code typ JWT}, signed ES256.
   */
  public TestToken serviceToken(String audience) {
    return token().subject(issuer).audience(audience).freshJti();
  }

  /**
   * A JWT-SVID of a trust domain whose JWT bundle is this provider's JWKS: {@code "sub"} the SPIFFE
   * ID, {@code "aud"}, {@code "iat"}, {@code "exp"}, no {@code "iss"}.
   */
  public TestToken jwtSvid(String spiffeId, String audience) {
    return new TestToken(this).withoutIssuer().subject(spiffeId).audience(audience);
  }

  /** A token with only {@code "iss"}, {@code "iat"} and {@code "exp"} set, to fill in. */
  public TestToken token() {
    return new TestToken(this);
  }

  /**
   * Generates new signing keys: tokens are signed with them from now on, and the JWKS serves them
   * next to the previous keys until {@link #retirePreviousKeys()}.
   */
  public void rotate() {
    generateKeys();
  }

  /** Removes every key but the current ones from the JWKS. */
  public void retirePreviousKeys() {
    synchronized (keysLock) {
      previous.clear();
    }
  }

  /** Starts an outage of the JWKS endpoint, until {@link #recover()}. */
  public void outage(Outage outage) {
    requireNonNull(outage, "outage");
    endpoint.url();
    if (outage == Outage.HTTP_500) {
      endpoint.failing(true);
    } else {
      endpoint.stopListening();
    }
  }

  /** Every JWKS answer is delayed by {@code delay} until {@link #recover()}. */
  public void slowAnswers(Duration delay) {
    requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative");
    }
    endpoint.delay(delay);
  }

  /** Ends any outage and slowness: the JWKS is served again, promptly, on the same URL. */
  public void recover() {
    endpoint.failing(false);
    endpoint.delay(Duration.ZERO);
    endpoint.start();
  }

  /** How many requests reached the JWKS endpoint. */
  public int jwksRequests() {
    return endpoint.requests();
  }

  /** Stops the JWKS server. */
  @Override
  public void close() {
    endpoint.close();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    endpoint.start();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (!endpoint.listening()) {
      perTest = true;
    }
    endpoint.start();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    recover();
    if (perTest) {
      close();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  @Override
  public String toString() {
    return "TestIdentityProvider{issuer=" + issuer + "}";
  }

  /** Builds a {@link TestIdentityProvider}. */
  public static final class Builder {
    private final String issuer;
    private String audience = "test-audience";
    private Clock clock = Clock.systemUTC();
    private Duration tokenLifetime = Duration.ofMinutes(5);

    private Builder(String issuer) {
      requireNonNull(issuer, "issuer");
      if (issuer.isBlank()) {
        throw new IllegalArgumentException("issuer must not be blank");
      }
      this.issuer = issuer;
    }

    /** The audience of user tokens unless a token sets its own; default {@code test-audience}. */
    public Builder audience(String audience) {
      requireNonNull(audience, "audience");
      if (audience.isBlank()) {
        throw new IllegalArgumentException("audience must not be blank");
      }
      this.audience = audience;
      return this;
    }

    /** The clock tokens are stamped with; default the system clock. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /** The lifetime of minted tokens; default 5 minutes (within the service-token max TTL). */
    public Builder tokenLifetime(Duration lifetime) {
      requireNonNull(lifetime, "lifetime");
      if (lifetime.isNegative() || lifetime.isZero()) {
        throw new IllegalArgumentException("tokenLifetime must be positive");
      }
      this.tokenLifetime = lifetime;
      return this;
    }

    /** Generates the keys; the JWKS server starts on first use or as an extension. */
    public TestIdentityProvider build() {
      return new TestIdentityProvider(this);
    }
  }
}
