package dev.gatehouse.config;

import static java.util.Objects.requireNonNull;

import com.google.common.hash.Hashing;
import dev.gatehouse.config.ConfigSectionProvider.Previous;
import dev.gatehouse.config.ConfigSectionProvider.ReloadPolicy;
import dev.gatehouse.policy.Mode;
import dev.gatehouse.policy.Preset;
import dev.gatehouse.server.AuditListener;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.BundleExpiry;
import dev.gatehouse.spi.ReplayCacheSize;
import dev.gatehouse.spi.TrustSource;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A Gatehouse chain wired from the configuration file, reloaded when the file's content changes.
 * Each section of the file is read and built by the {@link ConfigSectionProvider} registered for
 * it; this class knows no concrete authenticator.
 *
 * <pre>{@code
 * ConfiguredGatehouse gatehouse = ConfiguredGatehouse.newBuilder(Path.of("/etc/gatehouse/gatehouse.yaml"))
 *     .addSection(UserJwtSection.provider())          // gatehouse-trust-jwt
 *     .addSection(SignedTokenSection.provider())      // gatehouse-trust-jwt
 *     .addSection(MeshIdentitySection.provider())     // gatehouse-trust-mesh
 *     .addService(new TripService())
 *     .build();                       // parses, validates and builds everything, or throws
 * Server server = gatehouse.addTo(ServerBuilder.forPort(8443)).build().start();
 * }</pre>
 *
 * <p>Everything is validated before {@link Builder#build()} returns, so a server that builds the
 * chain before binding its port never listens with a bad file. A section present in the file with
 * no provider registered is refused, naming it and the artifact that provides it. The file is
 * polled by content hash (so Kubernetes ConfigMap symlink swaps are seen); a valid change of a
 * {@link ReloadPolicy#REBUILD} section (issuers, allow-lists, roles or scopes) takes effect within
 * the poll interval (default 1 s): only the changed sections are rebuilt, each handed the one it
 * replaces so it can keep its key and replay caches, and a section is also rebuilt when a file it
 * {@linkplain ConfigSectionProvider#watchedFiles watches} changes. An invalid change is logged and
 * the last good configuration keeps serving. {@code service_name}, {@code dev_mode}, {@code
 * dry_run}, {@code overrides}, {@code presets}, {@link ReloadPolicy#RESTART_ONLY} sections ({@code
 * shared_secret}), header names and which sections exist change only on restart: a reload that
 * changes them is refused as a whole and logged.
 */
public final class ConfiguredGatehouse implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(ConfiguredGatehouse.class.getName());
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(30);
  private static final Duration RETRY_FAILED = Duration.ofSeconds(30);

  private final Path file;
  private final ConfigSections providers;
  private final Gatehouse gatehouse;
  private final AtomicReference<Components> live;
  private final Optional<Slot> userSlot;
  private final Map<String, Slot> sourceSlots;
  private final ScheduledExecutorService executor;
  private final Object reloadLock = new Object();
  private final List<List<Authenticator>> pendingClose = new CopyOnWriteArrayList<>();
  private volatile GatehouseConfig current;
  private volatile String lastHash;
  private volatile String appliedHash;
  private volatile Map<String, String> lastWatchedHashes;
  private volatile long retryFailedAtNanos = Long.MAX_VALUE;

  private ConfiguredGatehouse(
      Builder b, ConfigSections providers, GatehouseConfig config, String hash) {
    this.file = b.file;
    this.providers = providers;
    this.current = config;
    this.lastHash = hash;
    this.appliedHash = hash;
    this.lastWatchedHashes = watchedHashes(config);
    Components components = create(config, config.sections().keySet(), Optional.empty());
    this.live = new AtomicReference<>(components);
    this.userSlot = components.user().map(u -> Slot.user(KnownSections.USER_JWT, u, live));
    Map<String, Slot> slots = new LinkedHashMap<>();
    components.trustSources().forEach((n, s) -> slots.put(n, Slot.source(n, s, live)));
    this.sourceSlots = slots;
    Gatehouse.Builder gb = Gatehouse.newBuilder().dryRun(config.dryRun());
    b.services.forEach(gb::addService);
    for (GatehouseConfig.OverrideConfig o : config.overrides()) {
      gb.addOverride(
          o.method(),
          o.mode() == GatehouseConfig.OverrideMode.PUBLIC ? Mode.PUBLIC : Mode.INTERNAL);
    }
    b.codeOverrides.forEach(gb::addOverride);
    config.presets().forEach(gb::addPreset);
    b.codePresets.forEach(gb::addPreset);
    userSlot.ifPresent(gb::userAuthenticator);
    slots.values().forEach(s -> gb.addTrustSource((TrustSource) s));
    if (b.auditListener != null) {
      gb.auditListener(b.auditListener);
    }
    try {
      this.gatehouse = gb.build();
    } catch (RuntimeException e) {
      components.closeAll();
      throw e;
    }
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "gatehouse-config-watcher");
              t.setDaemon(true);
              return t;
            });
    long ms = b.pollInterval.toMillis();
    // poll() catches and logs its own failures, so the periodic task is never cancelled by one.
    var unused = executor.scheduleWithFixedDelay(this::poll, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** A new builder; set the file with {@link Builder#configFile}. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** A new builder for the configuration file {@code configFile}. */
  public static Builder newBuilder(Path configFile) {
    return new Builder().configFile(configFile);
  }

  /** The chain. */
  public Gatehouse gatehouse() {
    return gatehouse;
  }

  /** Registers the protected services on {@code serverBuilder} and returns it. */
  public <T extends ServerBuilder<T>> T addTo(T serverBuilder) {
    return gatehouse.addTo(serverBuilder);
  }

  /** The chain as one global interceptor; see {@link Gatehouse#serverInterceptor()}. */
  public ServerInterceptor serverInterceptor() {
    return gatehouse.serverInterceptor();
  }

  /**
   * Checks that nothing on the started {@code server} is served around the chain; see {@link
   * Gatehouse#verify(Server)}.
   *
   * @throws dev.gatehouse.policy.PolicyException naming every such method
   */
  public void verify(Server server) {
    gatehouse.verify(server);
  }

  /** The protected services. */
  public List<ServerServiceDefinition> services() {
    return gatehouse.services();
  }

  /**
   * The SHA-256 (hex) of the configuration file content now serving: the one read at build, or the
   * last reload applied. For status pages and posture reports.
   */
  public String configHash() {
    return appliedHash;
  }

  /**
   * Where every key set the live authenticators fetch stands (JWKS URLs and files; in-memory sets
   * are left out), for health checks. Never fetches.
   */
  public List<dev.gatehouse.spi.KeySetReachability.KeySetState> keySets() {
    List<dev.gatehouse.spi.KeySetReachability.KeySetState> out = new ArrayList<>();
    userSlot.ifPresent(s -> out.addAll(s.keySets()));
    sourceSlots.values().forEach(s -> out.addAll(s.keySets()));
    return List.copyOf(out);
  }

  /**
   * The replay caches of the live authenticators that keep one, by authenticator name (e.g. {@code
   * signed_token}), for monitoring. Every read goes to the authenticator serving now, so after a
   * reload that rebuilt it, to the new one. Read-only: never affects a decision.
   */
  public Map<String, ReplayCacheSize> replayCaches() {
    Map<String, ReplayCacheSize> out = new LinkedHashMap<>();
    for (Slot s : slots()) {
      if (s.current() instanceof ReplayCacheSize) {
        out.put(s.name(), () -> s.current() instanceof ReplayCacheSize r ? r.replayCacheSize() : 0);
      }
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  /**
   * The CA bundle expiries of the live authenticators that trust CA certificates, by authenticator
   * name (e.g. {@code peer_certificate}), for monitoring. Every read goes to the authenticator
   * serving now, so after a reload that rebuilt it (a changed {@code ca_file}), to the new one.
   * Read-only: never affects a decision.
   */
  public Map<String, BundleExpiry> bundleExpiries() {
    Map<String, BundleExpiry> out = new LinkedHashMap<>();
    for (Slot s : slots()) {
      if (s.current() instanceof BundleExpiry) {
        out.put(
            s.name(),
            () -> s.current() instanceof BundleExpiry e ? e.earliestBundleExpiry() : Instant.MAX);
      }
    }
    return java.util.Collections.unmodifiableMap(out);
  }

  private List<Slot> slots() {
    List<Slot> all = new ArrayList<>();
    userSlot.ifPresent(all::add);
    all.addAll(sourceSlots.values());
    return all;
  }

  /** The configuration file. */
  public Path configFile() {
    return file;
  }

  /** The configuration now serving. */
  public GatehouseConfig currentConfig() {
    return current;
  }

  /**
   * Re-reads the file now (the watcher does this on its own) and applies it if it changed.
   *
   * <p>The answer does not depend on whether this call or the watcher got to an edit first.
   *
   * @return true if what now serves is the file as it stands (applied by this call or an earlier
   *     reload, or unchanged since); false if the file cannot be read or its content, or a file it
   *     names, was refused
   */
  public boolean reloadNow() {
    synchronized (reloadLock) {
      String text;
      try {
        text = GatehouseConfig.readConfigFile(file);
      } catch (ConfigException e) {
        logger.warning(
            "gatehouse config reload: " + e.getMessage() + "; keeping the last good one");
        return false;
      }
      String hash = hash(text);
      // Files a section read once (peer_certificate's CA files) must rebuild it when they change
      // (a CA removed after a compromise), even when the YAML itself did not change.
      Map<String, String> watched = watchedHashes(current);
      Set<String> filesChanged = new LinkedHashSet<>();
      watched.forEach(
          (path, h) -> {
            if (!h.equals(lastWatchedHashes.get(path))) {
              filesChanged.add(path);
            }
          });
      if (hash.equals(lastHash)
          && filesChanged.isEmpty()
          && System.nanoTime() < retryFailedAtNanos) {
        return hash.equals(appliedHash);
      }
      lastHash = hash;
      retryFailedAtNanos = Long.MAX_VALUE;
      try {
        GatehouseConfig next =
            GatehouseConfig.parse(text, GatehouseConfig.baseDirOf(file), providers);
        // Hashed before the build reads them: a file that changes while the sections are being
        // built still counts as changed at the next poll.
        Map<String, String> nextWatched = watchedHashes(next);
        apply(next, filesChanged);
        // A watched file counts as seen only once a reload that used it is applied: a refused
        // reload leaves a changed CA file pending, so the next accepted one rebuilds from it.
        lastWatchedHashes = nextWatched;
        appliedHash = hash;
        return true;
      } catch (ConfigException | PolicyCompatibilityException e) {
        refused(e.getMessage());
        return false;
      } catch (RuntimeException e) {
        refused(e.getClass().getSimpleName());
        return false;
      }
    }
  }

  /**
   * Logs a refused reload. The same content is tried again after {@link #RETRY_FAILED}, since a
   * refusal may come from a file the config names (a JWKS file) that is not there yet.
   */
  private void refused(String why) {
    retryFailedAtNanos = System.nanoTime() + RETRY_FAILED.toNanos();
    logger.warning("gatehouse config reload refused: " + why + "; keeping the last good one");
  }

  private void poll() {
    try {
      reloadNow();
    } catch (Throwable e) {
      // Whatever a poll throws, the periodic task must live on: a task that throws is never run
      // again, and later edits (revocations included) would silently never apply.
      logger.log(Level.WARNING, "gatehouse config watcher: " + e.getClass().getSimpleName());
    }
  }

  private void apply(GatehouseConfig next, Set<String> filesChanged) {
    List<String> restartOnly = new ArrayList<>();
    GatehouseConfig cur = current;
    if (!cur.serviceName().equals(next.serviceName())) {
      restartOnly.add("service_name");
    }
    if (cur.devMode() != next.devMode()) {
      restartOnly.add("dev_mode");
    }
    if (cur.dryRun() != next.dryRun()) {
      restartOnly.add("dry_run");
    }
    if (!cur.overrides().equals(next.overrides())) {
      restartOnly.add("overrides");
    }
    if (!cur.presets().equals(next.presets())) {
      restartOnly.add("presets");
    }
    for (ConfigSectionProvider<?> p : providers.providers()) {
      if (p.reloadPolicy() == ReloadPolicy.RESTART_ONLY
          && !Objects.equals(cur.section(p.path()), next.section(p.path()))) {
        restartOnly.add(p.path());
      }
    }
    if (!restartOnly.isEmpty()) {
      throw new PolicyCompatibilityException(
          String.join(", ", restartOnly) + " changed; these take effect only on restart");
    }
    if (!next.sections().keySet().equals(cur.sections().keySet())) {
      throw new PolicyCompatibilityException(
          "adding or removing user_jwt or a trust source needs a restart");
    }
    // Rebuild only what changed: an unchanged source keeps its key cache (it may be riding out a
    // JWKS outage), its replay cache and the secret it was started with.
    Set<String> changed = new LinkedHashSet<>();
    for (String path : next.sections().keySet()) {
      ConfigSectionProvider<?> p = providers.provider(path).orElseThrow();
      if (p.reloadPolicy() == ReloadPolicy.REBUILD
          && (filesChanged.contains(path)
              || !cur.sections().get(path).equals(next.sections().get(path)))) {
        changed.add(path);
      }
    }
    Components old = live.get();
    Components built = create(next, changed, Optional.of(new Replaced(cur, old)));
    Components merged;
    try {
      Optional<Authenticator> user = old.user();
      if (changed.contains(KnownSections.USER_JWT) && userSlot.isPresent()) {
        user = built.user();
        requireAccepted(userSlot.get(), user);
      }
      Map<String, TrustSource> sources = new LinkedHashMap<>(old.trustSources());
      for (String name : sourceSlots.keySet()) {
        if (changed.contains(name) && built.trustSources().containsKey(name)) {
          TrustSource replacement = built.trustSources().get(name);
          requireAccepted(sourceSlots.get(name), Optional.ofNullable(replacement));
          sources.put(name, replacement);
        }
      }
      merged = new Components(user, sources);
    } catch (RuntimeException e) {
      built.closeAll();
      throw e;
    }
    // Close what was built but the merge did not take.
    for (Authenticator a : built.all()) {
      if (!merged.all().contains(a)) {
        a.close();
      }
    }
    live.set(merged); // one atomic step for every slot
    current = next;
    logger.info("gatehouse config reloaded from " + file + " (rebuilt: " + changed + ")");
    List<Authenticator> replaced = new ArrayList<>(old.all());
    replaced.removeAll(merged.all());
    if (!replaced.isEmpty() && !executor.isShutdown()) {
      // closeQuietly never throws: nothing to collect from the future.
      var unused =
          executor.schedule(
              () -> closeQuietly(replaced), CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      pendingClose.add(replaced);
    }
  }

  /** Per section path, a digest of the contents of every file the section watches. */
  private Map<String, String> watchedHashes(GatehouseConfig c) {
    Map<String, String> out = new HashMap<>();
    c.sections()
        .forEach(
            (path, section) -> {
              List<Path> files = watchedFiles(providers.provider(path).orElseThrow(), section);
              if (files.isEmpty()) {
                return;
              }
              StringBuilder all = new StringBuilder();
              for (Path f : files) {
                all.append(f).append('\u0000');
                try {
                  all.append(Hashing.sha256().hashBytes(Files.readAllBytes(f)));
                } catch (IOException e) {
                  all.append("unreadable");
                }
                all.append('\u0000');
              }
              out.put(path, hash(all.toString()));
            });
    return out;
  }

  private static <S extends ConfigSection> List<Path> watchedFiles(
      ConfigSectionProvider<S> provider, ConfigSection section) {
    return List.copyOf(provider.watchedFiles(provider.sectionType().cast(section)));
  }

  private static void requireAccepted(Slot slot, Optional<? extends Authenticator> next) {
    if (next.isEmpty() || !slot.accepts(next.get())) {
      throw new PolicyCompatibilityException(
          "a header name or format of " + slot.name() + " changed; that needs a restart");
    }
  }

  private void closeQuietly(List<Authenticator> authenticators) {
    pendingClose.remove(authenticators);
    for (Authenticator a : authenticators) {
      try {
        a.close();
      } catch (RuntimeException e) {
        logger.warning("closing " + a.name() + " failed: " + e.getClass().getSimpleName());
      }
    }
  }

  /** The live configuration and authenticators a reload replaces. */
  private record Replaced(GatehouseConfig config, Components components) {}

  /**
   * Builds the sections at {@code paths} of {@code config}, in chain order; on failure closes what
   * it built. A builder's refusal becomes a {@link ConfigException} naming the section.
   */
  private Components create(
      GatehouseConfig config, Set<String> paths, Optional<Replaced> previous) {
    List<Authenticator> built = new ArrayList<>();
    try {
      Optional<Authenticator> user = Optional.empty();
      Map<String, TrustSource> sources = new LinkedHashMap<>();
      for (String path : config.sections().keySet()) {
        if (!paths.contains(path)) {
          continue;
        }
        ConfigSectionProvider<?> p = providers.provider(path).orElseThrow();
        Optional<Authenticator> before =
            previous.flatMap(
                r ->
                    path.equals(KnownSections.USER_JWT)
                        ? r.components().user()
                        : Optional.ofNullable(r.components().trustSources().get(path)));
        Authenticator a = build(p, config, previous.map(Replaced::config), before);
        built.add(a);
        if (path.equals(KnownSections.USER_JWT)) {
          user = Optional.of(a);
        } else if (a instanceof TrustSource t) {
          sources.put(path, t);
        } else {
          throw new ConfigException(path, "the provider built no TrustSource");
        }
      }
      return new Components(user, sources);
    } catch (RuntimeException e) {
      built.forEach(ConfiguredGatehouse::closeOne);
      throw e;
    }
  }

  private static <S extends ConfigSection> Authenticator build(
      ConfigSectionProvider<S> p,
      GatehouseConfig config,
      Optional<GatehouseConfig> previousConfig,
      Optional<Authenticator> previous) {
    S section = config.section(p).orElseThrow();
    Optional<Previous<S>> prev =
        previous.flatMap(
            a -> previousConfig.flatMap(c -> c.section(p)).map(s -> new Previous<>(s, a)));
    Authenticator a;
    try {
      a = p.create(section, config, prev);
    } catch (ConfigException e) {
      throw e;
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new ConfigException(p.path(), e.getMessage() == null ? "invalid" : e.getMessage());
    }
    if (a == null) {
      throw new ConfigException(p.path(), "the provider built nothing");
    }
    return a;
  }

  private static void closeOne(Authenticator a) {
    try {
      a.close();
    } catch (RuntimeException e) {
      logger.warning("closing " + a.name() + " failed: " + e.getClass().getSimpleName());
    }
  }

  private static String hash(String text) {
    return Hashing.sha256().hashString(text, StandardCharsets.UTF_8).toString();
  }

  /** Stops the watcher and closes every authenticator. */
  @Override
  public void close() {
    synchronized (reloadLock) {
      executor.shutdownNow();
      for (List<Authenticator> pending : List.copyOf(pendingClose)) {
        closeQuietly(pending);
      }
      gatehouse.close();
      // The chain holds slots; the live authenticators behind them are closed here.
      live.get().closeAll();
    }
  }

  /** A reload that would change restart-only settings. */
  private static final class PolicyCompatibilityException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PolicyCompatibilityException(String message) {
      super(message);
    }
  }

  /** Builds a {@link ConfiguredGatehouse}; {@link #build()} validates everything or throws. */
  public static final class Builder {
    private Path file;
    private final List<ServerServiceDefinition> services = new ArrayList<>();
    private final List<dev.gatehouse.policy.ModeOverride> codeOverrides = new ArrayList<>();
    private final Set<Preset> codePresets = java.util.EnumSet.noneOf(Preset.class);
    private Duration pollInterval = Duration.ofSeconds(1);
    private AuditListener auditListener;
    private final ConfigSections.Builder sections = ConfigSections.newBuilder();

    private Builder() {}

    /** The configuration file (YAML or JSON). */
    public Builder configFile(Path file) {
      this.file = requireNonNull(file, "file");
      return this;
    }

    /** Protects a service. */
    public Builder addService(BindableService service) {
      services.add(requireNonNull(service, "service").bindService());
      return this;
    }

    /** Protects a service definition. */
    public Builder addService(ServerServiceDefinition service) {
      services.add(requireNonNull(service, "service"));
      return this;
    }

    /** An override in code, in addition to the file's {@code overrides}. */
    public Builder addOverride(String methodPattern, Mode mode) {
      codeOverrides.add(dev.gatehouse.policy.ModeOverride.of(methodPattern, mode));
      return this;
    }

    /**
     * A preset in code, in addition to those the file lists: {@code addPreset(Preset.HEALTH)},
     * {@code addPreset(Preset.REFLECTION)}; see {@link Gatehouse.Builder#addPreset}.
     */
    public Builder addPreset(Preset preset) {
      codePresets.add(requireNonNull(preset, "preset"));
      return this;
    }

    /** How often the file is checked for changes (default 1 s, at most 5 s). */
    public Builder pollInterval(Duration interval) {
      requireNonNull(interval, "interval");
      if (interval.isNegative()
          || interval.isZero()
          || interval.compareTo(Duration.ofSeconds(5)) > 0) {
        throw new IllegalArgumentException("poll interval must be in (0, 5s]");
      }
      this.pollInterval = interval;
      return this;
    }

    /** Receives every decision (default: the logging listener). */
    public Builder auditListener(AuditListener listener) {
      this.auditListener = requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Registers the provider of one section of the file (explicitly; nothing is discovered).
     *
     * @throws IllegalArgumentException if a provider for the same section is already registered
     */
    public Builder addSection(ConfigSectionProvider<?> provider) {
      sections.add(provider);
      return this;
    }

    /**
     * Registers every provider of {@code sections}.
     *
     * @throws IllegalArgumentException if a provider for one section is registered twice
     */
    public Builder addSections(ConfigSections sections) {
      this.sections.addAll(sections);
      return this;
    }

    /**
     * Reads and validates the file, builds every authenticator and the chain, and starts the
     * watcher.
     *
     * @throws ConfigException naming the offending field; a section present in the file whose
     *     provider is not registered is refused naming it and the artifact that provides it
     * @throws dev.gatehouse.policy.PolicyException naming every offending method
     */
    public ConfiguredGatehouse build() {
      if (file == null) {
        throw new IllegalStateException("configFile is required");
      }
      String text = GatehouseConfig.readConfigFile(file);
      ConfigSections providers = sections.build();
      GatehouseConfig config =
          GatehouseConfig.parse(text, GatehouseConfig.baseDirOf(file), providers);
      return new ConfiguredGatehouse(this, providers, config, hash(text));
    }
  }
}
