package dev.gatehouse.config;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.policy.Preset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole Gatehouse configuration file, validated. The core reads the top level ({@code
 * service_name}, {@code dev_mode}, {@code dry_run}, {@code clock_skew_seconds}, {@code overrides},
 * {@code presets}) and hands each section ({@code user_jwt}, {@code internal.*}) to its registered
 * {@link ConfigSectionProvider}. Field names are those of the file (docs/configuration.md).
 * Immutable.
 *
 * <pre>{@code
 * GatehouseConfig config = GatehouseConfig.load(file,
 *     ConfigSections.of(UserJwtSection.provider(), MeshIdentitySection.provider()));
 * Optional<UserJwtSection> users = config.section(UserJwtSection.provider());
 * }</pre>
 */
public final class GatehouseConfig {
  /** Largest configuration file read, in bytes. */
  public static final int MAX_FILE_BYTES = 1 << 20;

  private final String serviceName;
  private final boolean devMode;
  private final boolean dryRun;
  private final Duration clockSkew;
  private final List<OverrideConfig> overrides;
  private final List<Preset> presets;
  private final Map<String, ConfigSection> sections;

  private GatehouseConfig(
      String serviceName,
      boolean devMode,
      boolean dryRun,
      Duration clockSkew,
      List<OverrideConfig> overrides,
      List<Preset> presets,
      Map<String, ConfigSection> sections) {
    this.serviceName = requireNonNull(serviceName, "serviceName");
    this.devMode = devMode;
    this.dryRun = dryRun;
    this.clockSkew = requireNonNull(clockSkew, "clockSkew");
    this.overrides = List.copyOf(overrides);
    this.presets = List.copyOf(presets);
    this.sections = Collections.unmodifiableMap(new LinkedHashMap<>(sections));
  }

  /** The top level alone, as handed to section parsers. */
  static GatehouseConfig topLevel(
      String serviceName,
      boolean devMode,
      boolean dryRun,
      Duration clockSkew,
      List<OverrideConfig> overrides,
      List<Preset> presets) {
    return new GatehouseConfig(
        serviceName, devMode, dryRun, clockSkew, overrides, presets, Map.of());
  }

  /** This top level with {@code sections} (in chain order). */
  GatehouseConfig withSections(Map<String, ConfigSection> sections) {
    return new GatehouseConfig(
        serviceName, devMode, dryRun, clockSkew, overrides, presets, sections);
  }

  /**
   * Parses a configuration document that has top-level fields only: any section ({@code user_jwt},
   * {@code internal.*}) is refused, since no provider is registered.
   *
   * @param text the YAML or JSON text
   * @param baseDir directory that relative file paths are resolved against
   * @throws ConfigException naming the offending field
   */
  public static GatehouseConfig parse(String text, Path baseDir) {
    return parse(text, baseDir, ConfigSections.none());
  }

  /**
   * Parses a configuration document, each section by its provider in {@code sections}.
   *
   * @param text the YAML or JSON text
   * @param baseDir directory that relative file paths ({@code jwks_file}, {@code secret_file}) are
   *     resolved against
   * @param sections the registered section providers
   * @throws ConfigException naming the offending field; a section with no registered provider is
   *     refused naming it and the artifact that provides it
   */
  public static GatehouseConfig parse(String text, Path baseDir, ConfigSections sections) {
    return ConfigParser.parse(
        requireNonNull(text, "text"),
        requireNonNull(baseDir, "baseDir"),
        requireNonNull(sections, "sections"));
  }

  /**
   * Reads and parses a configuration file with top-level fields only.
   *
   * @throws ConfigException if the file is unreadable, too large or invalid
   */
  public static GatehouseConfig load(Path file) {
    return load(file, ConfigSections.none());
  }

  /**
   * Reads and parses a configuration file; relative paths in it resolve against its directory.
   *
   * @throws ConfigException if the file is unreadable, too large or invalid
   */
  public static GatehouseConfig load(Path file, ConfigSections sections) {
    return parse(readConfigFile(file), baseDirOf(file), sections);
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

  /** Own audience for service tokens (required; restart-only). */
  public String serviceName() {
    return serviceName;
  }

  /** Allows the dev shared secret (default false; restart-only). */
  public boolean devMode() {
    return devMode;
  }

  /** Log refusals and let calls through (default false; restart-only). */
  public boolean dryRun() {
    return dryRun;
  }

  /** Allowed clock skew (default 30 s, at most 120 s). */
  public Duration clockSkew() {
    return clockSkew;
  }

  /** Modes for services without Gatehouse options (restart-only). */
  public List<OverrideConfig> overrides() {
    return overrides;
  }

  /**
   * The presets of the {@code presets} list ({@code health}, {@code reflection}), in file order;
   * empty when absent (restart-only). See {@link Preset}.
   */
  public List<Preset> presets() {
    return presets;
  }

  /** The sections present, by path ({@code user_jwt}, {@code internal.NAME}), in chain order. */
  public Map<String, ConfigSection> sections() {
    return sections;
  }

  /** The section at {@code path}, if present. */
  public Optional<ConfigSection> section(String path) {
    return Optional.ofNullable(sections.get(path));
  }

  /** The section {@code provider} reads, if present. */
  public <S extends ConfigSection> Optional<S> section(ConfigSectionProvider<S> provider) {
    return section(provider.path()).map(provider.sectionType()::cast);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GatehouseConfig c
        && c.serviceName.equals(serviceName)
        && c.devMode == devMode
        && c.dryRun == dryRun
        && c.clockSkew.equals(clockSkew)
        && c.overrides.equals(overrides)
        && c.presets.equals(presets)
        && c.sections.equals(sections);
  }

  @Override
  public int hashCode() {
    return Objects.hash(serviceName, devMode, dryRun, clockSkew, overrides, presets, sections);
  }

  @Override
  public String toString() {
    return "GatehouseConfig[serviceName="
        + serviceName
        + ", devMode="
        + devMode
        + ", dryRun="
        + dryRun
        + ", clockSkew="
        + clockSkew
        + ", overrides="
        + overrides
        + ", presets="
        + presets
        + ", sections="
        + sections
        + "]";
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
}
