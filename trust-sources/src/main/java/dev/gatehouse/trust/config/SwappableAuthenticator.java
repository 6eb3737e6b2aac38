package dev.gatehouse.trust.config;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.RequestInfo;
import dev.gatehouse.spi.TrustSource;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fixed slot in the chain whose implementation a config reload replaces atomically. Name and
 * headers are fixed at startup (changing them needs a restart), so the chain's duplicate-header
 * checks and header stripping stay valid.
 */
class SwappableAuthenticator implements Authenticator {
  private final String name;
  private final Set<String> credentialHeaders;
  private final Set<String> headersToRemove;
  private final AtomicReference<Authenticator> delegate;

  SwappableAuthenticator(Authenticator initial) {
    requireNonNull(initial, "initial");
    this.name = initial.name();
    this.credentialHeaders = Set.copyOf(initial.credentialHeaders());
    this.headersToRemove = Set.copyOf(initial.headersToRemove());
    this.delegate = new AtomicReference<>(initial);
  }

  static SwappableAuthenticator of(Authenticator initial) {
    return initial instanceof TrustSource
        ? new Source(initial)
        : new SwappableAuthenticator(initial);
  }

  /** Installs {@code next} and returns the previous implementation (for the caller to close). */
  Authenticator swap(Authenticator next) {
    requireNonNull(next, "next");
    if (!next.name().equals(name)
        || !next.credentialHeaders().equals(credentialHeaders)
        || !next.headersToRemove().equals(headersToRemove)
        || (next instanceof TrustSource) != (this instanceof TrustSource)) {
      throw new IllegalArgumentException(
          "replacement for " + name + " changes its name, kind or headers; restart instead");
    }
    return delegate.getAndSet(next);
  }

  Authenticator current() {
    return delegate.get();
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Set<String> credentialHeaders() {
    return credentialHeaders;
  }

  @Override
  public Set<String> headersToRemove() {
    return headersToRemove;
  }

  @Override
  public AuthResult authenticate(RequestInfo request) {
    return delegate.get().authenticate(request);
  }

  @Override
  public void close() {
    delegate.get().close();
  }

  @Override
  public String toString() {
    return "swappable " + name;
  }

  /** The trust-source flavour. */
  static final class Source extends SwappableAuthenticator implements TrustSource {
    Source(Authenticator initial) {
      super(initial);
    }
  }
}
