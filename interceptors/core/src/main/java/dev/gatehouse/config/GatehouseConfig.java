package dev.gatehouse.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The whole Gatehouse configuration file, validated. Field names are those of the file (DESIGN §8);
 * each record documents its defaults. Obtain one with {@link #parse(String, Path)} or {@link
 * #load(Path)}.
 *
 * @param serviceName own audience for service tokens (required; restart-only)
 * @param devMode allows the dev shared secret (default false; restart-only)
 * @param dryRun log refusals and let calls through (default false; restart-only)
 * @param clockSkew allowed clock skew (default 30 s, at most 120 s)
 * @param overrides modes for services without Gatehouse options
 * @param userJwt end-user JWT issuers, if any
 * @param signedToken signed service tokens, if configured
 * @param meshIdentity mesh-forwarded identity, if configured
 * @param sharedSecret the dev-only shared secret, if configured
 * @param peerCertificate X.509-SVIDs over mTLS, if configured
 * @param spiffeJwt JWT-SVIDs, if configured
 */
public record GatehouseConfig(
    String serviceName,
    boolean devMode,
    boolean dryRun,
    Duration clockSkew,
    List<OverrideConfig> overrides,
    Optional<UserJwtConfig> userJwt,
    Optional<SignedTokenConfig> signedToken,
    Optional<MeshIdentityConfig> meshIdentity,
    Optional<SharedSecretConfig> sharedSecret,
    Optional<PeerCertificateConfig> peerCertificate,
    Optional<SpiffeJwtConfig> spiffeJwt) {

  /** Largest configuration file read, in bytes. */
  public static final int MAX_FILE_BYTES = 1 << 20;

  /** Validates and copies. */
  public GatehouseConfig {
    requireNonNull(serviceName, "serviceName");
    requireNonNull(clockSkew, "clockSkew");
    overrides = List.copyOf(overrides);
    requireNonNull(userJwt, "userJwt");
    requireNonNull(signedToken, "signedToken");
    requireNonNull(meshIdentity, "meshIdentity");
    requireNonNull(sharedSecret, "sharedSecret");
    requireNonNull(peerCertificate, "peerCertificate");
    requireNonNull(spiffeJwt, "spiffeJwt");
  }

  /**
   * Parses a configuration document.
   *
   * @param text the YAML or JSON text
   * @param baseDir directory that relative file paths ({@code jwks_file}, {@code secret_file}) are
   *     resolved against
   * @throws ConfigException naming the offending field
   */
  public static GatehouseConfig parse(String text, Path baseDir) {
    return ConfigParser.parse(requireNonNull(text, "text"), requireNonNull(baseDir, "baseDir"));
  }

  /**
   * Reads and parses a configuration file; relative paths in it resolve against its directory.
   *
   * @throws ConfigException if the file is unreadable, too large or invalid
   */
  public static GatehouseConfig load(Path file) {
    return parse(readConfigFile(file), baseDirOf(file));
  }

  /** The directory relative paths of {@code file} resolve against. */
  public static Path baseDirOf(Path file) {
    Path parent = file.toAbsolutePath().getParent();
    return parent == null ? Path.of(".").toAbsolutePath() : parent;
  }

  /** Reads a config file as UTF-8 text, refusing files over {@link #MAX_FILE_BYTES}. */
  public static String readConfigFile(Path file) {
    try {
      if (Files.size(file) > MAX_FILE_BYTES) {
        throw new ConfigException("", "config file is larger than " + MAX_FILE_BYTES + " bytes");
      }
      return Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(
          "", "cannot read config file " + file + ": " + e.getClass().getSimpleName());
    }
  }

  /** The mode of an override entry. */
  public enum OverrideMode {
    /** World-open. */
    PUBLIC,
    /** Service-to-service only. */
    INTERNAL
  }

  /**
   * One entry of {@code overrides}.
   *
   * @param method {@code package.Service/Method} or {@code package.Service/*}
   * @param mode public or internal
   */
  public record OverrideConfig(String method, OverrideMode mode) {
    /** Validates. */
    public OverrideConfig {
      requireNonNull(method, "method");
      requireNonNull(mode, "mode");
    }
  }

  /** Where an issuer's keys come from: exactly one of a URI or a file. */
  public record KeySource(Optional<URI> jwksUri, Optional<Path> jwksFile) {
    /** Validates. */
    public KeySource {
      if (jwksUri.isPresent() == jwksFile.isPresent()) {
        throw new IllegalArgumentException("exactly one of jwks_uri and jwks_file");
      }
    }
  }

  /**
   * {@code user_jwt}.
   *
   * @param issuers trusted end-user token issuers (at least one)
   * @param rolesClaim dot path of the roles claim (default {@code roles})
   * @param scopesClaim dot path of the scopes claim (default {@code scope})
   */
  public record UserJwtConfig(List<UserIssuer> issuers, String rolesClaim, String scopesClaim) {
    /** Validates and copies. */
    public UserJwtConfig {
      issuers = List.copyOf(issuers);
      requireNonNull(rolesClaim, "rolesClaim");
      requireNonNull(scopesClaim, "scopesClaim");
    }
  }

  /**
   * One end-user issuer.
   *
   * @param issuer the exact {@code iss}
   * @param keys where its JWKS comes from
   * @param audiences accepted audiences (at least one)
   * @param algorithms allowed algorithms (default ES256, RS256, PS256)
   */
  public record UserIssuer(
      String issuer, KeySource keys, List<String> audiences, List<String> algorithms) {
    /** Validates and copies. */
    public UserIssuer {
      requireNonNull(issuer, "issuer");
      requireNonNull(keys, "keys");
      audiences = List.copyOf(audiences);
      algorithms = List.copyOf(algorithms);
    }
  }

  /**
   * {@code internal.signed_token}.
   *
   * @param header credential header (default {@code authorization}, value {@code Bearer <jwt>})
   * @param maxTtl longest accepted token lifetime (default 900 s, at most 3600 s)
   * @param replayProtection require and check {@code jti} (default false)
   * @param issuers the services whose tokens are trusted
   */
  public record SignedTokenConfig(
      String header, Duration maxTtl, boolean replayProtection, List<ServiceIssuer> issuers) {
    /** Validates and copies. */
    public SignedTokenConfig {
      requireNonNull(header, "header");
      requireNonNull(maxTtl, "maxTtl");
      issuers = List.copyOf(issuers);
    }
  }

  /**
   * One trusted calling service.
   *
   * @param issuer its {@code iss}
   * @param keys where its JWKS comes from
   * @param roles roles granted to it
   * @param scopes scopes granted to it
   * @param clusterIds allowed {@code cluster_id} values (empty: no binding)
   * @param algorithms allowed algorithms (default ES256, RS256, PS256)
   * @param replayProtection per-issuer override of the global setting
   */
  public record ServiceIssuer(
      String issuer,
      KeySource keys,
      List<String> roles,
      List<String> scopes,
      List<String> clusterIds,
      List<String> algorithms,
      Optional<Boolean> replayProtection) {
    /** Validates and copies. */
    public ServiceIssuer {
      requireNonNull(issuer, "issuer");
      requireNonNull(keys, "keys");
      roles = List.copyOf(roles);
      scopes = List.copyOf(scopes);
      clusterIds = List.copyOf(clusterIds);
      algorithms = List.copyOf(algorithms);
      requireNonNull(replayProtection, "replayProtection");
    }
  }

  /** The format of the mesh identity header. */
  public enum MeshFormat {
    /** Envoy's {@code x-forwarded-client-cert}. */
    XFCC,
    /** The header holds a SPIFFE ID or Istio principal. */
    PRINCIPAL
  }

  /**
   * {@code internal.mesh_identity}.
   *
   * @param header the forwarded header (default {@code x-forwarded-client-cert})
   * @param format XFCC (default) or PRINCIPAL
   * @param trustedProxies CIDRs of the sidecar (required)
   * @param expectedBy the XFCC {@code By} value required, if set
   * @param requireSingleElement refuse XFCC with more than one element (default false)
   * @param allow the identities trusted, with their grants
   */
  public record MeshIdentityConfig(
      String header,
      MeshFormat format,
      List<String> trustedProxies,
      Optional<String> expectedBy,
      boolean requireSingleElement,
      List<AllowEntry> allow) {
    /** Validates and copies. */
    public MeshIdentityConfig {
      requireNonNull(header, "header");
      requireNonNull(format, "format");
      trustedProxies = List.copyOf(trustedProxies);
      requireNonNull(expectedBy, "expectedBy");
      allow = List.copyOf(allow);
    }
  }

  /**
   * One allowed identity.
   *
   * @param identity a SPIFFE ID or Istio principal
   * @param roles roles granted
   * @param scopes scopes granted
   */
  public record AllowEntry(String identity, List<String> roles, List<String> scopes) {
    /** Validates and copies. */
    public AllowEntry {
      requireNonNull(identity, "identity");
      roles = List.copyOf(roles);
      scopes = List.copyOf(scopes);
    }
  }

  /**
   * {@code internal.shared_secret}: development only.
   *
   * @param header the header (default {@code x-internal-secret})
   * @param secretFile the file holding the secret (at least 32 bytes)
   * @param roles roles granted to a caller presenting it
   */
  public record SharedSecretConfig(String header, Path secretFile, List<String> roles) {
    /** Validates and copies. */
    public SharedSecretConfig {
      requireNonNull(header, "header");
      requireNonNull(secretFile, "secretFile");
      roles = List.copyOf(roles);
    }

    @Override
    public String toString() {
      return "SharedSecretConfig[header="
          + header
          + ", secretFile="
          + secretFile
          + ", roles="
          + roles
          + "]";
    }
  }

  /**
   * One allow entry of a SPIFFE-based source: exactly one of an exact SPIFFE ID or a whole trust
   * domain.
   *
   * @param identity an exact SPIFFE ID
   * @param trustDomain every ID of this trust domain
   * @param roles roles granted
   * @param scopes scopes granted
   */
  public record SpiffeAllowEntry(
      Optional<String> identity,
      Optional<String> trustDomain,
      List<String> roles,
      List<String> scopes) {
    /** Validates and copies. */
    public SpiffeAllowEntry {
      if (identity.isPresent() == trustDomain.isPresent()) {
        throw new IllegalArgumentException("exactly one of identity and trust_domain");
      }
      roles = List.copyOf(roles);
      scopes = List.copyOf(scopes);
    }
  }

  /**
   * A trust domain's X.509 CA bundle.
   *
   * @param trustDomain the trust domain
   * @param caFile PEM file of its CA certificates
   */
  public record TrustBundle(String trustDomain, Path caFile) {
    /** Validates. */
    public TrustBundle {
      requireNonNull(trustDomain, "trustDomain");
      requireNonNull(caFile, "caFile");
    }
  }

  /**
   * {@code internal.peer_certificate}: X.509-SVIDs presented over app-terminated mTLS.
   *
   * @param trustBundles the CA bundle of each trusted trust domain
   * @param allow the identities or trust domains trusted, with their grants
   */
  public record PeerCertificateConfig(
      List<TrustBundle> trustBundles, List<SpiffeAllowEntry> allow) {
    /** Validates and copies. */
    public PeerCertificateConfig {
      trustBundles = List.copyOf(trustBundles);
      allow = List.copyOf(allow);
    }
  }

  /**
   * A trust domain's JWT bundle (a JWKS).
   *
   * @param trustDomain the trust domain
   * @param keys where its JWKS comes from
   */
  public record JwtBundle(String trustDomain, KeySource keys) {
    /** Validates. */
    public JwtBundle {
      requireNonNull(trustDomain, "trustDomain");
      requireNonNull(keys, "keys");
    }
  }

  /**
   * {@code internal.spiffe_jwt}: JWT-SVIDs.
   *
   * @param header credential header (default {@code authorization}); must differ from {@code
   *     signed_token}'s
   * @param bundles the JWT bundle of each trusted trust domain
   * @param allow the identities or trust domains trusted, with their grants
   * @param algorithms allowed algorithms (default ES256, RS256, PS256)
   */
  public record SpiffeJwtConfig(
      String header,
      List<JwtBundle> bundles,
      List<SpiffeAllowEntry> allow,
      List<String> algorithms) {
    /** Validates and copies. */
    public SpiffeJwtConfig {
      requireNonNull(header, "header");
      bundles = List.copyOf(bundles);
      allow = List.copyOf(allow);
      algorithms = List.copyOf(algorithms);
    }
  }
}
