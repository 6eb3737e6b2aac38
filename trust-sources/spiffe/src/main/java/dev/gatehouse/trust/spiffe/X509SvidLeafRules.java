package dev.gatehouse.trust.spiffe;

import static java.util.Objects.requireNonNull;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;

/**
 * The X.509-SVID rules for a leaf certificate that {@link PeerCertificateTrustSource} applies, for
 * TLS layers that verify SPIFFE peers during the handshake: exactly one URI SAN that is a strictly
 * parsed SPIFFE ID naming a workload (not the bare trust domain), not a CA, a critical keyUsage
 * with digitalSignature and without keyCertSign / cRLSign, an extendedKeyUsage (when present) that
 * allows the peer's role, and validity at the given instant. The chain is not checked here.
 * Messages are log-safe: they quote no certificate content other than the SPIFFE ID.
 */
public final class X509SvidLeafRules {
  /** Which side of a TLS connection the leaf authenticates. */
  public enum Role {
    /** A TLS client: an extendedKeyUsage, when present, must allow clientAuth. */
    CLIENT,
    /** A TLS server: an extendedKeyUsage, when present, must allow serverAuth. */
    SERVER
  }

  private X509SvidLeafRules() {}

  /**
   * The SPIFFE ID of the leaf's single URI SAN, without the other checks.
   *
   * @throws CertificateException if the leaf has no, or more than one, URI SAN, or it is not a
   *     valid SPIFFE ID of a workload
   */
  public static SpiffeId spiffeId(X509Certificate leaf) throws CertificateException {
    requireNonNull(leaf, "leaf");
    SvidLeaf.Result id = SvidLeaf.spiffeId(leaf);
    if (!id.ok()) {
      throw new CertificateException("not an X.509-SVID: " + id.problem());
    }
    return id.id();
  }

  /**
   * Checks every leaf rule and returns the leaf's SPIFFE ID.
   *
   * @throws CertificateException naming the first rule the leaf breaks
   */
  public static SpiffeId verify(X509Certificate leaf, Role role, Instant now)
      throws CertificateException {
    requireNonNull(role, "role");
    requireNonNull(now, "now");
    SpiffeId id = spiffeId(leaf);
    String problem =
        SvidLeaf.propertiesProblem(
            leaf, role == Role.SERVER ? SvidLeaf.EKU_SERVER_AUTH : SvidLeaf.EKU_CLIENT_AUTH);
    if (problem == null) {
      problem = SvidLeaf.validityProblem(leaf, now);
    }
    if (problem != null) {
      throw new CertificateException("not an X.509-SVID: " + problem + " (" + id + ")");
    }
    return id;
  }
}
