package dev.gatehouse.testkit;

import static java.util.Objects.requireNonNull;

import java.lang.reflect.Proxy;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLSession;

/**
 * An X.509-SVID issued by a {@link TestCa}: the SPIFFE ID, the certificate chain (leaf first) and
 * the leaf's private key (in memory only). {@link #toString()} never shows the key.
 */
public final class X509Svid {
  private final String spiffeId;
  private final List<X509Certificate> chain;
  private final PrivateKey privateKey;

  X509Svid(String spiffeId, List<X509Certificate> chain, PrivateKey privateKey) {
    this.spiffeId = requireNonNull(spiffeId, "spiffeId");
    this.chain = List.copyOf(chain);
    this.privateKey = requireNonNull(privateKey, "privateKey");
  }

  /** The SPIFFE ID in the leaf's URI SAN. */
  public String spiffeId() {
    return spiffeId;
  }

  /** The leaf certificate. */
  public X509Certificate certificate() {
    return chain.get(0);
  }

  /** The chain a client presents: the leaf, then any intermediates (never the root). */
  public List<X509Certificate> chain() {
    return chain;
  }

  /** The leaf's private key, for a TLS client or server in the test. */
  public PrivateKey privateKey() {
    return privateKey;
  }

  /**
   * A TLS session that presents this SVID as the peer's certificate chain and answers nothing else
   * (other methods throw {@link UnsupportedOperationException}): what the server-side chain reads
   * from {@code Grpc.TRANSPORT_ATTR_SSL_SESSION}. {@link TestServer.Builder#peerCertificate} uses
   * it so that in-process calls appear to come over mTLS.
   */
  public SSLSession asPeerSession() {
    Certificate[] peer = chain.toArray(new Certificate[0]);
    return (SSLSession)
        Proxy.newProxyInstance(
            SSLSession.class.getClassLoader(),
            new Class<?>[] {SSLSession.class},
            (proxy, method, args) -> {
              switch (method.getName()) {
                case "getPeerCertificates" -> {
                  return peer.clone();
                }
                case "hashCode" -> {
                  return System.identityHashCode(proxy);
                }
                case "equals" -> {
                  return proxy == args[0];
                }
                case "toString" -> {
                  return "X509Svid session of " + spiffeId;
                }
                default ->
                    throw new UnsupportedOperationException(
                        "test TLS session: " + method.getName());
              }
            });
  }

  @Override
  public String toString() {
    return "X509Svid{spiffeId=" + spiffeId + ", notAfter=" + certificate().getNotAfter() + "}";
  }
}
