package dev.gatehouse.trust.spiffe.workload;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.trust.spiffe.SpiffeId;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * The workload's own X.509-SVID as the Workload API delivered it, in plain {@code java.security}
 * types for building TLS key and trust managers: the chain (leaf first), its private key, and the
 * X.509 authorities of its trust domain. Immutable; the arrays are copied on the way in and out.
 *
 * @param id the SVID's SPIFFE ID, as the Workload API named it
 * @param chain the certificate chain, leaf first
 * @param privateKey the leaf's private key
 * @param trustBundle the CA certificates of the SVID's trust domain
 */
public record WorkloadSvid(
    SpiffeId id,
    List<X509Certificate> chain,
    PrivateKey privateKey,
    List<X509Certificate> trustBundle) {
  /** Validates and copies. */
  public WorkloadSvid {
    requireNonNull(id, "id");
    chain = List.copyOf(chain);
    requireNonNull(privateKey, "privateKey");
    trustBundle = List.copyOf(trustBundle);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("an X.509-SVID needs at least its leaf certificate");
    }
  }

  /** The chain as an array, leaf first (a fresh copy), as key managers take it. */
  public X509Certificate[] chainArray() {
    return chain.toArray(new X509Certificate[0]);
  }

  /** The leaf certificate. */
  public X509Certificate leaf() {
    return chain.get(0);
  }

  /** Never prints the key. */
  @Override
  public String toString() {
    return "WorkloadSvid{"
        + id
        + ", chain="
        + chain.size()
        + ", trustBundle="
        + trustBundle.size()
        + "}";
  }
}
