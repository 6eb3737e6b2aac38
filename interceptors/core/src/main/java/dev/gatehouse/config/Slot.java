package dev.gatehouse.config;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.TrustSource;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A fixed place in the chain for one configured authenticator. Every slot reads the live {@link
 * Components} from one shared reference, so a reload replaces all of them in one atomic step. Name
 * and headers are fixed at startup (changing them needs a restart), so the chain's duplicate-header
 * checks and header stripping stay valid.
 */
class Slot implements Authenticator, dev.gatehouse.spi.KeySetReachability {
  private final String section;
  private final String name;
  private final Set<String> credentialHeaders;
  private final Set<String> headersToRemove;
  private final AtomicReference<Components> live;

  private Slot(String section, Authenticator initial, AtomicReference<Components> live) {
    this.section = requireNonNull(section, "section");
    this.name = initial.name();
    this.credentialHeaders = Set.copyOf(initial.credentialHeaders());
    this.headersToRemove = Set.copyOf(initial.headersToRemove());
    this.live = requireNonNull(live, "live");
  }

  /** The user-JWT slot. */
  static Slot user(String section, Authenticator initial, AtomicReference<Components> live) {
    return new Slot(section, initial, live);
  }

  /** A trust-source slot for the section at {@code section}. */
  static Source source(String section, TrustSource initial, AtomicReference<Components> live) {
    return new Source(section, initial, live);
  }

  /** The section path this slot serves. */
  String section() {
    return section;
  }

  /** Whether {@code next} may take this slot's place without a restart. */
  boolean accepts(Authenticator next) {
    return next.name().equals(name)
        && next.credentialHeaders().equals(credentialHeaders)
        && next.headersToRemove().equals(headersToRemove);
  }

  Authenticator current() {
    Components c = live.get();
    Authenticator a =
        this instanceof Source ? c.trustSources().get(section) : c.user().orElse(null);
    if (a == null) {
      // Reloads never remove a configured source; reaching this is a bug, so fail closed.
      throw new IllegalStateException("no live authenticator for slot " + name);
    }
    return a;
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
  public AuthResult screen(IncomingCall request) {
    return current().screen(request);
  }

  @Override
  public boolean recognizes(IncomingCall request) {
    return current().recognizes(request);
  }

  @Override
  public AuthResult authenticate(IncomingCall request) {
    return current().authenticate(request);
  }

  @Override
  public boolean mayWaitForKeys(IncomingCall request) {
    return current().mayWaitForKeys(request);
  }

  /** The key sets of the live authenticator, when it fetches any. */
  @Override
  public java.util.List<KeySetState> keySets() {
    return current() instanceof dev.gatehouse.spi.KeySetReachability r
        ? r.keySets()
        : java.util.List.of();
  }

  @Override
  public String toString() {
    return "config slot " + name;
  }

  /** The trust-source flavour. */
  static final class Source extends Slot implements TrustSource {
    private Source(String section, TrustSource initial, AtomicReference<Components> live) {
      super(section, initial, live);
    }
  }
}
