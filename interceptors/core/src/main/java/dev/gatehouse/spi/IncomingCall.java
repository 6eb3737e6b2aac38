package dev.gatehouse.spi;

import static java.util.Objects.requireNonNull;

import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.Metadata;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The call as an authenticator sees it: the method, ASCII headers, the direct peer's address, the
 * TLS session and the peer's verified certificate chain. Immutable from the authenticator's point
 * of view. (Named apart from grpc-java's client-side {@code CallCredentials.RequestInfo}.)
 */
public final class IncomingCall {
  private static final Map<String, Metadata.Key<String>> KEYS = new ConcurrentHashMap<>();

  private final String fullMethodName;
  private final Metadata headers;
  private final SocketAddress remoteAddress;
  private final SSLSession sslSession;

  /** Headers read so far in this call (credential headers are read by the chain, then again). */
  private static final int MEMO_SLOTS = 4;

  private Memo[] memo;

  /** Values authenticators kept for this call, one immutable pair a slot (see {@link #keep}). */
  private static final int KEPT_OWNERS = 4;

  private Kept[] kept;

  /** One owner's value. Immutable, so a slot read from another thread is a pair or nothing. */
  private record Kept(Object owner, Object value) {
    @Override
    public String toString() {
      return "Kept"; // the value may hold a credential
    }
  }

  private IncomingCall(
      String fullMethodName, Metadata headers, SocketAddress remoteAddress, SSLSession ssl) {
    this.fullMethodName = fullMethodName;
    this.headers = headers;
    this.remoteAddress = remoteAddress;
    this.sslSession = ssl;
  }

  /** Builds the view of a server call from its headers and transport attributes. */
  public static IncomingCall of(String fullMethodName, Metadata headers, Attributes attributes) {
    requireNonNull(attributes, "attributes");
    return new IncomingCall(
        requireNonNull(fullMethodName, "fullMethodName"),
        requireNonNull(headers, "headers"),
        attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR),
        attributes.get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
  }

  /** Builds a view directly, for tests of authenticators. */
  public static IncomingCall of(
      String fullMethodName, Metadata headers, SocketAddress remoteAddress, SSLSession sslSession) {
    return new IncomingCall(
        requireNonNull(fullMethodName, "fullMethodName"),
        requireNonNull(headers, "headers"),
        remoteAddress,
        sslSession);
  }

  /** Interned ASCII metadata key for a header name. */
  public static Metadata.Key<String> key(String name) {
    Metadata.Key<String> known = KEYS.get(name); // the hot path: a plain read, no bin lock
    return known != null
        ? known
        : KEYS.computeIfAbsent(name, n -> Metadata.Key.of(n, Metadata.ASCII_STRING_MARSHALLER));
  }

  /** The full method name, {@code package.Service/Method}. */
  public String fullMethodName() {
    return fullMethodName;
  }

  /**
   * Every value of an ASCII header, in order; empty if absent. The list is unmodifiable. The values
   * of a header are read from the metadata once per call and then served from this view (the chain
   * and the authenticator reading the same credential header share one copy of it).
   */
  public List<String> headerValues(String name) {
    Memo[] slots = memo;
    if (slots != null) {
      for (Memo m : slots) {
        if (m != null && m.name.equals(name)) {
          return m.values;
        }
      }
    }
    Iterable<String> all = headers.getAll(key(name));
    if (all == null) {
      return List.of();
    }
    java.util.Iterator<String> it = all.iterator();
    String first = it.next();
    List<String> values;
    if (!it.hasNext()) {
      values = List.of(first);
    } else {
      List<String> out = new ArrayList<>();
      out.add(first);
      it.forEachRemaining(out::add);
      values = java.util.Collections.unmodifiableList(out);
    }
    remember(name, values);
    return values;
  }

  /**
   * Keeps a header's values for later reads in this call. Each slot holds one complete, immutable
   * pair, so a view read from another thread sees a pair or nothing; a lost slot only means the
   * header is read from the metadata again.
   */
  private void remember(String name, List<String> values) {
    Memo[] slots = memo;
    if (slots == null) {
      slots = new Memo[MEMO_SLOTS];
      memo = slots;
    }
    for (int i = 0; i < slots.length; i++) {
      if (slots[i] == null) {
        slots[i] = new Memo(name, values);
        return;
      }
    }
  }

  /** One header's values, read once. */
  private record Memo(String name, List<String> values) {}

  /**
   * What {@code owner} kept for this call with {@link #keep}, or null. Lets an authenticator that
   * looks the call's credential up in {@link Authenticator#mayWaitForKeys} read that lookup again
   * in {@link Authenticator#authenticate} instead of repeating it. Owners are compared by identity,
   * so an authenticator that keys by an object of its own never sees another's value.
   */
  public Object kept(Object owner) {
    requireNonNull(owner, "owner");
    Kept[] slots = kept;
    if (slots != null) {
      for (Kept k : slots) {
        if (k != null && k.owner == owner) {
          return k.value;
        }
      }
    }
    return null;
  }

  /**
   * Keeps {@code value} under {@code owner} for the rest of this call, replacing what the owner
   * kept before. At most four owners keep values in one call; a further owner's value is not kept
   * ({@link #kept} then answers null and the owner repeats its work). What is kept is never read by
   * Gatehouse, never logged and gone with the call; keep only what the owner would recompute from
   * this call anyway, and check on reading that it still applies.
   */
  public void keep(Object owner, Object value) {
    requireNonNull(owner, "owner");
    Kept[] slots = kept;
    if (slots == null) {
      slots = new Kept[KEPT_OWNERS];
      kept = slots;
    }
    for (int i = 0; i < slots.length; i++) {
      if (slots[i] == null || slots[i].owner == owner) {
        slots[i] = new Kept(owner, value);
        return;
      }
    }
  }

  /**
   * The single value of a header.
   *
   * @throws IllegalStateException if the header has several values; the chain refuses such calls
   *     for declared credential headers before any authenticator runs
   */
  public Optional<String> header(String name) {
    List<String> values = headerValues(name);
    if (values.size() > 1) {
      throw new IllegalStateException("header has several values: " + name);
    }
    return values.isEmpty() ? Optional.empty() : Optional.of(values.get(0));
  }

  /** Whether the header is present at all. */
  public boolean hasHeader(String name) {
    return headers.containsKey(key(name));
  }

  /** The direct peer's address (not a forwarded one); in-process it is not an IP address. */
  public Optional<SocketAddress> remoteAddress() {
    return Optional.ofNullable(remoteAddress);
  }

  /** The TLS session when the server terminates TLS itself. */
  public Optional<SSLSession> sslSession() {
    return Optional.ofNullable(sslSession);
  }

  /**
   * The peer's certificate chain as the TLS layer verified it, leaf first; empty when the call has
   * no TLS session or the peer presented no certificate.
   */
  public Optional<List<Certificate>> peerCertificates() {
    if (sslSession == null) {
      return Optional.empty();
    }
    try {
      Certificate[] certs = sslSession.getPeerCertificates();
      return certs == null || certs.length == 0 ? Optional.empty() : Optional.of(List.of(certs));
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }
}
