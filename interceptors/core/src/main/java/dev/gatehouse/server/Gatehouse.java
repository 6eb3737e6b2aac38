package dev.gatehouse.server;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.Descriptors.ServiceDescriptor;
import dev.gatehouse.policy.MethodPolicy;
import dev.gatehouse.policy.Mode;
import dev.gatehouse.policy.ModeOverride;
import dev.gatehouse.policy.Origin;
import dev.gatehouse.policy.PolicyException;
import dev.gatehouse.policy.PolicyResolver;
import dev.gatehouse.policy.Preset;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.IssuerBound;
import dev.gatehouse.spi.TrustSource;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The Gatehouse server chain: one object, built once, that sees the services it protects.
 *
 * <pre>{@code
 * Gatehouse gatehouse = Gatehouse.newBuilder()
 *     .addService(new TripService())
 *     .userAuthenticator(UserJwtAuthenticator.newBuilder()...build())
 *     .addTrustSource(meshIdentity)
 *     .build();                                   // validates every method, or throws
 * Server server = gatehouse.addTo(ServerBuilder.forPort(8443)).build().start();
 * }</pre>
 *
 * <p>{@link Builder#build()} resolves every method's policy from the proto options and refuses to
 * build (a {@link PolicyException} naming every offending method) on any misconfiguration. Each
 * call then runs the fixed stages: error handler, authenticate (user JWT for gated methods,
 * internal trust sources in order for internal ones, nothing for public ones), proto-authz, attach
 * {@link AuthContext}, service.
 *
 * <p>Two ways to put it in front of the services, and one check that nothing is served around it:
 *
 * <ul>
 *   <li>{@link #addTo(ServerBuilder)} registers the protected services. A service registered again
 *       afterwards ({@code serverBuilder.addService(impl)}, as frameworks that bind every service
 *       bean do) replaces the protected definition;
 *   <li>{@link #serverInterceptor()} is the global form for {@code ServerBuilder.intercept} and
 *       frameworks' global interceptors: it sees every call to every service, however registered,
 *       and refuses any method it did not resolve at build time;
 *   <li>{@link #verify(Server)} fails, naming them, when a method on the started server is not
 *       resolved or (without the global form) is served by a definition other than the protected
 *       one. Call it once after {@code start()}.
 * </ul>
 */
public final class Gatehouse implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(Gatehouse.class.getName());

  /** Above this many methods, the per-method policy lines go to FINE. */
  static final int PER_METHOD_INFO_LIMIT = 200;

  /** The most unannotated methods the startup WARNING names. */
  static final int UNANNOTATED_LISTED = 50;

  private final List<ServerServiceDefinition> services;
  private final Map<String, MethodPolicy> policies;
  private final List<Authenticator> authenticators;
  private final ServerInterceptor global;
  private final AtomicBoolean globalHandedOut = new AtomicBoolean();

  private Gatehouse(
      List<ServerServiceDefinition> services,
      Map<String, MethodPolicy> policies,
      List<Authenticator> authenticators,
      ServerInterceptor global) {
    this.services = services;
    this.policies = policies;
    this.authenticators = authenticators;
    this.global = global;
  }

  /**
   * The handlers of the protected definitions, by identity. Only {@link #verify} reads them, so
   * they are gathered there rather than at build time; the definitions never change.
   */
  private Set<ServerCallHandler<?, ?>> protectedHandlers() {
    Set<ServerCallHandler<?, ?>> handlers =
        java.util.Collections.newSetFromMap(new IdentityHashMap<>(policies.size()));
    for (ServerServiceDefinition def : services) {
      for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
        handlers.add(m.getServerCallHandler());
      }
    }
    return handlers;
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The protected services, each wrapped by the chain. */
  public List<ServerServiceDefinition> services() {
    return services;
  }

  /** Registers every protected service on {@code serverBuilder} and returns it. */
  public <T extends ServerBuilder<T>> T addTo(T serverBuilder) {
    requireNonNull(serverBuilder, "serverBuilder");
    for (ServerServiceDefinition service : services) {
      serverBuilder.addService(service);
    }
    return serverBuilder;
  }

  /**
   * The chain as one global interceptor, for {@code ServerBuilder.intercept(...)} or a framework's
   * global server interceptors. It runs for every call to every service on the server, however the
   * service was registered, and refuses ({@code PERMISSION_DENIED}) any method it did not resolve
   * at build time. Register it before any other interceptor that reads the caller's identity. When
   * the protected {@link #services()} are registered too, the chain runs once.
   */
  public ServerInterceptor serverInterceptor() {
    globalHandedOut.set(true);
    return global;
  }

  /**
   * Checks the started {@code server}: every method it serves must be one this Gatehouse resolved
   * at build time, and, unless the {@linkplain #serverInterceptor() global form} was taken, must be
   * served by the protected definition {@link #addTo(ServerBuilder)} registered (not by a plain
   * registration of the same service that replaced it).
   *
   * @throws PolicyException naming every method served around the chain or not resolved
   */
  public void verify(Server server) {
    requireNonNull(server, "server");
    List<String> problems = new ArrayList<>();
    boolean globalForm = globalHandedOut.get();
    Set<ServerCallHandler<?, ?>> protectedHandlers = protectedHandlers();
    for (ServerServiceDefinition def : server.getServices()) {
      for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
        String method = m.getMethodDescriptor().getFullMethodName();
        if (!policies.containsKey(method)) {
          problems.add(
              method
                  + ": served but not resolved by Gatehouse (add its service to the Gatehouse"
                  + " builder)");
        } else if (!globalForm && !protectedHandlers.contains(m.getServerCallHandler())) {
          problems.add(
              method
                  + ": served around the chain (service "
                  + def.getServiceDescriptor().getName()
                  + " was registered again after gatehouse.addTo; register it only through"
                  + " Gatehouse, or use gatehouse.serverInterceptor())");
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new PolicyException(problems);
    }
  }

  /** The resolved policy of every protected method, by full method name. */
  public Map<String, MethodPolicy> policies() {
    return policies;
  }

  /** Closes the authenticators (background refresh threads). */
  @Override
  public void close() {
    for (Authenticator a : authenticators) {
      try {
        a.close();
      } catch (RuntimeException e) {
        logger.log(Level.WARNING, "closing authenticator " + a.name() + " failed", e);
      }
    }
  }

  /** Builds a {@link Gatehouse}; {@link #build()} validates everything or throws. */
  public static final class Builder {
    // The startup lines name their source (the class and method the logger would otherwise infer,
    // so they read the same): inferring it walks the stack, and the first record of a JVM pays for
    // setting that machinery up.
    private static final String SOURCE = Builder.class.getName();

    private final List<ServerServiceDefinition> services = new ArrayList<>();
    private final List<ModeOverride> overrides = new ArrayList<>();
    private final Set<Preset> presets = java.util.EnumSet.noneOf(Preset.class);
    private final List<TrustSource> trustSources = new ArrayList<>();
    private Authenticator userAuthenticator;
    private AuditListener auditListener = AuditListener.logging();
    private boolean dryRun;

    private Builder() {}

    /** Protects a service. */
    public Builder addService(BindableService service) {
      return addService(requireNonNull(service, "service").bindService());
    }

    /** Protects a service definition (it must come from protoc-generated code). */
    public Builder addService(ServerServiceDefinition service) {
      services.add(requireNonNull(service, "service"));
      return this;
    }

    /**
     * Declares the mode of methods of a service without Gatehouse options, e.g. {@code
     * addOverride("grpc.health.v1.Health/*", Mode.PUBLIC)}.
     */
    public Builder addOverride(String methodPattern, Mode mode) {
      overrides.add(ModeOverride.of(methodPattern, mode));
      return this;
    }

    /** Adds an override. */
    public Builder addOverride(ModeOverride override) {
      overrides.add(requireNonNull(override, "override"));
      return this;
    }

    /**
     * Applies a preset for a standard service registered without Gatehouse options: {@code
     * addPreset(Preset.HEALTH)} makes {@code grpc.health.v1.Health} public, {@code
     * addPreset(Preset.REFLECTION)} makes server reflection (v1 and v1alpha) internal. An explicit
     * {@link #addOverride override} of a method wins over the preset; a preset whose services are
     * not registered is logged as a warning at {@link #build()}. Adding a preset twice is the same
     * as once.
     */
    public Builder addPreset(Preset preset) {
      presets.add(requireNonNull(preset, "preset"));
      return this;
    }

    /** The authenticator of end users (gated methods): usually the user-JWT authenticator. */
    public Builder userAuthenticator(Authenticator authenticator) {
      this.userAuthenticator = requireNonNull(authenticator, "authenticator");
      return this;
    }

    /** Adds an internal trust source; sources are tried in the order added. */
    public Builder addTrustSource(TrustSource source) {
      trustSources.add(requireNonNull(source, "source"));
      return this;
    }

    /**
     * Receives every decision. The default ({@link AuditListener#logging()}) writes at most one
     * line per decision: allowed calls at FINE (so not at the usual INFO level), refusals at INFO
     * and dry-run refusals at WARNING, refusals rate-limited per method and reason.
     */
    public Builder auditListener(AuditListener listener) {
      this.auditListener = requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Dry-run: refusals are logged and audited as WOULD_DENY and the call goes through; a refused
     * credential never becomes an {@link AuthContext}. For rolling Gatehouse out; never in
     * production for long.
     */
    public Builder dryRun(boolean dryRun) {
      this.dryRun = dryRun;
      return this;
    }

    private void checkAuthenticators(List<String> problems) {
      List<Authenticator> all = new ArrayList<>(trustSources);
      if (userAuthenticator != null) {
        all.add(userAuthenticator);
      }
      Set<String> names = new HashSet<>();
      for (Authenticator a : all) {
        String name = a.name();
        if (name == null || name.isBlank()) {
          problems.add("an authenticator of type " + a.getClass().getName() + " has no name");
        } else if (!names.add(name)) {
          problems.add(
              "authenticator name "
                  + name
                  + " is used twice; AuthContext.trustSource() would be ambiguous");
        }
        checkHeaders(problems, a, "credential", a.credentialHeaders());
        checkHeaders(problems, a, "removed", a.headersToRemove());
      }
      // A credential a source refuses stops the chain, so a later source reading the same header
      // could never see it: two trust sources on one header is a misconfiguration.
      Map<String, String> readers = new HashMap<>();
      for (TrustSource t : trustSources) {
        if (t.credentialHeaders() == null) {
          continue;
        }
        for (String h : t.credentialHeaders()) {
          String earlier = readers.putIfAbsent(h, t.name());
          if (earlier != null) {
            problems.add(
                "trust sources "
                    + earlier
                    + " and "
                    + t.name()
                    + " both read header "
                    + h
                    + "; a credential "
                    + earlier
                    + " refuses would never reach "
                    + t.name()
                    + " (give one of them its own header)");
          }
        }
      }
    }

    private static void checkHeaders(
        List<String> problems, Authenticator a, String what, Set<String> headers) {
      if (headers == null) {
        problems.add("authenticator " + a.name() + " returns no " + what + " header set");
        return;
      }
      for (String h : headers) {
        try {
          IncomingCall.key(requireNonNull(h, "header"));
        } catch (RuntimeException e) {
          problems.add("authenticator " + a.name() + ": invalid " + what + " header name " + h);
        }
      }
    }

    /**
     * One line per method (INFO up to {@value #PER_METHOD_INFO_LIMIT} methods, FINE above, so a
     * server with thousands of methods starts quickly), one INFO summary, and one WARNING listing
     * the methods nothing was written for (denied to everyone by default).
     */
    @SuppressWarnings("UnnecessaryStringBuilder") // see the summary line
    private static void logPolicies(java.util.Collection<MethodPolicy> policies) {
      java.util.logging.Level perMethod =
          policies.size() > PER_METHOD_INFO_LIMIT ? Level.FINE : Level.INFO;
      boolean logEach = logger.isLoggable(perMethod);
      int publicCount = 0;
      int internalCount = 0;
      int gatedCount = 0;
      List<String> unannotated = new ArrayList<>();
      for (MethodPolicy p : policies) {
        if (logEach) {
          logger.logp(perMethod, SOURCE, "logPolicies", "gatehouse policy " + p.describe());
        }
        Mode mode = p.mode();
        if (mode == Mode.PUBLIC) {
          publicCount++;
        } else if (mode == Mode.INTERNAL) {
          internalCount++;
        } else if (mode == Mode.GATED) {
          gatedCount++;
        }
        if (isUnannotated(p)) {
          unannotated.add(p.fullMethodName());
        }
      }
      // A StringBuilder rather than +: this line is built once per build, and a + here would pay
      // its invokedynamic bootstrap on the first build of a JVM, costing more than the line.
      logger.logp(
          Level.INFO,
          SOURCE,
          "logPolicies",
          new StringBuilder("gatehouse: ")
              .append(policies.size())
              .append(" methods resolved: ")
              .append(publicCount)
              .append(" public, ")
              .append(internalCount)
              .append(" internal, ")
              .append(gatedCount)
              .append(" gated")
              .toString());
      if (!unannotated.isEmpty()) {
        int shown = Math.min(unannotated.size(), UNANNOTATED_LISTED);
        logger.logp(
            Level.WARNING,
            SOURCE,
            "logPolicies",
            "gatehouse: "
                + unannotated.size()
                + " methods have no auth annotation and are denied to everyone: "
                + String.join(", ", unannotated.subList(0, shown))
                + (shown < unannotated.size()
                    ? " and " + (unannotated.size() - shown) + " more"
                    : ""));
      }
    }

    // Per-method helpers, not loop bodies inside build(): a method called once per served method is
    // compiled early in a cold JVM, while build() itself runs once and stays interpreted.
    private static boolean inDescriptor(ServerMethodDefinition<?, ?> m, Set<String> own) {
      String bare = m.getMethodDescriptor().getBareMethodName();
      // The service's own methods only. findMethodByName searches the file's whole pool, where a
      // dependency declaring a service of the same full name can lend a method the policy was
      // never resolved for.
      return bare != null && own.contains(bare);
    }

    private static Set<String> methodNames(ServiceDescriptor d) {
      Set<String> names = new HashSet<>();
      for (com.google.protobuf.Descriptors.MethodDescriptor m : d.getMethods()) {
        names.add(m.getName());
      }
      return names;
    }

    /** Nothing was written for this method: its mode and its rule both come from the default. */
    private static boolean isUnannotated(MethodPolicy p) {
      return p.modeOrigin() == Origin.DEFAULT && p.ruleOrigin().orElse(null) == Origin.DEFAULT;
    }

    /**
     * Resolves every method and builds the chain.
     *
     * @throws PolicyException naming every offending method on any misconfiguration
     */
    public Gatehouse build() {
      if (services.isEmpty()) {
        throw new PolicyException(List.of("no service to protect"));
      }
      List<String> problems = new ArrayList<>();
      List<ServiceDescriptor> descriptors = new ArrayList<>();
      Set<String> serviceNames = new HashSet<>();
      for (ServerServiceDefinition def : services) {
        String name = def.getServiceDescriptor().getName();
        if (!serviceNames.add(name)) {
          problems.add(name + ": service added twice");
        }
        Object schema = def.getServiceDescriptor().getSchemaDescriptor();
        if (!(schema instanceof ProtoServiceDescriptorSupplier supplier)) {
          for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
            problems.add(
                m.getMethodDescriptor().getFullMethodName()
                    + ": service "
                    + name
                    + " has no protobuf schema descriptor, so its policy cannot be read");
          }
          if (def.getMethods().isEmpty()) {
            problems.add(name + ": has no protobuf schema descriptor");
          }
          continue;
        }
        ServiceDescriptor descriptor = supplier.getServiceDescriptor();
        descriptors.add(descriptor);
        // Every served method must be one the policy was resolved for, by the very name calls
        // carry; anything else would only be denied per call, so refuse it here.
        boolean sameName = name.equals(descriptor.getFullName());
        Set<String> own = methodNames(descriptor);
        for (ServerMethodDefinition<?, ?> m : def.getMethods()) {
          if (!sameName || !inDescriptor(m, own)) {
            problems.add(
                m.getMethodDescriptor().getFullMethodName()
                    + ": not a method of its proto descriptor "
                    + descriptor.getFullName()
                    + ", so its policy cannot be read");
          }
        }
      }
      // A repeated override is reported here, and resolution still runs on the distinct ones so
      // that one exception names every other offending method too.
      List<ModeOverride> distinct = new ArrayList<>();
      Set<String> patterns = new HashSet<>();
      for (ModeOverride o : overrides) {
        if (patterns.add(o.pattern())) {
          distinct.add(o);
        } else if (problems.stream().noneMatch(p -> p.endsWith("declared twice: " + o.pattern()))) {
          problems.add("override declared twice: " + o.pattern());
        }
      }
      // resolve returns a new map each call, referenced by nothing else: this build owns it.
      Map<String, MethodPolicy> policies = Map.of();
      PolicyResolver resolver = PolicyResolver.create(distinct, presets);
      try {
        policies = resolver.resolve(descriptors);
      } catch (PolicyException e) {
        problems.addAll(e.problems());
      }
      checkAuthenticators(problems);
      List<String> internalWithoutSource = new ArrayList<>();
      List<String> gatedWithoutUser = new ArrayList<>();
      // With a trust source and a user authenticator configured, neither list can get an entry.
      if (trustSources.isEmpty() || userAuthenticator == null) {
        for (MethodPolicy p : policies.values()) {
          if (p.mode() == Mode.INTERNAL && trustSources.isEmpty()) {
            internalWithoutSource.add(p.fullMethodName());
          }
          if (p.mode() == Mode.GATED && !p.deniesEveryone() && userAuthenticator == null) {
            gatedWithoutUser.add(p.fullMethodName());
          }
        }
      }
      for (String m : internalWithoutSource) {
        problems.add(m + ": internal method but no internal trust source is configured");
      }
      for (String m : gatedWithoutUser) {
        problems.add(m + ": gated method but no user-JWT issuer is configured");
      }
      if (userAuthenticator instanceof TrustSource) {
        problems.add(
            "user authenticator " + userAuthenticator.name() + " is an internal trust source");
      }
      if (userAuthenticator instanceof IssuerBound) {
        Set<String> userIssuers = ((IssuerBound) userAuthenticator).issuers();
        for (TrustSource source : trustSources) {
          if (source instanceof IssuerBound issuerBound) {
            for (String issuer : issuerBound.issuers()) {
              if (userIssuers.contains(issuer)) {
                problems.add(
                    "issuer "
                        + issuer
                        + " is trusted both for end-user JWTs ("
                        + userAuthenticator.name()
                        + ") and by internal trust source "
                        + source.name());
              }
            }
          }
        }
      }
      if (!problems.isEmpty()) {
        throw new PolicyException(problems);
      }

      logPolicies(policies.values());
      List<String> ignored = resolver.notRegistered(descriptors);
      if (!ignored.isEmpty()) {
        logger.logp(
            Level.WARNING,
            SOURCE,
            "build",
            "gatehouse: ignored, this server does not register their services: "
                + String.join(", ", ignored));
      }
      // Only methods of the reflection services can be named: those services are looked at, in
      // the order they were resolved (every method of every descriptor has a policy by now).
      List<String> publicReflection = new ArrayList<>();
      for (ServiceDescriptor d : descriptors) {
        if (Preset.REFLECTION.covers(d.getFullName())) {
          for (com.google.protobuf.Descriptors.MethodDescriptor m : d.getMethods()) {
            String method = d.getFullName() + "/" + m.getName();
            MethodPolicy p = policies.get(method);
            if (p != null && p.mode() == Mode.PUBLIC) {
              publicReflection.add(method);
            }
          }
        }
      }
      if (!publicReflection.isEmpty()) {
        logger.logp(
            Level.WARNING,
            SOURCE,
            "build",
            "gatehouse: server reflection is PUBLIC by an explicit override: anyone can list this"
                + " server's services and methods ("
                + String.join(", ", publicReflection)
                + ")");
      }
      if (dryRun) {
        logger.logp(
            Level.WARNING,
            SOURCE,
            "build",
            "GATEHOUSE DRY-RUN IS ON: calls that would be refused are logged and let through."
                + " Do not run like this in production.");
      }
      List<Authenticator> all = new ArrayList<>(trustSources);
      if (userAuthenticator != null) {
        all.add(userAuthenticator);
      }
      Object token = new Object();
      // One immutable copy serves both interceptors.
      Map<String, MethodPolicy> frozen = Map.copyOf(policies);
      GatehouseInterceptor interceptor =
          new GatehouseInterceptor(
              frozen,
              userAuthenticator,
              List.copyOf(trustSources),
              auditListener,
              dryRun,
              token,
              false);
      GatehouseInterceptor global =
          new GatehouseInterceptor(
              frozen,
              userAuthenticator,
              List.copyOf(trustSources),
              auditListener,
              dryRun,
              token,
              true);
      List<ServerServiceDefinition> wrapped = new ArrayList<>();
      for (ServerServiceDefinition def : services) {
        wrapped.add(ServerInterceptors.intercept(def, interceptor));
      }
      return new Gatehouse(
          List.copyOf(wrapped),
          java.util.Collections.unmodifiableMap(policies),
          List.copyOf(all),
          global);
    }
  }
}
