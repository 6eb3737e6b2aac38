package dev.gatehouse.trust.spiffe;

import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The X.509-SVID rules for a leaf certificate, independent of its chain: exactly one URI SAN that
 * is a strictly parsed SPIFFE ID, not a CA, a critical keyUsage with digitalSignature and without
 * keyCertSign / cRLSign, an extendedKeyUsage (when present) that allows client authentication, and
 * validity at the given instant. Problems are log-safe: they never quote certificate content other
 * than the SPIFFE ID.
 */
final class SvidLeaf {
  static final String KEY_USAGE_OID = "2.5.29.15";
  private static final int SAN_URI = 6;
  private static final int KU_DIGITAL_SIGNATURE = 0;
  private static final int KU_KEY_CERT_SIGN = 5;
  private static final int KU_CRL_SIGN = 6;
  static final String EKU_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
  static final String EKU_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
  private static final String EKU_ANY = "2.5.29.37.0";

  private SvidLeaf() {}

  /** The leaf's SPIFFE ID, or why the leaf is not an acceptable X.509-SVID. */
  record Result(SpiffeId id, String problem) {
    boolean ok() {
      return problem == null;
    }
  }

  /**
   * The SPIFFE ID of the leaf's single URI SAN, or a problem. Reads only the SAN, so the trust
   * domain (and with it the bundle) can be chosen before the other checks.
   */
  static Result spiffeId(X509Certificate leaf) {
    Collection<List<?>> sans;
    try {
      sans = leaf.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return problem("the subjectAltName extension cannot be parsed");
    }
    String uri = null;
    int uris = 0;
    if (sans != null) {
      for (List<?> san : sans) {
        if (san.size() >= 2 && san.get(0) instanceof Integer type && type == SAN_URI) {
          uris++;
          uri = san.get(1) instanceof String s ? s : null;
        }
      }
    }
    if (uris != 1) {
      return problem("the leaf has " + uris + " URI SANs where exactly one is required");
    }
    Optional<SpiffeId> id = SpiffeId.tryParse(uri);
    if (id.isEmpty()) {
      return problem("the leaf's URI SAN is not a valid SPIFFE ID (strict parse)");
    }
    // X509-SVID §3.1/§5.2: a leaf's ID names a workload, never the bare trust domain.
    if (id.get().path().isEmpty()) {
      return problem("the leaf's SPIFFE ID " + id.get() + " has no path (a trust domain ID)");
    }
    return new Result(id.get(), null);
  }

  /** Every leaf rule, validity at {@code now} included. */
  static Result check(X509Certificate leaf, Instant now) {
    Result id = spiffeId(leaf);
    if (!id.ok()) {
      return id;
    }
    String problem = propertiesProblem(leaf);
    if (problem == null) {
      problem = validityProblem(leaf, now);
    }
    return problem == null ? id : new Result(id.id(), problem + " (" + id.id() + ")");
  }

  /** Null when the leaf's basicConstraints, keyUsage and extendedKeyUsage fit an X.509-SVID. */
  static String propertiesProblem(X509Certificate leaf) {
    return propertiesProblem(leaf, EKU_CLIENT_AUTH);
  }

  /**
   * As {@link #propertiesProblem(X509Certificate)}, with an extendedKeyUsage (when present) that
   * must allow {@code requiredEku} (client or server authentication).
   */
  static String propertiesProblem(X509Certificate leaf, String requiredEku) {
    if (leaf.getBasicConstraints() != -1) {
      return "the leaf is a CA certificate (basicConstraints cA true)";
    }
    boolean[] ku = leaf.getKeyUsage();
    if (ku == null) {
      return "the leaf has no keyUsage extension";
    }
    Set<String> critical = leaf.getCriticalExtensionOIDs();
    if (critical == null || !critical.contains(KEY_USAGE_OID)) {
      return "the leaf's keyUsage extension is not critical";
    }
    if (!bit(ku, KU_DIGITAL_SIGNATURE)) {
      return "the leaf's keyUsage lacks digitalSignature";
    }
    if (bit(ku, KU_KEY_CERT_SIGN)) {
      return "the leaf's keyUsage has keyCertSign";
    }
    if (bit(ku, KU_CRL_SIGN)) {
      return "the leaf's keyUsage has cRLSign";
    }
    List<String> eku;
    try {
      eku = leaf.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      return "the leaf's extendedKeyUsage extension cannot be parsed";
    }
    if (eku != null && !eku.contains(requiredEku) && !eku.contains(EKU_ANY)) {
      return "the leaf's extendedKeyUsage does not allow "
          + (requiredEku.equals(EKU_SERVER_AUTH) ? "server" : "client")
          + " authentication";
    }
    return null;
  }

  /** Null when {@code now} is within the leaf's validity period. */
  static String validityProblem(X509Certificate leaf, Instant now) {
    try {
      leaf.checkValidity(Date.from(now));
      return null;
    } catch (CertificateExpiredException e) {
      return "the leaf expired at " + leaf.getNotAfter().toInstant();
    } catch (CertificateNotYetValidException e) {
      return "the leaf is not valid before " + leaf.getNotBefore().toInstant();
    }
  }

  private static boolean bit(boolean[] bits, int i) {
    return bits.length > i && bits[i];
  }

  private static Result problem(String problem) {
    return new Result(null, problem);
  }
}
