package dev.gatehouse.testkit;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.PrincipalKind;
import dev.gatehouse.spi.Principal;
import io.grpc.Context;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Runs a block of code as a given caller, so that a handler called directly in a unit test, without
 * a server, sees an {@link AuthContext} through {@code AuthContext.current()} / {@code require()}.
 *
 * <pre>{@code
 * TestCaller.user("alice").roles("driver").run(() -> service.startTrip(request, observer));
 * Trip trip = TestCaller.service("spiffe://example.org/ns/trips/sa/worker").call(() -> repo.load(id));
 * }</pre>
 *
 * <p>The context lives only inside {@link #run} / {@link #call} on the calling thread (and on
 * threads the block hands it to with {@code Context.current().wrap(...)}). It is made with {@link
 * AuthContext#attachForTesting}: the Gatehouse chain never lets such a context through to a handler
 * on a real call, so this cannot make a caller appear in production.
 */
public final class TestCaller {
  private final PrincipalKind kind;
  private final String subject;
  private String trustSource;
  private String issuer;
  private List<String> roles = List.of();
  private List<String> scopes = List.of();
  private final Map<String, Object> claims = new LinkedHashMap<>();
  private Instant expiry;

  private TestCaller(PrincipalKind kind, String subject, String trustSource) {
    requireNonNull(subject, "subject");
    if (subject.isEmpty()) {
      throw new IllegalArgumentException("subject must not be empty");
    }
    this.kind = kind;
    this.subject = subject;
    this.trustSource = trustSource;
  }

  /** An end user; the trust source defaults to {@code user_jwt}. */
  public static TestCaller user(String subject) {
    return new TestCaller(PrincipalKind.USER, subject, "user_jwt");
  }

  /** A service; the trust source defaults to {@code signed_token}. */
  public static TestCaller service(String subject) {
    return new TestCaller(PrincipalKind.SERVICE, subject, "signed_token");
  }

  /** The name {@code AuthContext.trustSource()} answers. */
  public TestCaller trustSource(String trustSource) {
    this.trustSource = requireNonNull(trustSource, "trustSource");
    return this;
  }

  /** The token issuer. */
  public TestCaller issuer(String issuer) {
    this.issuer = requireNonNull(issuer, "issuer");
    return this;
  }

  /** The caller's roles. */
  public TestCaller roles(String... roles) {
    this.roles = List.of(roles);
    return this;
  }

  /** The caller's scopes. */
  public TestCaller scopes(String... scopes) {
    this.scopes = List.of(scopes);
    return this;
  }

  /** A claim of the credential. */
  public TestCaller claim(String name, Object value) {
    claims.put(requireNonNull(name, "name"), requireNonNull(value, "value"));
    return this;
  }

  /** When the credential expires. */
  public TestCaller expiry(Instant expiry) {
    this.expiry = requireNonNull(expiry, "expiry");
    return this;
  }

  /** The context a handler would see, attached to the current one. */
  public Context context() {
    Principal.Builder p = Principal.newBuilder().subject(subject).roles(roles).scopes(scopes);
    if (issuer != null) {
      p.issuer(issuer);
    }
    if (expiry != null) {
      p.expiry(expiry);
    }
    claims.forEach(p::claim);
    return AuthContext.attachForTesting(Context.current(), p.build(), kind, trustSource);
  }

  /** Runs {@code block} as this caller. */
  public void run(Runnable block) {
    context().run(requireNonNull(block, "block"));
  }

  /** Calls {@code block} as this caller and returns its result; its exception propagates. */
  public <T> T call(Callable<T> block) throws Exception {
    return context().call(requireNonNull(block, "block"));
  }

  @Override
  public String toString() {
    return "TestCaller{" + kind + " " + subject + ", trustSource=" + trustSource + "}";
  }
}
