package dev.gatehouse.trust.config;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.config.GatehouseConfig.MeshIdentityConfig;
import dev.gatehouse.config.GatehouseConfig.SharedSecretConfig;
import dev.gatehouse.config.GatehouseConfig.UserJwtConfig;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.TrustSource;
import dev.gatehouse.trust.insecure.InsecureDevMode;
import dev.gatehouse.trust.insecure.InsecureSharedSecretTrustSource;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.ServiceTokenIssuer;
import dev.gatehouse.trust.jwt.SignedTokenTrustSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import dev.gatehouse.trust.mesh.MeshIdentityTrustSource;
import dev.gatehouse.trust.spiffe.PeerCertificateTrustSource;
import dev.gatehouse.trust.spiffe.SpiffeJwtTrustSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Builds the concrete authenticators from a validated configuration. Any builder refusal becomes a
 * {@link ConfigException} naming the section, and everything built so far is closed.
 */
final class ConfigComponents {
  private ConfigComponents() {}

  /** Every section of {@code config}, for startup. */
  static Components create(GatehouseConfig config) {
    return create(
        config,
        Set.of(
            Components.USER_JWT,
            PeerCertificateTrustSource.NAME,
            SpiffeJwtTrustSource.NAME,
            MeshIdentityTrustSource.NAME,
            SignedTokenTrustSource.NAME,
            InsecureSharedSecretTrustSource.NAME),
        Optional.empty());
  }

  /** The named sections of {@code config} that are present, reusing state of {@code previous}. */
  static Components create(
      GatehouseConfig config, Set<String> sections, Optional<ComponentFactory.Previous> previous) {
    List<Authenticator> built = new ArrayList<>();
    try {
      Map<String, TrustSource> sources = new LinkedHashMap<>();
      if (config.peerCertificate().isPresent()
          && sections.contains(PeerCertificateTrustSource.NAME)) {
        sources.put(
            PeerCertificateTrustSource.NAME,
            track(
                built,
                "internal.peer_certificate",
                () -> peerCertificate(config.peerCertificate().get())));
      }
      if (config.spiffeJwt().isPresent() && sections.contains(SpiffeJwtTrustSource.NAME)) {
        sources.put(
            SpiffeJwtTrustSource.NAME,
            track(built, "internal.spiffe_jwt", () -> spiffeJwt(config, config.spiffeJwt().get())));
      }
      if (config.meshIdentity().isPresent() && sections.contains(MeshIdentityTrustSource.NAME)) {
        sources.put(
            MeshIdentityTrustSource.NAME,
            track(built, "internal.mesh_identity", () -> mesh(config.meshIdentity().get())));
      }
      if (config.signedToken().isPresent() && sections.contains(SignedTokenTrustSource.NAME)) {
        Optional<SignedTokenTrustSource> before =
            previous
                .map(p -> p.components().trustSources().get(SignedTokenTrustSource.NAME))
                .filter(SignedTokenTrustSource.class::isInstance)
                .map(SignedTokenTrustSource.class::cast);
        sources.put(
            SignedTokenTrustSource.NAME,
            track(
                built,
                "internal.signed_token",
                () ->
                    signedToken(
                        config,
                        config.signedToken().get(),
                        before,
                        previous.filter(p -> sameVerifier(p.config(), config)).isPresent())));
      }
      if (config.sharedSecret().isPresent()
          && sections.contains(InsecureSharedSecretTrustSource.NAME)) {
        sources.put(
            InsecureSharedSecretTrustSource.NAME,
            track(
                built,
                "internal.shared_secret",
                () -> secret(config, config.sharedSecret().get())));
      }
      Optional<Authenticator> user = Optional.empty();
      if (config.userJwt().isPresent() && sections.contains(Components.USER_JWT)) {
        user = Optional.of(track(built, "user_jwt", () -> userJwt(config, config.userJwt().get())));
      }
      return new Components(user, sources);
    } catch (RuntimeException e) {
      built.forEach(Authenticator::close);
      throw e;
    }
  }

  private static <T extends Authenticator> T track(
      List<Authenticator> built, String section, Supplier<T> factory) {
    T a;
    try {
      a = factory.get();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new ConfigException(section, e.getMessage() == null ? "invalid" : e.getMessage());
    }
    built.add(a);
    return a;
  }

  private static JwksSource keys(GatehouseConfig.KeySource keys) {
    return keys.jwksUri().isPresent()
        ? JwksSource.uri(keys.jwksUri().get().toString())
        : JwksSource.file(keys.jwksFile().orElseThrow());
  }

  private static UserJwtAuthenticator userJwt(GatehouseConfig config, UserJwtConfig c) {
    UserJwtAuthenticator.Builder b =
        UserJwtAuthenticator.newBuilder()
            .rolesClaim(c.rolesClaim())
            .scopesClaim(c.scopesClaim())
            .clockSkew(config.clockSkew());
    for (GatehouseConfig.UserIssuer i : c.issuers()) {
      b.addIssuer(
          TrustedIssuer.newBuilder(i.issuer())
              .keys(keys(i.keys()))
              .audiences(i.audiences())
              .algorithms(i.algorithms())
              .build());
    }
    return b.build();
  }

  private static SignedTokenTrustSource signedToken(
      GatehouseConfig config,
      GatehouseConfig.SignedTokenConfig c,
      Optional<SignedTokenTrustSource> before,
      boolean keysUnchanged) {
    SignedTokenTrustSource.Builder b =
        SignedTokenTrustSource.newBuilder()
            .serviceName(config.serviceName())
            .header(c.header())
            .maxTtl(c.maxTtl())
            .replayProtection(c.replayProtection())
            .clockSkew(config.clockSkew());
    // A reload must not open a replay window: the new source keeps the old one's seen tokens.
    before.ifPresent(b::continueReplayCacheOf);
    // Only grants, cluster ids or replay settings changed: keep the keys and their caches.
    before.filter(x -> keysUnchanged).ifPresent(b::shareVerifierOf);
    for (GatehouseConfig.ServiceIssuer i : c.issuers()) {
      ServiceTokenIssuer.Builder ib =
          ServiceTokenIssuer.newBuilder(i.issuer())
              .keys(keys(i.keys()))
              .algorithms(i.algorithms())
              .roles(i.roles())
              .scopes(i.scopes())
              .clusterIds(i.clusterIds());
      i.replayProtection().ifPresent(ib::replayProtection);
      b.addIssuer(ib.build());
    }
    return b.build();
  }

  /**
   * Whether the verifier-relevant settings of {@code signed_token} are the same: service name,
   * clock skew, max TTL, and every issuer's name, keys and algorithms.
   */
  static boolean sameVerifier(GatehouseConfig a, GatehouseConfig b) {
    if (a.signedToken().isEmpty() || b.signedToken().isEmpty()) {
      return false;
    }
    GatehouseConfig.SignedTokenConfig x = a.signedToken().get();
    GatehouseConfig.SignedTokenConfig y = b.signedToken().get();
    return a.serviceName().equals(b.serviceName())
        && a.clockSkew().equals(b.clockSkew())
        && x.maxTtl().equals(y.maxTtl())
        && verifierView(x).equals(verifierView(y));
  }

  private static Map<String, List<Object>> verifierView(GatehouseConfig.SignedTokenConfig c) {
    Map<String, List<Object>> out = new LinkedHashMap<>();
    for (GatehouseConfig.ServiceIssuer i : c.issuers()) {
      out.put(i.issuer(), List.of(i.keys(), i.algorithms()));
    }
    return out;
  }

  private static PeerCertificateTrustSource peerCertificate(
      GatehouseConfig.PeerCertificateConfig c) {
    PeerCertificateTrustSource.Builder b = PeerCertificateTrustSource.newBuilder();
    c.trustBundles().forEach(t -> b.addBundle(t.trustDomain(), t.caFile()));
    for (GatehouseConfig.SpiffeAllowEntry e : c.allow()) {
      if (e.identity().isPresent()) {
        b.allow(e.identity().get(), e.roles(), e.scopes());
      } else {
        b.allowTrustDomain(e.trustDomain().orElseThrow(), e.roles(), e.scopes());
      }
    }
    return b.build();
  }

  private static SpiffeJwtTrustSource spiffeJwt(
      GatehouseConfig config, GatehouseConfig.SpiffeJwtConfig c) {
    SpiffeJwtTrustSource.Builder b =
        SpiffeJwtTrustSource.newBuilder()
            .serviceAudience(config.serviceName())
            .header(c.header())
            .algorithms(c.algorithms())
            .clockSkew(config.clockSkew());
    c.bundles().forEach(x -> b.addBundle(x.trustDomain(), keys(x.keys())));
    for (GatehouseConfig.SpiffeAllowEntry e : c.allow()) {
      if (e.identity().isPresent()) {
        b.allow(e.identity().get(), e.roles(), e.scopes());
      } else {
        b.allowTrustDomain(e.trustDomain().orElseThrow(), e.roles(), e.scopes());
      }
    }
    return b.build();
  }

  private static MeshIdentityTrustSource mesh(MeshIdentityConfig c) {
    MeshIdentityTrustSource.Builder b =
        MeshIdentityTrustSource.newBuilder()
            .header(c.header())
            .format(
                c.format() == GatehouseConfig.MeshFormat.XFCC
                    ? MeshIdentityTrustSource.Format.XFCC
                    : MeshIdentityTrustSource.Format.PRINCIPAL)
            .trustedProxies(c.trustedProxies())
            .requireSingleElement(c.requireSingleElement());
    c.expectedBy().ifPresent(b::expectedBy);
    c.allow().forEach(a -> b.allow(a.identity(), a.roles(), a.scopes()));
    return b.build();
  }

  private static InsecureSharedSecretTrustSource secret(
      GatehouseConfig config, SharedSecretConfig c) {
    if (!config.devMode()) {
      throw new IllegalStateException("the shared secret needs dev_mode: true");
    }
    return InsecureSharedSecretTrustSource.newBuilder()
        // dev_mode: true in the file is the operator's explicit acknowledgement.
        .devMode(InsecureDevMode.acknowledge())
        .header(c.header())
        .secretFile(c.secretFile())
        .roles(c.roles())
        .build();
  }
}
