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
    return KEYS.computeIfAbsent(name, n -> Metadata.Key.of(n, Metadata.ASCII_STRING_MARSHALLER));
  }

  /** The full method name, {@code package.Service/Method}. */
  public String fullMethodName() {
    return fullMethodName;
  }

  /** Every value of an ASCII header, in order; empty if absent. */
  public List<String> headerValues(String name) {
    Iterable<String> all = headers.getAll(key(name));
    List<String> out = new ArrayList<>();
    if (all != null) {
      all.forEach(out::add);
    }
    return out;
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
