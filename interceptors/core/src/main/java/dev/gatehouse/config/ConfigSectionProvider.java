package dev.gatehouse.config;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.Authenticator;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * SPI: reads one section of the configuration file and builds its authenticator, like grpc-java's
 * {@code LoadBalancerProvider} for a load-balancing policy. Each trust-source family ships the
 * providers of its sections (for example {@code UserJwtSection.provider()} in {@code
 * gatehouse-trust-jwt}); they are registered explicitly with {@link ConfigSections} or {@link
 * ConfiguredGatehouse.Builder#addSection}, never discovered from the class path.
 *
 * <p>The core parses the top level of the file and hands each present section to its provider: a
 * section present with no provider registered is refused, naming it. Implementations are stateless
 * and thread-safe.
 *
 * @param <S> the immutable section value
 */
public interface ConfigSectionProvider<S extends ConfigSection> {
  /**
   * Where the section lives in the file: {@code user_jwt} (the end-user authenticator) or {@code
   * internal.NAME} (a trust source), e.g. {@code internal.signed_token}.
   */
  String path();

  /** The class of the section value. */
  Class<S> sectionType();

  /**
   * Parses and validates the section.
   *
   * @param node the section's mapping; every getter names the full field path on error, and the
   *     parser calls {@link ConfigNode#finish()} so unknown fields are refused
   * @param topLevel the file's top-level settings ({@code service_name}, {@code dev_mode}, clock
   *     skew...), without sections
   * @throws ConfigException naming the offending field
   */
  S parse(ConfigNode node, GatehouseConfig topLevel);

  /**
   * Builds the authenticator; for an {@code internal.*} section it must be a {@link
   * dev.gatehouse.spi.TrustSource}. An {@link IllegalArgumentException} or {@link
   * IllegalStateException} thrown here becomes a {@link ConfigException} naming the section.
   *
   * @param section the parsed section
   * @param config the whole configuration it belongs to
   * @param previous on a reload, the section and live authenticator being replaced, whose state
   *     (key caches, replay cache) the new one may carry on
   */
  Authenticator create(S section, GatehouseConfig config, Optional<Previous<S>> previous);

  /** What a change of this section means on reload. */
  ReloadPolicy reloadPolicy();

  /**
   * Files the section names whose content the built authenticator read once (CA bundles): a change
   * of their content rebuilds a {@link ReloadPolicy#REBUILD} section even when the configuration
   * file did not change. Default: none (a JWKS file is re-read by its source on its own).
   */
  default List<Path> watchedFiles(S section) {
    return List.of();
  }

  /** What a changed section means on reload. */
  enum ReloadPolicy {
    /**
     * The authenticator is rebuilt in place (handed the previous one to keep caches); a change of
     * its name or headers is still refused until restart.
     */
    REBUILD,
    /** Any change is refused as a whole, and the running one keeps serving until restart. */
    RESTART_ONLY
  }

  /**
   * What a reload replaces.
   *
   * @param section the section value the live authenticator was built from
   * @param authenticator the live authenticator
   * @param <S> the section value type
   */
  record Previous<S extends ConfigSection>(S section, Authenticator authenticator) {
    /** Validates. */
    public Previous {
      requireNonNull(section, "section");
      requireNonNull(authenticator, "authenticator");
    }
  }
}
