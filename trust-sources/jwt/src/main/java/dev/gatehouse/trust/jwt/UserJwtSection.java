package dev.gatehouse.trust.jwt;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfigClaim;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import dev.gatehouse.config.ConfigSection;
import dev.gatehouse.config.ConfigSectionProvider;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.trust.jwt.internal.JwtConfigFields;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code user_jwt} section of the configuration file: end-user JWT issuers, built into a {@link
 * UserJwtAuthenticator}. Register {@link #provider()} to read it.
 *
 * @param issuers trusted end-user token issuers (at least one)
 * @param rolesClaim dot path of the roles claim (default {@code roles})
 * @param scopesClaim dot path of the scopes claim (default {@code scope})
 * @param clockSkew the file's {@code clock_skew_seconds}
 * @param fetchTimeout bound on one key-set fetch ({@code jwks_fetch_timeout_ms}, default 2 s)
 */
public record UserJwtSection(
    List<Issuer> issuers,
    String rolesClaim,
    String scopesClaim,
    Duration clockSkew,
    Duration fetchTimeout)
    implements ConfigSection {
  /** The section's path in the file. */
  public static final String PATH = "user_jwt";

  private static final Provider PROVIDER = new Provider();

  /** Validates and copies. */
  public UserJwtSection {
    issuers = List.copyOf(issuers);
    requireNonNull(rolesClaim, "rolesClaim");
    requireNonNull(scopesClaim, "scopesClaim");
    requireNonNull(clockSkew, "clockSkew");
    requireNonNull(fetchTimeout, "fetchTimeout");
  }

  /** The section with the default fetch timeout (2 s). */
  public UserJwtSection(
      List<Issuer> issuers, String rolesClaim, String scopesClaim, Duration clockSkew) {
    this(issuers, rolesClaim, scopesClaim, clockSkew, JwtConfigFields.defaultFetchTimeout());
  }

  /** The provider of {@code user_jwt}; a change is rebuilt on reload. */
  public static ConfigSectionProvider<UserJwtSection> provider() {
    return PROVIDER;
  }

  @Override
  public List<ConfigClaim> claims() {
    List<ConfigClaim> out = new ArrayList<>();
    for (int i = 0; i < issuers.size(); i++) {
      out.add(ConfigClaim.issuer(issuers.get(i).issuer(), PATH + ".issuers[" + i + "].issuer"));
    }
    return out;
  }

  /**
   * One end-user issuer.
   *
   * @param issuer the exact {@code iss}
   * @param keys where its JWKS comes from
   * @param audiences accepted audiences (at least one)
   * @param algorithms allowed algorithms (default ES256, RS256, PS256)
   */
  public record Issuer(
      String issuer, JwksConfig keys, List<String> audiences, List<String> algorithms) {
    /** Validates and copies. */
    public Issuer {
      requireNonNull(issuer, "issuer");
      requireNonNull(keys, "keys");
      audiences = List.copyOf(audiences);
      algorithms = List.copyOf(algorithms);
    }
  }

  private static final class Provider implements ConfigSectionProvider<UserJwtSection> {
    @Override
    public String path() {
      return PATH;
    }

    @Override
    public Class<UserJwtSection> sectionType() {
      return UserJwtSection.class;
    }

    @Override
    public UserJwtSection parse(ConfigNode o, GatehouseConfig topLevel) {
      List<Issuer> issuers = o.list("issuers", Provider::issuer);
      if (issuers.isEmpty()) {
        throw new ConfigException(o.path("issuers"), "at least one issuer is required");
      }
      ConfigNode.requireDistinct(
          issuers.stream().map(Issuer::issuer).toList(),
          i -> o.path("issuers[" + i + "].issuer"),
          "issuer");
      String roles = o.string("roles_claim", "roles");
      String scopes = o.string("scopes_claim", "scope");
      for (String f : List.of("roles_claim", "scopes_claim")) {
        String v = f.equals("roles_claim") ? roles : scopes;
        if (!v.matches("[A-Za-z0-9_:-]+(\\.[A-Za-z0-9_:-]+)*")) {
          throw new ConfigException(o.path(f), "must be a dot path of claim names");
        }
      }
      Duration fetchTimeout = JwtConfigFields.fetchTimeout(o);
      o.finish();
      return new UserJwtSection(issuers, roles, scopes, topLevel.clockSkew(), fetchTimeout);
    }

    private static Issuer issuer(ConfigNode o) {
      String issuer = o.requiredString("issuer");
      JwksConfig keys = JwksConfig.read(o);
      List<String> audiences = o.stringList("audiences");
      if (audiences.isEmpty()) {
        throw new ConfigException(o.path("audiences"), "at least one audience is required");
      }
      List<String> algorithms = JwtConfigFields.algorithms(o);
      o.finish();
      return new Issuer(issuer, keys, audiences, algorithms);
    }

    @Override
    public Authenticator create(
        UserJwtSection c, GatehouseConfig config, Optional<Previous<UserJwtSection>> previous) {
      UserJwtAuthenticator.Builder b =
          UserJwtAuthenticator.newBuilder()
              .rolesClaim(c.rolesClaim())
              .scopesClaim(c.scopesClaim())
              .clockSkew(c.clockSkew())
              .fetchTimeout(c.fetchTimeout());
      // Issuers whose jwks_uri/jwks_file and algorithms are unchanged keep their cached keys.
      previous
          .map(Previous::authenticator)
          .filter(UserJwtAuthenticator.class::isInstance)
          .map(UserJwtAuthenticator.class::cast)
          .ifPresent(b::reuseKeysOf);
      for (Issuer i : c.issuers()) {
        b.addIssuer(
            TrustedIssuer.newBuilder(i.issuer())
                .keys(i.keys().toSource())
                .audiences(i.audiences())
                .algorithms(i.algorithms())
                .build());
      }
      return b.build();
    }

    @Override
    public ReloadPolicy reloadPolicy() {
      return ReloadPolicy.REBUILD;
    }

    @Override
    public String toString() {
      return "UserJwtSection.provider()";
    }
  }
}
