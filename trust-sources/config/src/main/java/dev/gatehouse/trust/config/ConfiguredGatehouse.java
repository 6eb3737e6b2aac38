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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  private static final Duration RETRY_FAILED = Duration.ofSeconds(30);
  private static final String MESH = "mesh_identity";
  private static final String SIGNED_TOKEN = "signed_token";
  private static final String SHARED_SECRET = "shared_secret";
  private static final String PEER = "peer_certificate";
  private static final String SPIFFE_JWT = "spiffe_jwt";
  private static final Set<String> ALL_SECTIONS =
      Set.of(Components.USER_JWT, PEER, MESH, SPIFFE_JWT, SIGNED_TOKEN, SHARED_SECRET);

  private final Path file;
  private final ComponentFactory factory;
  private final Gatehouse gatehouse;
  private final AtomicReference<Components> live;
  private final Optional<Slot> userSlot;
  private final Map<String, Slot> sourceSlots;
  private final ScheduledExecutorService executor;
  private final Object reloadLock = new Object();
  private final List<List<Authenticator>> pendingClose = new CopyOnWriteArrayList<>();
  private volatile GatehouseConfig current;
  private volatile String lastHash;
  private volatile String lastCaHash;
  private volatile long retryFailedAtNanos = Long.MAX_VALUE;

  private ConfiguredGatehouse(Builder b, GatehouseConfig config, String hash) {
    this.file = b.file;
    this.factory = b.factory;
    this.current = config;
    this.lastHash = hash;
    this.lastCaHash = caFilesHash(config);
    Components components = create(factory, config, ALL_SECTIONS, Optional.empty());
    this.live = new AtomicReference<>(components);
    this.userSlot = components.user().map(u -> Slot.user(u, live));
    Map<String, Slot> slots = new LinkedHashMap<>();
    components.trustSources().forEach((n, s) -> slots.put(n, Slot.source(s, live)));
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
    // poll() catches and logs its own failures, so the periodic task is never cancelled by one.
    var unused = executor.scheduleWithFixedDelay(this::poll, ms, ms, TimeUnit.MILLISECONDS);
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
      // peer_certificate's CA files are read once per build: a changed file (a CA removed after
      // a compromise) must rebuild the source even when the YAML itself did not change.
      String caHash = caFilesHash(current);
      boolean caFilesChanged = !caHash.equals(lastCaHash);
      if (hash.equals(lastHash) && !caFilesChanged && System.nanoTime() < retryFailedAtNanos) {
        return false;
      }
      lastHash = hash;
      lastCaHash = caHash;
      retryFailedAtNanos = Long.MAX_VALUE;
      try {
        GatehouseConfig next = GatehouseConfig.parse(text, GatehouseConfig.baseDirOf(file));
        apply(next, caFilesChanged);
        lastCaHash = caFilesHash(next);
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
    } catch (RuntimeException e) {
      logger.log(Level.WARNING, "gatehouse config watcher: " + e.getClass().getSimpleName());
    }
  }

  private void apply(GatehouseConfig next, boolean caFilesChanged) {
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
    if (next.userJwt().isPresent() != cur.userJwt().isPresent()
        || !sectionsOf(next).equals(sectionsOf(cur))) {
      throw new PolicyCompatibilityException(
          "adding or removing user_jwt or a trust source needs a restart");
    }
    // Rebuild only what changed: an unchanged source keeps its key cache (it may be riding out a
    // JWKS outage), its replay cache and the secret it was started with.
    Set<String> changed = new HashSet<>();
    boolean skewChanged = !cur.clockSkew().equals(next.clockSkew());
    if (skewChanged || !cur.userJwt().equals(next.userJwt())) {
      changed.add(Components.USER_JWT);
    }
    if (!cur.meshIdentity().equals(next.meshIdentity())) {
      changed.add(MESH);
    }
    if (caFilesChanged || !cur.peerCertificate().equals(next.peerCertificate())) {
      changed.add(PEER);
    }
    if (skewChanged || !cur.spiffeJwt().equals(next.spiffeJwt())) {
      changed.add(SPIFFE_JWT);
    }
    if (skewChanged || !cur.signedToken().equals(next.signedToken())) {
      changed.add(SIGNED_TOKEN);
    }
    Components old = live.get();
    Components built =
        create(factory, next, changed, Optional.of(new ComponentFactory.Previous(cur, old)));
    Components merged;
    try {
      Optional<Authenticator> user = old.user();
      if (changed.contains(Components.USER_JWT) && userSlot.isPresent()) {
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
    // Close what the factory built but the merge did not take (a section it was not asked for).
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

  /** A digest of the contents of every {@code peer_certificate} CA file of {@code c}. */
  private static String caFilesHash(GatehouseConfig c) {
    StringBuilder all = new StringBuilder();
    c.peerCertificate()
        .ifPresent(
            p ->
                p.trustBundles()
                    .forEach(
                        b -> {
                          all.append(b.trustDomain()).append('\u0000');
                          try {
                            all.append(Hashing.sha256().hashBytes(Files.readAllBytes(b.caFile())));
                          } catch (IOException e) {
                            all.append("unreadable");
                          }
                          all.append('\u0000');
                        }));
    return hash(all.toString());
  }

  private static Set<String> sectionsOf(GatehouseConfig c) {
    Set<String> out = new HashSet<>();
    c.meshIdentity().ifPresent(x -> out.add(MESH));
    c.signedToken().ifPresent(x -> out.add(SIGNED_TOKEN));
    c.sharedSecret().ifPresent(x -> out.add(SHARED_SECRET));
    c.peerCertificate().ifPresent(x -> out.add(PEER));
    c.spiffeJwt().ifPresent(x -> out.add(SPIFFE_JWT));
    return out;
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

  private static Components create(
      ComponentFactory factory,
      GatehouseConfig config,
      Set<String> sections,
      Optional<ComponentFactory.Previous> previous) {
    try {
      return factory.create(config, sections, previous);
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
