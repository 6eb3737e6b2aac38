package dev.gatehouse.benchmarks;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.internal.ClaimsPolicy;
import dev.gatehouse.trust.jwt.internal.HeaderPolicy;
import dev.gatehouse.trust.jwt.internal.IssuerKeySelector;
import dev.gatehouse.trust.jwt.internal.JwtSettings;
import dev.gatehouse.trust.jwt.internal.JwtVerification;
import dev.gatehouse.trust.jwt.internal.JwtVerifier;
import dev.gatehouse.trust.jwt.internal.TrustAnchor;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The cold path: a token seen for the first time (keys cached), Gatehouse's {@link JwtVerifier}
 * (framing, header and claims policies, key by {@code kid}, signature, and the insert into its
 * verified-token cache, sized 1 so that every one of the cycled tokens misses) against Nimbus
 * {@code DefaultJWTProcessor.process} with the same key and the same claim checks ({@code iss},
 * {@code aud}, {@code sub}, {@code exp}), on the same tokens, ES256 and RS256 (2048-bit).
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
public class ColdPathBenchmark {
  private static final String ISSUER = "https://idp.bench";
  private static final int TOKENS = 64;

  @Param({"ES256", "RS256"})
  public String alg;

  private String[] tokens;
  private int next;
  private JwtVerifier gatehouse;
  private DefaultJWTProcessor<SecurityContext> nimbus;

  /** Mints the tokens and builds both verifiers. */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    JWK key;
    JWSSigner signer;
    if ("ES256".equals(alg)) {
      var ec = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
      key = ec;
      signer = new ECDSASigner(ec);
    } else {
      var rsa = new RSAKeyGenerator(2048).keyID("k1").generate();
      key = rsa;
      signer = new RSASSASigner(rsa);
    }
    JWKSet publicSet = new JWKSet(key.toPublicJWK());
    Instant now = Instant.now();
    tokens = new String[TOKENS];
    for (int i = 0; i < TOKENS; i++) {
      SignedJWT jwt =
          new SignedJWT(
              new JWSHeader.Builder(JWSAlgorithm.parse(alg))
                  .keyID("k1")
                  .type(JOSEObjectType.JWT)
                  .build(),
              new JWTClaimsSet.Builder()
                  .issuer(ISSUER)
                  .subject("alice")
                  .audience("trips-api")
                  .issueTime(Date.from(now))
                  .expirationTime(Date.from(now.plusSeconds(7200)))
                  .jwtID(UUID.randomUUID().toString())
                  .claim("roles", List.of("driver"))
                  .build());
      jwt.sign(signer);
      tokens[i] = jwt.serialize();
    }
    JwtSettings settings = JwtSettings.newBuilder().signatureCacheSize(1).build();
    gatehouse =
        JwtVerifier.newBuilder(settings)
            .headerPolicy(
                HeaderPolicy.newBuilder()
                    .allowHeaders(List.of("x5t"))
                    .allowedTypes(List.of("JWT", "at+jwt"))
                    .build())
            .keySelector(
                IssuerKeySelector.of(
                    settings,
                    List.of(
                        TrustAnchor.of(
                            ISSUER, JwksSource.of(publicSet), List.of(alg), List.of("trips-api")))))
            .claimsPolicy(ClaimsPolicy.newBuilder().build())
            .build();
    nimbus = new DefaultJWTProcessor<>();
    nimbus.setJWSKeySelector(
        new JWSVerificationKeySelector<>(
            JWSAlgorithm.parse(alg), new ImmutableJWKSet<>(publicSet)));
    nimbus.setJWTClaimsSetVerifier(
        new DefaultJWTClaimsVerifier<>(
            "trips-api", new JWTClaimsSet.Builder().issuer(ISSUER).build(), Set.of("sub", "exp")));
    for (String t : tokens) {
      JwtVerification v = gatehouse.verify(t);
      if (!v.isVerified()) {
        throw new IllegalStateException(v.toString());
      }
      nimbus.process(t, null);
    }
  }

  /** Closes the verifier. */
  @TearDown(Level.Trial)
  public void tearDown() {
    gatehouse.close();
  }

  private String nextToken() {
    String t = tokens[next];
    next = (next + 1) % TOKENS;
    return t;
  }

  /** Gatehouse, a token it has not cached. */
  @Benchmark
  public JwtVerification gatehouseVerify() {
    return gatehouse.verify(nextToken());
  }

  /** Nimbus {@code process}. */
  @Benchmark
  public JWTClaimsSet nimbusProcess() throws Exception {
    return nimbus.process(nextToken(), null);
  }
}
