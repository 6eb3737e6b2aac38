package dev.gatehouse.trust.config;

import static java.util.Objects.requireNonNull;

import com.google.common.hash.Hashing;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.GatehouseConfig;
import dev.gatehouse.policy.Mode;
import dev.gatehouse.server.AuditListener;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.TrustSource;
import io.grpc.BindableService;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A Gatehouse chain wired from the configuration file, reloaded when the file's content changes.
 *
 * <pre>{@code
 * ConfiguredGatehouse gatehouse = ConfiguredGatehouse.newBuilder()
 *     .configFile(Path.of("/etc/gatehouse/gatehouse.yaml"))
 *     .addService(new TripService())
 *     .build();                       // parses, validates and builds everything, or throws
 * Server server = gatehouse.addTo(ServerBuilder.forPort(8443)).build().start();
 * }</pre>
 *
 * <p>Everything is validated before {@link Builder#build()} returns, so a server that builds the
 * chain before binding its port never listens with a bad file. The file is polled by content hash
 * (so Kubernetes ConfigMap symlink swaps are seen); a valid change of issuers, allow-lists, roles
 * or scopes takes effect within the poll interval (default 1 s), an invalid one is logged and the
 * last good configuration keeps serving. {@code service_name}, {@code dev_mode}, {@code dry_run},
 * {@code overrides}, {@code shared_secret}, header names and which sources exist change only on
 * restart: a reload that changes them is refused as a whole and logged.
 */
public final class ConfiguredGatehouse implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(ConfiguredGatehouse.class.getName());
  private static final Duration CLOSE_GRACE = Duration.ofSeconds(30);

  private final Path file;
  private final ComponentFactory factory;
  private final Gatehouse gatehouse;
  private final Optional<SwappableAuthenticator> userSlot;
  private final Map<String, SwappableAuthenticator> sourceSlots;
  private final ScheduledExecutorService executor;
  private final Object reloadLock = new Object();
  private volatile GatehouseConfig current;
  private volatile String lastHash;

  private ConfiguredGatehouse(Builder b, GatehouseConfig config, String hash) {
    this.file = b.file;
    this.factory = b.factory;
    this.current = config;
    this.lastHash = hash;
    Components components = create(factory, config);
    this.userSlot = components.user().map(SwappableAuthenticator::of);
    Map<String, SwappableAuthenticator> slots = new LinkedHashMap<>();
    components.trustSources().forEach((n, s) -> slots.put(n, SwappableAuthenticator.of(s)));
    this.sourceSlots = slots;
    Gatehouse.Builder gb = Gatehouse.newBuilder().dryRun(config.dryRun());
    b.services.forEach(gb::addService);
    for (GatehouseConfig.OverrideConfig o : config.overrides()) {
      gb.addOverride(
          o.method(),
          o.mode() == GatehouseConfig.OverrideMode.PUBLIC ? Mode.PUBLIC : Mode.INTERNAL);
    }
    b.codeOverrides.forEach(gb::addOverride);
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
    executor.scheduleWithFixedDelay(this::poll, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The chain. */
  public Gatehouse gatehouse() {
    return gatehouse;
  }

  /** Registers the protected services on {@code serverBuilder} and returns it. */
  public <T extends ServerBuilder<T>> T addTo(T serverBuilder) {
    return gatehouse.addTo(serverBuilder);
  }

  /** The protected services. */
  public List<ServerServiceDefinition> services() {
    return gatehouse.services();
  }

  /** The configuration now serving. */
  public GatehouseConfig currentConfig() {
    return current;
  }

  /**
   * Re-reads the file now (the watcher does this on its own).
   *
   * @return true if a new configuration was applied
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
      if (hash.equals(lastHash)) {
        return false;
      }
      lastHash = hash;
      try {
        GatehouseConfig next = GatehouseConfig.parse(text, GatehouseConfig.baseDirOf(file));
        apply(next);
        return true;
      } catch (ConfigException | PolicyCompatibilityException e) {
        logger.warning(
            "gatehouse config reload refused: " + e.getMessage() + "; keeping the last good one");
        return false;
      } catch (RuntimeException e) {
        logger.warning(
            "gatehouse config reload refused ("
                + e.getClass().getSimpleName()
                + "); keeping the last good one");
        return false;
      }
    }
  }

  private void poll() {
    try {
      reloadNow();
    } catch (RuntimeException e) {
      logger.log(Level.WARNING, "gatehouse config watcher: " + e.getClass().getSimpleName());
    }
  }

  private void apply(GatehouseConfig next) {
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
    if (!cur.sharedSecret().equals(next.sharedSecret())) {
      restartOnly.add("internal.shared_secret");
    }
    if (!restartOnly.isEmpty()) {
      throw new PolicyCompatibilityException(
          String.join(", ", restartOnly) + " changed; these take effect only on restart");
    }
    Components built = create(factory, next);
    try {
      if (built.user().isPresent() != userSlot.isPresent()
          || !built.trustSources().keySet().equals(sourceSlots.keySet())) {
        throw new PolicyCompatibilityException(
            "adding or removing user_jwt or a trust source needs a restart");
      }
      // Validate every replacement before swapping any, so a reload is all or nothing.
      userSlot.ifPresent(s -> check(s, built.user().get()));
      sourceSlots.forEach((n, s) -> check(s, built.trustSources().get(n)));
    } catch (RuntimeException e) {
      built.closeAll();
      throw e;
    }
    List<Authenticator> old = new ArrayList<>();
    userSlot.ifPresent(s -> old.add(s.swap(built.user().get())));
    sourceSlots.forEach((n, s) -> old.add(s.swap(built.trustSources().get(n))));
    current = next;
    logger.info("gatehouse config reloaded from " + file);
    if (!executor.isShutdown()) {
      executor.schedule(
          () -> old.forEach(Authenticator::close), CLOSE_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private static void check(SwappableAuthenticator slot, Authenticator next) {
    Authenticator cur = slot.current();
    if (!cur.name().equals(next.name())
        || !cur.credentialHeaders().equals(next.credentialHeaders())
        || !cur.headersToRemove().equals(next.headersToRemove())) {
      throw new PolicyCompatibilityException(
          "a header name or format of " + cur.name() + " changed; that needs a restart");
    }
  }

  private static Components create(ComponentFactory factory, GatehouseConfig config) {
    try {
      return factory.create(config);
    } catch (ConfigException e) {
      throw e;
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new ConfigException(
          "", e.getMessage() == null ? "invalid configuration" : e.getMessage());
    }
  }

  private static String hash(String text) {
    return Hashing.sha256().hashString(text, java.nio.charset.StandardCharsets.UTF_8).toString();
  }

  /** Stops the watcher and closes every authenticator. */
  @Override
  public void close() {
    executor.shutdownNow();
    gatehouse.close();
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
    private Duration pollInterval = Duration.ofSeconds(1);
    private AuditListener auditListener;
    private ComponentFactory factory = ConfigComponents::create;

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

    Builder factory(ComponentFactory factory) {
      this.factory = requireNonNull(factory, "factory");
      return this;
    }

    /**
     * Reads and validates the file, builds every authenticator and the chain, and starts the
     * watcher.
     *
     * @throws ConfigException naming the offending field
     * @throws dev.gatehouse.policy.PolicyException naming every offending method
     */
    public ConfiguredGatehouse build() {
      if (file == null) {
        throw new IllegalStateException("configFile is required");
      }
      String text = GatehouseConfig.readConfigFile(file);
      GatehouseConfig config = GatehouseConfig.parse(text, GatehouseConfig.baseDirOf(file));
      return new ConfiguredGatehouse(this, config, hash(text));
    }
  }
}
