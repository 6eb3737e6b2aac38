package dev.gatehouse.server;

import dev.gatehouse.policy.MethodPolicy;
import dev.gatehouse.policy.Mode;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.spi.TrustSource;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The per-call chain. Everything it needs was computed at build time; per call it does one map
 * lookup, runs the authenticators the method's mode calls for, checks the resolved requirements and
 * attaches the {@link AuthContext}.
 */
final class GatehouseInterceptor implements ServerInterceptor {
  private static final Logger logger = Logger.getLogger(GatehouseInterceptor.class.getName());

  /**
   * Set on calls the global form of a Gatehouse let through, to that Gatehouse's token: its
   * per-service form, registered as well, then does not run the chain a second time (the first run
   * already removed the headers it strips). Private, so nothing else can set it. It carries the
   * stamp the global form attached (null: none), so the per-service form can put it back if an
   * interceptor between the two attached another.
   */
  private static final Context.Key<Checked> CHECKED = Context.key("gatehouse-checked");

  /**
   * What the global form of the Gatehouse owning {@code token} attached to a call it let through.
   */
  private record Checked(Object token, AuthContext stamp) {}

  private final Object token;
  private final boolean global;

  private final Map<String, MethodPolicy> policies;
  private final Authenticator user;
  private final List<TrustSource> trustSources;
  private final AuditListener audit;
  private final boolean dryRun;

  /** Credential headers of the user authenticator. */
  private final List<Metadata.Key<String>> userKeys;

  /** Credential headers of the trust sources that the user authenticator does not read. */
  private final List<Metadata.Key<String>> serviceOnlyKeys;

  /** Every credential header of every authenticator: none may appear twice on a checked call. */
  private final List<Metadata.Key<String>> allCredentialKeys;

  private final List<Metadata.Key<String>> headersToRemove;

  /** The user authenticator and every trust source, in chain order. */
  private final List<Authenticator> screeners;

  /**
   * Every authenticator's name, read once at build (where names were checked to be distinct): the
   * name stamped on a caller can never change afterwards.
   */
  private final java.util.IdentityHashMap<Authenticator, String> names;

  private final String userName;

  GatehouseInterceptor(
      Map<String, MethodPolicy> policies,
      Authenticator user,
      List<TrustSource> trustSources,
      AuditListener audit,
      boolean dryRun,
      Object token,
      boolean global) {
    this.token = token;
    this.global = global;
    this.policies = policies;
    this.user = user;
    this.trustSources = trustSources;
    this.audit = audit;
    this.dryRun = dryRun;
    // Header keys are built once here: a bad header name fails the build, not every call.
    Set<String> userHeaders =
        user == null ? Set.of() : new LinkedHashSet<>(user.credentialHeaders());
    Set<String> all = new LinkedHashSet<>(userHeaders);
    Set<String> remove = new LinkedHashSet<>();
    for (TrustSource s : trustSources) {
      all.addAll(s.credentialHeaders());
      remove.addAll(s.headersToRemove());
    }
    if (user != null) {
      remove.addAll(user.headersToRemove());
    }
    Set<String> serviceOnly = new LinkedHashSet<>(all);
    serviceOnly.removeAll(userHeaders);
    this.userKeys = keys(userHeaders);
    this.serviceOnlyKeys = keys(serviceOnly);
    this.allCredentialKeys = keys(all);
    this.headersToRemove = keys(remove);
    List<Authenticator> screen = new java.util.ArrayList<>(trustSources);
    if (user != null) {
      screen.add(0, user);
    }
    this.screeners = List.copyOf(screen);
    this.names = new java.util.IdentityHashMap<>();
    for (Authenticator a : screen) {
      names.put(a, a.name());
    }
    this.userName = user == null ? null : names.get(user);
  }

  private static List<Metadata.Key<String>> keys(Set<String> names) {
    return names.stream().map(IncomingCall::key).toList();
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    Checked checked = global ? null : CHECKED.get();
    if (checked != null && checked.token() == token) {
      // Already decided by the global form. Only its own stamp may reach the handler: a context
      // attached in between (AuthContext.attachForTesting) is replaced or removed.
      AuthContext stamp = checked.stamp();
      if (AuthContext.current().orElse(null) == stamp) {
        return next.startCall(call, headers);
      }
      Context context =
          stamp != null
              ? stamp.attachTo(Context.current())
              : AuthContext.detachFrom(Context.current());
      return Contexts.interceptCall(context, call, headers, next);
    }
    long start = System.nanoTime();
    String method = call.getMethodDescriptor().getFullMethodName();
    MethodPolicy policy = policies.get(method);
    IncomingCall request = null;
    if (policy != null && policy.mode() != Mode.PUBLIC) {
      try {
        request = IncomingCall.of(method, headers, call.getAttributes());
      } catch (RuntimeException e) {
        request = null; // decide() builds it again and fails closed
      }
      if (request != null && mayWaitForKeys(policy.mode(), request)) {
        return defer(policy, method, request, start, call, headers, next);
      }
    }
    Decision decision = decideOrFail(policy, method, headers, call, request);
    if (settle(decision, policy, method, start, headers)) {
      return proceed(principalOf(decision), call, headers, next);
    }
    call.close(decision.status, new Metadata());
    return new ServerCall.Listener<ReqT>() {};
  }

  /**
   * Whether an authenticator the mode calls for might wait for a key fetch on this call (a throw
   * counts as yes). No allocation: runs on every checked call.
   */
  private boolean mayWaitForKeys(Mode mode, IncomingCall request) {
    if (mode == Mode.GATED) {
      return user != null && mayWait(user, request);
    }
    for (int i = 0; i < trustSources.size(); i++) {
      if (mayWait(trustSources.get(i), request)) {
        return true;
      }
    }
    return false;
  }

  private static boolean mayWait(Authenticator a, IncomingCall request) {
    try {
      return a.mayWaitForKeys(request);
    } catch (RuntimeException e) {
      return true;
    }
  }

  /**
   * Decides a call that might wait for a key fetch on a {@link DeferredDecisions} thread instead of
   * the calling (transport) thread: the very decision, audit event and status of the inline path,
   * applied in the call's context, with the call held by a {@link DeferredListener} meanwhile.
   */
  private <ReqT, RespT> ServerCall.Listener<ReqT> defer(
      MethodPolicy policy,
      String method,
      IncomingCall request,
      long start,
      ServerCall<ReqT, RespT> call,
      Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    Context context = Context.current();
    DeferredListener<ReqT> deferred = new DeferredListener<>(call, context);
    Runnable decide =
        context.wrap(
            () -> {
              if (deferred.cancelled()) {
                // Cancelled (or past its deadline) before its turn: no decision, no handler.
                deferred.abandon();
                return;
              }
              Decision decision;
              boolean goOn;
              try {
                decision = decideOrFail(policy, method, headers, call, request);
                goOn = settle(decision, policy, method, start, headers);
              } catch (RuntimeException e) {
                // Fail closed: a call held here must never hang.
                logger.log(
                    Level.SEVERE,
                    "gatehouse: unexpected " + e.getClass().getName() + " deciding " + method);
                deferred.deny(AuthStatus.INTERNAL_ERROR);
                return;
              }
              if (goOn) {
                AuthContext principal = principalOf(decision);
                deferred.proceed(() -> proceed(principal, call, headers, next));
              } else {
                deferred.deny(decision.status);
              }
            });
    if (DeferredDecisions.submit(decide)) {
      return deferred;
    }
    // Every deferral thread busy and the queue full: fail closed at once, never wait inline.
    Decision busy =
        Decision.deny(
            AuthStatus.KEYS_UNAVAILABLE,
            Reason.KEYS_UNAVAILABLE,
            "keys are being fetched and "
                + DeferredDecisions.QUEUE
                + " calls already wait for a decision",
            null,
            null);
    if (settle(busy, policy, method, start, headers)) {
      return proceed(principalOf(busy), call, headers, next);
    }
    call.close(busy.status, new Metadata());
    return new ServerCall.Listener<ReqT>() {};
  }

  /** {@link #decide}, any throwable failing closed as {@code INTERNAL}. */
  private Decision decideOrFail(
      MethodPolicy policy,
      String method,
      Metadata headers,
      ServerCall<?, ?> call,
      IncomingCall request) {
    try {
      return decide(policy, method, headers, call, request);
    } catch (Throwable e) {
      // Any throwable, including a checked exception thrown sneakily by an authenticator, fails
      // closed. The message of an exception from a parser may quote input; log only its type.
      logger.log(
          Level.SEVERE,
          "gatehouse: unexpected " + e.getClass().getName() + " while deciding " + method);
      return Decision.deny(
          AuthStatus.INTERNAL_ERROR,
          Reason.INTERNAL_ERROR,
          "unexpected " + e.getClass().getSimpleName(),
          null,
          null);
    }
  }

  /**
   * Removes the headers the chain strips and emits the decision's audit event; true when the call
   * goes on to the handler (allowed, or let through by dry-run).
   */
  private boolean settle(
      Decision decision, MethodPolicy policy, String method, long start, Metadata headers) {
    for (Metadata.Key<String> key : headersToRemove) {
      // discardAll rewrites the whole metadata even when the key is absent; a read first is
      // cheaper in the usual case, and removes exactly the same values.
      if (headers.containsKey(key)) {
        headers.discardAll(key);
      }
    }
    Mode mode = policy == null ? null : policy.mode();
    long nanos = System.nanoTime() - start;
    if (decision.status == null) {
      emit(method, mode, AuditEvent.Outcome.ALLOWED, Status.Code.OK, decision, nanos);
      return true;
    }
    boolean letThrough = dryRun && decision.status.getCode() != Status.Code.INTERNAL;
    emit(
        method,
        mode,
        letThrough ? AuditEvent.Outcome.WOULD_DENY : AuditEvent.Outcome.DENIED,
        decision.status.getCode(),
        decision,
        nanos);
    return letThrough;
  }

  /**
   * The principal the handler sees for a call {@link #settle} let through: a refused credential
   * never becomes a principal; an authenticated one that failed authz (dry-run) is still the
   * caller.
   */
  private static AuthContext principalOf(Decision decision) {
    if (decision.status == null || decision.status.getCode() == Status.Code.PERMISSION_DENIED) {
      return decision.principal;
    }
    return null;
  }

  private <ReqT, RespT> ServerCall.Listener<ReqT> proceed(
      AuthContext principal,
      ServerCall<ReqT, RespT> call,
      Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    Context current = Context.current();
    if (principal == null && !global && AuthContext.detachFrom(current) == current) {
      return next.startCall(call, headers);
    }
    Context context = current;
    if (global) {
      context = context.withValue(CHECKED, new Checked(token, principal));
    }
    // Only the chain's own stamp ever reaches the handler: any other context (attached by
    // AuthContext.attachForTesting before the chain) is replaced or removed.
    context = principal != null ? principal.attachTo(context) : AuthContext.detachFrom(context);
    return Contexts.interceptCall(context, call, headers, next);
  }

  private Decision decide(
      MethodPolicy policy,
      String method,
      Metadata headers,
      ServerCall<?, ?> call,
      IncomingCall built) {
    if (policy == null) {
      return Decision.deny(
          AuthStatus.ACCESS_DENIED,
          Reason.UNRESOLVED_METHOD,
          "method not resolved at startup",
          null,
          null);
    }
    if (policy.mode() == Mode.PUBLIC) {
      return Decision.PUBLIC;
    }
    IncomingCall request =
        built != null ? built : IncomingCall.of(method, headers, call.getAttributes());
    Decision screened = screen(request);
    if (screened != null) {
      return screened;
    }
    Decision authn =
        policy.mode() == Mode.GATED
            ? authenticateUser(request, headers)
            : authenticateService(request, headers);
    if (authn.status != null) {
      return authn;
    }
    AuthContext principal = authn.principal;
    if (!policy.permits(principal.roles(), principal.scopes())) {
      return Decision.deny(
          AuthStatus.ACCESS_DENIED,
          policy.requirements().isPresent() ? Reason.INSUFFICIENT_GRANTS : Reason.POLICY_DENY,
          policy.requirements().map(r -> "requires " + r).orElse("policy denies everyone"),
          principal,
          principal.trustSource());
    }
    DelegatingUserCheck.Refusal onBehalf = DelegatingUserCheck.check(policy, principal);
    if (onBehalf != null) {
      return Decision.deny(
          onBehalf.status(),
          onBehalf.reason(),
          onBehalf.detail(),
          principal,
          principal.trustSource());
    }
    return authn;
  }

  private Decision authenticateUser(IncomingCall request, Metadata headers) {
    if (user == null) {
      return Decision.deny(
          AuthStatus.MISSING_CREDENTIALS,
          Reason.MISSING_CREDENTIALS,
          "no user authenticator",
          null,
          null);
    }
    // Two values of any credential header are refused, never "first wins", whichever
    // authenticator reads it: a duplicated forwarded-identity header on a gated call is as
    // suspicious as a duplicated bearer token.
    Decision dup = refuseDuplicates(request, allCredentialKeys);
    if (dup != null) {
      return dup;
    }
    AuthResult result = user.authenticate(request);
    if (result.outcome() == AuthResult.Outcome.NO_CREDENTIAL) {
      // A service credential on a gated method is a present credential of the wrong kind.
      for (Metadata.Key<String> key : serviceOnlyKeys) {
        if (headers.containsKey(key)) {
          return Decision.deny(
              AuthStatus.INVALID_CREDENTIALS,
              Reason.WRONG_CREDENTIAL_KIND,
              "service credential on a gated method",
              null,
              userName);
        }
      }
    }
    return fromResult(result, userName, PrincipalKind.USER);
  }

  /** Every source's screen, on every checked call: a refusal stops the call. */
  private Decision screen(IncomingCall request) {
    for (Authenticator a : screeners) {
      AuthResult r = a.screen(request);
      if (r.outcome() == AuthResult.Outcome.REJECTED) {
        return Decision.deny(
            AuthStatus.INVALID_CREDENTIALS, r.reason(), r.detail(), null, names.get(a));
      }
    }
    return null;
  }

  private Decision authenticateService(IncomingCall request, Metadata headers) {
    Decision dup = refuseDuplicates(request, allCredentialKeys);
    if (dup != null) {
      return dup;
    }
    for (TrustSource source : trustSources) {
      AuthResult result = source.authenticate(request);
      if (result.outcome() != AuthResult.Outcome.NO_CREDENTIAL) {
        if (result.outcome() == AuthResult.Outcome.REJECTED
            && result.reason() == Reason.UNKNOWN_ISSUER
            && userRecognizes(request)) {
          // A user token on a header a service source also reads (authorization): the source
          // saw an issuer it does not know, but the operator needs to read "wrong kind".
          return Decision.deny(
              AuthStatus.INVALID_CREDENTIALS,
              Reason.WRONG_CREDENTIAL_KIND,
              "a user token (an issuer of "
                  + userName
                  + ") is not a service credential; internal methods take service credentials",
              null,
              names.get(source));
        }
        return fromResult(result, names.get(source), PrincipalKind.SERVICE);
      }
    }
    for (Metadata.Key<String> key : userKeys) {
      if (headers.containsKey(key)) {
        return Decision.deny(
            AuthStatus.INVALID_CREDENTIALS,
            Reason.WRONG_CREDENTIAL_KIND,
            "end-user credential on an internal method",
            null,
            userName);
      }
    }
    return Decision.deny(
        AuthStatus.MISSING_CREDENTIALS,
        Reason.MISSING_CREDENTIALS,
        "no internal trust source found a credential",
        null,
        null);
  }

  /**
   * Reads each credential header through the call's view, which keeps the values: the authenticator
   * then reads the same copy instead of decoding the header (a whole token) again.
   */
  private static Decision refuseDuplicates(IncomingCall request, List<Metadata.Key<String>> keys) {
    for (Metadata.Key<String> key : keys) {
      if (request.headerValues(key.name()).size() > 1) {
        return Decision.deny(
            AuthStatus.INVALID_CREDENTIALS,
            Reason.DUPLICATE_CREDENTIALS,
            "header " + key.name() + " has several values",
            null,
            null);
      }
    }
    return null;
  }

  /** Whether the user authenticator recognizes the request's credential; false on any failure. */
  private boolean userRecognizes(IncomingCall request) {
    if (user == null) {
      return false;
    }
    try {
      return user.recognizes(request);
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static Decision fromResult(AuthResult result, String source, PrincipalKind kind) {
    return switch (result.outcome()) {
      case NO_CREDENTIAL ->
          Decision.deny(
              AuthStatus.MISSING_CREDENTIALS,
              Reason.MISSING_CREDENTIALS,
              result.detail(),
              null,
              source);
      case REJECTED ->
          Decision.deny(
              AuthStatus.INVALID_CREDENTIALS, result.reason(), result.detail(), null, source);
      case UNAVAILABLE ->
          Decision.deny(
              AuthStatus.KEYS_UNAVAILABLE, Reason.KEYS_UNAVAILABLE, result.detail(), null, source);
      case AUTHENTICATED ->
          // The slot decides the kind and the source's own name is stamped: a source cannot
          // present a user as a service or speak for another source.
          Decision.allow(AuthContext.stamp(result.principal().orElseThrow(), kind, source), source);
      default -> throw new AssertionError(result.outcome());
    };
  }

  private void emit(
      String method,
      Mode mode,
      AuditEvent.Outcome outcome,
      Status.Code code,
      Decision d,
      long nanos) {
    try {
      // No event is built for a decision the listener would not record (the default listener
      // logs allowed calls at FINE, usually off).
      if (!audit.records(outcome)) {
        return;
      }
      audit.onDecision(
          new AuditEvent(
              method, mode, outcome, code, d.reason, d.detail, d.principal, d.source, nanos));
    } catch (Throwable e) {
      // The listener cannot change the decision, not even with an Error or a checked exception
      // thrown sneakily; only the JVM's own fatal errors go on.
      if (e instanceof VirtualMachineError vme) {
        throw vme;
      }
      logger.log(Level.WARNING, "gatehouse: audit listener threw " + e.getClass().getName());
    }
  }

  /** The result of the authenticate and authorize stages; {@code status} null means allowed. */
  private static final class Decision {
    /** A public method: allowed, no principal; immutable, so shared by every such call. */
    static final Decision PUBLIC = allow(null, null);

    final Status status;
    final Reason reason;
    final String detail;
    final AuthContext principal;
    final String source;

    private Decision(
        Status status, Reason reason, String detail, AuthContext principal, String source) {
      this.status = status;
      this.reason = reason;
      this.detail = detail;
      this.principal = principal;
      this.source = source;
    }

    static Decision allow(AuthContext principal, String source) {
      return new Decision(null, Reason.OK, "", principal, source);
    }

    static Decision deny(
        Status status, Reason reason, String detail, AuthContext principal, String source) {
      return new Decision(status, reason, detail, principal, source);
    }
  }
}
