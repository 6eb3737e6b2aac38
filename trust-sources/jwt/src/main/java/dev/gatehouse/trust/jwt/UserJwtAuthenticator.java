package dev.gatehouse.trust.jwt;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.IssuerBound;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.trust.jwt.internal.ClaimsPolicy;
import dev.gatehouse.trust.jwt.internal.HeaderPolicy;
import dev.gatehouse.trust.jwt.internal.IssuerKeySelector;
import dev.gatehouse.trust.jwt.internal.JwtSettings;
import dev.gatehouse.trust.jwt.internal.JwtVerification;
import dev.gatehouse.trust.jwt.internal.JwtVerifier;
import dev.gatehouse.trust.jwt.internal.TrustAnchor;
import dev.gatehouse.trust.jwt.internal.VerifiedJwt;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Authenticates end users (gated methods) by a JWT in {@code authorization: Bearer <token>}.
 *
 * <pre>{@code
 * UserJwtAuthenticator users = UserJwtAuthenticator.newBuilder()
 *     .addIssuer("https://idp.example", "https://idp.example/jwks.json", List.of("trips-api"))
 *     .rolesClaim("realm_access.roles")
 *     .build();
 * }</pre>
 *
 * <p>Verification is the shared JWT core: keys only from the JWKS of the issuer the token claims,
 * asymmetric algorithms pinned to each key (default allow-list ES256, RS256, PS256), headers {@code
 * alg}, {@code kid}, {@code typ} (absent, {@code JWT} or {@code at+jwt}) and {@code x5t} (never
 * used to pick a key), required {@code exp}, {@code aud} and {@code sub}, clock skew 30 s by
 * default (at most 120 s), tokens up to 8 KiB.
 *
 * <p>The principal is a USER with subject {@code sub}, the issuer, roles from {@link
 * Builder#rolesClaim} (default {@code roles}; an array of strings, or a space-delimited string),
 * scopes from {@link Builder#scopesClaim} (default {@code scope}; a space-delimited string, or an
 * array such as {@code scp}), the expiry, and the claims {@code iss}, {@code sub} and {@code aud}.
 * The token itself is never kept.
 */
public final class UserJwtAuthenticator
    implements Authenticator, IssuerBound, dev.gatehouse.spi.KeySetReachability {
  /** The name in logs and {@code AuthContext.trustSource()}. */
  public static final String NAME = "user_jwt";

  private final JwtVerifier verifier;
  private final String header;
  private final String rolesClaim;
  private final String scopesClaim;

  private UserJwtAuthenticator(JwtVerifier verifier, Builder b) {
    this.verifier = verifier;
    this.header = b.header;
    this.rolesClaim = b.rolesClaim;
    this.scopesClaim = b.scopesClaim;
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<String> credentialHeaders() {
    return Set.of(header);
  }

  /** Where each issuer's fetched key set stands, for health checks; never fetches. */
  @Override
  public java.util.List<KeySetState> keySets() {
    return verifier.keySetStates();
  }

  @Override
  public Set<String> issuers() {
    return verifier.issuers();
  }

  @Override
  public boolean recognizes(IncomingCall request) {
    return verifier.namesOwnIssuer(request, header);
  }

  /** True when the token's key set has no usable cached keys or lacks its {@code kid}. */
  @Override
  public boolean mayWaitForKeys(IncomingCall request) {
    return verifier.mayWaitForKeys(request, header);
  }

  @Override
  public AuthResult authenticate(IncomingCall request) {
    JwtVerification v = verifier.verifyBearer(request, header);
    if (!v.isVerified()) {
      return v.toFailure();
    }
    // The result depends only on the verified token and this authenticator's fixed settings, so
    // it is built once per token and served with the token from the verifier's cache.
    return v.token().derive(this, AuthResult.class, this::result);
  }

  private AuthResult result(VerifiedJwt jwt) {
    Optional<String> sub = jwt.subject().filter(s -> !s.isEmpty());
    if (sub.isEmpty()) {
      return AuthResult.rejected(
          Reason.INVALID_CLAIMS, "issuer " + jwt.issuer() + ": sub missing or not a string");
    }
    Principal context =
        Principal.newBuilder()
            .subject(sub.get())
            .issuer(jwt.issuer())
            .roles(strings(jwt.claimAtPath(rolesClaim)))
            .scopes(strings(jwt.claimAtPath(scopesClaim)))
            .expiry(jwt.expiry())
            .claim("iss", jwt.issuer())
            .claim("sub", sub.get())
            .claim("aud", jwt.audiences())
            .build();
    return AuthResult.authenticated(context);
  }

  /** A space-delimited string or an array of strings; anything else grants nothing. */
  static Set<String> strings(Optional<Object> value) {
    Set<String> out = new LinkedHashSet<>();
    if (value.isEmpty()) {
      return out;
    }
    Object v = value.get();
    if (v instanceof String string) {
      for (String s : string.split(" ", -1)) {
        if (!s.isEmpty()) {
          out.add(s);
        }
      }
    } else if (v instanceof List) {
      for (Object o : (List<?>) v) {
        if (o instanceof String string && !string.isEmpty()) {
          out.add(string);
        }
      }
    }
    return out;
  }

  /** Stops the key refresh threads. */
  @Override
  public void close() {
    verifier.close();
  }

  @Override
  public String toString() {
    return "UserJwtAuthenticator{issuers=" + verifier.issuers() + ", header=" + header + "}";
  }

  /** Builds a {@link UserJwtAuthenticator}; {@link #build()} validates everything. */
  public static final class Builder {
    private final List<Supplier<TrustedIssuer>> issuers = new ArrayList<>();
    private String header = "authorization";
    private String rolesClaim = "roles";
    private String scopesClaim = "scope";
    private final JwtSettings.Builder settings = JwtSettings.newBuilder();
    private List<String> allowedTypes = List.of("JWT", "at+jwt");
    private UserJwtAuthenticator keysOf;

    private Builder() {}

    /**
     * Keeps the cached keys of the authenticator this one replaces (a configuration reload): every
     * issuer whose key location (JWKS URL or file) and algorithms are unchanged shares its keys and
     * their cache (which may be riding out an outage) instead of fetching them again; audiences,
     * claims paths and the other settings are this builder's. Closing {@code previous} afterwards
     * leaves the shared keys running until this authenticator is closed too.
     */
    public Builder reuseKeysOf(UserJwtAuthenticator previous) {
      this.keysOf = requireNonNull(previous, "previous");
      return this;
    }

    /** Trusts an issuer whose keys are at {@code jwksUri}, with the default algorithms. */
    public Builder addIssuer(String issuer, String jwksUri, Collection<String> audiences) {
      return addIssuer(issuer, jwksUri, audiences, null);
    }

    /** Trusts an issuer whose keys are at {@code jwksUri} with an algorithm allow-list. */
    public Builder addIssuer(
        String issuer, String jwksUri, Collection<String> audiences, List<String> algorithms) {
      requireNonNull(jwksUri, "jwksUri");
      return add(issuer, () -> JwksSource.uri(jwksUri), audiences, algorithms);
    }

    /** Trusts an issuer with keys from {@code keys} (URL, file or in-memory set). */
    public Builder addIssuer(String issuer, JwksSource keys, Collection<String> audiences) {
      return addIssuer(issuer, keys, audiences, null);
    }

    /** Trusts an issuer with keys from {@code keys} and an algorithm allow-list. */
    public Builder addIssuer(
        String issuer, JwksSource keys, Collection<String> audiences, List<String> algorithms) {
      requireNonNull(keys, "keys");
      return add(issuer, () -> keys, audiences, algorithms);
    }

    /** Trusts a fully configured issuer. */
    public Builder addIssuer(TrustedIssuer issuer) {
      requireNonNull(issuer, "issuer");
      issuers.add(() -> issuer);
      return this;
    }

    private Builder add(
        String issuer,
        Supplier<JwksSource> keys,
        Collection<String> audiences,
        List<String> algorithms) {
      requireNonNull(issuer, "issuer");
      List<String> auds = List.copyOf(requireNonNull(audiences, "audiences"));
      List<String> algs = algorithms == null ? null : List.copyOf(algorithms);
      issuers.add(
          () -> {
            TrustedIssuer.Builder b =
                TrustedIssuer.newBuilder(issuer).keys(keys.get()).audiences(auds);
            if (algs != null) {
              b.algorithms(algs);
            }
            return b.build();
          });
      return this;
    }

    /** The header carrying {@code Bearer <token>}, default {@code authorization}. */
    public Builder header(String header) {
      this.header = requireNonNull(header, "header").toLowerCase(Locale.ROOT);
      return this;
    }

    /** Dot path of the roles claim, default {@code roles}, e.g. {@code realm_access.roles}. */
    public Builder rolesClaim(String dotPath) {
      this.rolesClaim = requireNonNull(dotPath, "dotPath");
      return this;
    }

    /** Dot path of the scopes claim, default {@code scope}; e.g. {@code scp}. */
    public Builder scopesClaim(String dotPath) {
      this.scopesClaim = requireNonNull(dotPath, "dotPath");
      return this;
    }

    /** Tolerated clock difference, default 30 s, at most 120 s. */
    public Builder clockSkew(Duration skew) {
      settings.clockSkew(skew);
      return this;
    }

    /** The clock (tests). */
    public Builder clock(Clock clock) {
      settings.clock(clock);
      return this;
    }

    /** Largest accepted token, default 8 KiB. */
    public Builder maxTokenBytes(int maxTokenBytes) {
      settings.maxTokenBytes(maxTokenBytes);
      return this;
    }

    /** Bound on one JWKS fetch, default 2 s. */
    public Builder fetchTimeout(Duration timeout) {
      settings.fetchTimeout(timeout);
      return this;
    }

    /** How long cached keys serve through a JWKS outage, default 1 h. */
    public Builder outageTolerance(Duration tolerance) {
      settings.outageTolerance(tolerance);
      return this;
    }

    /**
     * Replaces the accepted {@code typ} header values (default {@code JWT} and {@code at+jwt};
     * compared case-insensitively, an {@code application/} prefix ignored). A token without {@code
     * typ} is always accepted.
     */
    public Builder allowedTypes(Collection<String> types) {
      this.allowedTypes = List.copyOf(requireNonNull(types, "types"));
      return this;
    }

    /**
     * Validates and builds; starts fetching keys in the background.
     *
     * @throws IllegalArgumentException on no issuer, a plain-http JWKS URL to a non-loopback host,
     *     an empty audience list, an unsupported algorithm, a skew over 120 s, a bad header name or
     *     claim path
     */
    public UserJwtAuthenticator build() {
      if (issuers.isEmpty()) {
        throw new IllegalArgumentException("user_jwt: no issuer configured");
      }
      if (!header.matches("[a-z0-9][a-z0-9_.-]*") || header.endsWith("-bin")) {
        throw new IllegalArgumentException("user_jwt: invalid header name " + header);
      }
      for (String path : List.of(rolesClaim, scopesClaim)) {
        if (path.isEmpty() || path.startsWith(".") || path.endsWith(".") || path.contains("..")) {
          throw new IllegalArgumentException("user_jwt: invalid claim path " + path);
        }
      }
      List<TrustAnchor> anchors = new ArrayList<>();
      for (Supplier<TrustedIssuer> issuer : issuers) {
        anchors.add(issuer.get().anchor());
      }
      JwtSettings shared = settings.build();
      JwtVerifier verifier =
          JwtVerifier.newBuilder(shared)
              .headerPolicy(
                  HeaderPolicy.newBuilder()
                      .allowHeaders(List.of("x5t"))
                      .allowedTypes(allowedTypes)
                      .build())
              .keySelector(
                  keysOf == null
                      ? IssuerKeySelector.of(shared, anchors)
                      : IssuerKeySelector.of(shared, anchors, keysOf.verifier))
              .claimsPolicy(ClaimsPolicy.newBuilder().build())
              .build();
      return new UserJwtAuthenticator(verifier, this);
    }
  }
}
