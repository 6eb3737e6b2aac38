package dev.gatehouse.config;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The section providers registered for a configuration, at most one per section path. Immutable.
 * Registration is explicit; nothing is discovered from the class path.
 *
 * <pre>{@code
 * ConfigSections sections = ConfigSections.newBuilder()
 *     .add(UserJwtSection.provider())
 *     .add(SignedTokenSection.provider())
 *     .add(MeshIdentitySection.provider())
 *     .build();
 * GatehouseConfig config = GatehouseConfig.load(file, sections);
 * }</pre>
 */
public final class ConfigSections {
  private static final ConfigSections NONE = new ConfigSections(Map.of());

  private final Map<String, ConfigSectionProvider<?>> providers;

  private ConfigSections(Map<String, ConfigSectionProvider<?>> providers) {
    this.providers = providers;
  }

  /** No providers: only a file with top-level fields alone parses. */
  public static ConfigSections none() {
    return NONE;
  }

  /**
   * The given providers.
   *
   * @throws IllegalArgumentException if two have the same path, or a path is not valid
   */
  public static ConfigSections of(ConfigSectionProvider<?>... providers) {
    Builder b = newBuilder();
    for (ConfigSectionProvider<?> p : providers) {
      b.add(p);
    }
    return b.build();
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The provider of the section at {@code path}, if registered. */
  public Optional<ConfigSectionProvider<?>> provider(String path) {
    return Optional.ofNullable(providers.get(path));
  }

  /** Every provider, in registration order. */
  public List<ConfigSectionProvider<?>> providers() {
    return List.copyOf(providers.values());
  }

  @Override
  public String toString() {
    return "ConfigSections" + providers.keySet();
  }

  /** Builds {@link ConfigSections}, refusing a path registered twice. */
  public static final class Builder {
    private final Map<String, ConfigSectionProvider<?>> providers = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Registers a provider.
     *
     * @throws IllegalArgumentException if a provider for the same path is already registered, or
     *     the path is neither {@code user_jwt} nor {@code internal.NAME}
     */
    public Builder add(ConfigSectionProvider<?> provider) {
      requireNonNull(provider, "provider");
      String path = requireNonNull(provider.path(), "provider.path()");
      if (!KnownSections.isValidPath(path)) {
        throw new IllegalArgumentException(
            "section path must be user_jwt or internal.NAME (lower-case letters, digits, _): "
                + path);
      }
      requireNonNull(provider.sectionType(), "provider.sectionType()");
      requireNonNull(provider.reloadPolicy(), "provider.reloadPolicy()");
      if (providers.containsKey(path)) {
        throw new IllegalArgumentException(
            "a provider for section " + path + " is registered twice");
      }
      providers.put(path, provider);
      return this;
    }

    /** Registers every provider of {@code sections}. */
    public Builder addAll(ConfigSections sections) {
      sections.providers().forEach(this::add);
      return this;
    }

    /** The registry. */
    public ConfigSections build() {
      return new ConfigSections(new LinkedHashMap<>(providers));
    }
  }
}
