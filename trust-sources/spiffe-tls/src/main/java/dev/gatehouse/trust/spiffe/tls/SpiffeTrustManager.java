package dev.gatehouse.trust.spiffe.tls;

import dev.gatehouse.trust.spiffe.SpiffeId;
import dev.gatehouse.trust.spiffe.TrustDomain;
import dev.gatehouse.trust.spiffe.X509SvidLeafRules;
import dev.gatehouse.trust.spiffe.X509SvidLeafRules.Role;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.logging.Logger;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies a TLS peer as a SPIFFE workload during the handshake, against bundles that can be
 * swapped at any time: the leaf must be an X.509-SVID ({@link X509SvidLeafRules}) whose trust
 * domain has a bundle, the presented chain must validate (PKIX, revocation off) against that trust
 * domain's CAs only — a CA of one trust domain never vouches for another's IDs — and the SPIFFE ID
 * must pass the peer policy. Host names play no part. A handshake reads one bundle snapshot; a swap
 * affects only later handshakes, never established connections.
 */
final class SpiffeTrustManager extends X509ExtendedTrustManager {
  /** The longest chain accepted, leaf included. */
  static final int MAX_CHAIN_LENGTH = 8;

  private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];
  private static final Logger logger = Logger.getLogger(SpiffeTrustManager.class.getName());

  private final Role peerRole;
  private final Predicate<SpiffeId> peerPolicy;
  private final String policyText;
  private final Clock clock;
  private volatile Map<TrustDomain, Anchors> anchors;

  private record Anchors(Set<TrustAnchor> anchors, Set<X509Certificate> certificates) {}

  SpiffeTrustManager(
      Role peerRole,
      Predicate<SpiffeId> peerPolicy,
      String policyText,
      Clock clock,
      Map<TrustDomain, List<X509Certificate>> bundles) {
    this.peerRole = peerRole;
    this.peerPolicy = peerPolicy;
    this.policyText = policyText;
    this.clock = clock;
    update(bundles);
  }

  /** Swaps the bundles for later handshakes. */
  void update(Map<TrustDomain, List<X509Certificate>> bundles) {
    Map<TrustDomain, Anchors> next = new HashMap<>();
    bundles.forEach(
        (td, cas) -> {
          Set<TrustAnchor> set = new HashSet<>();
          List<X509Certificate> usable = new ArrayList<>();
          for (X509Certificate ca : cas) {
            if (isCa(ca)) {
              set.add(new TrustAnchor(ca, null));
              usable.add(ca);
            } else {
              logger.warning(
                  "a certificate in the bundle of trust domain "
                      + td
                      + " is not a CA (basicConstraints cA and keyCertSign required); it is"
                      + " ignored");
            }
          }
          next.put(td, new Anchors(Set.copyOf(set), Set.copyOf(usable)));
        });
    this.anchors = Map.copyOf(next);
  }

  /**
   * Whether {@code cert} may be a trust anchor: a CA (basicConstraints cA true) whose keyUsage,
   * when present, allows keyCertSign. A leaf in a bundle file (say, an SVID written there by
   * mistake) never vouches for other certificates.
   */
  static boolean isCa(X509Certificate cert) {
    if (cert.getBasicConstraints() < 0) {
      return false;
    }
    boolean[] ku = cert.getKeyUsage();
    return ku == null || (ku.length > 5 && ku[5]);
  }

  /** Verifies the peer's chain and returns its SPIFFE ID. */
  SpiffeId verify(X509Certificate[] chain) throws CertificateException {
    if (chain == null || chain.length == 0) {
      throw new CertificateException("the peer presented no certificate");
    }
    if (chain.length > MAX_CHAIN_LENGTH) {
      throw new CertificateException(
          "the peer's chain has " + chain.length + " certificates, more than " + MAX_CHAIN_LENGTH);
    }
    Instant now = clock.instant();
    SpiffeId id = X509SvidLeafRules.verify(chain[0], peerRole, now);
    Anchors bundle = anchors.get(id.trustDomain());
    if (bundle == null) {
      throw new CertificateException(
          "no bundle for trust domain " + id.trustDomain() + " (" + id + ")");
    }
    List<X509Certificate> path = new ArrayList<>(Arrays.asList(chain));
    // A peer may send its root too; the path handed to PKIX ends below the trust anchor.
    while (path.size() > 1 && bundle.certificates().contains(path.get(path.size() - 1))) {
      path.remove(path.size() - 1);
    }
    try {
      CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
      PKIXParameters params = new PKIXParameters(bundle.anchors());
      params.setRevocationEnabled(false);
      params.setDate(Date.from(now));
      CertPathValidator.getInstance("PKIX").validate(certPath, params);
    } catch (GeneralSecurityException e) {
      throw new CertificateException(
          "the peer's chain does not validate against the bundle of "
              + id.trustDomain()
              + " ("
              + id
              + ")",
          e);
    }
    if (!peerPolicy.test(id)) {
      throw new CertificateException("the peer " + id + " is not " + policyText);
    }
    return id;
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    verify(chain);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    verify(chain);
  }

  /**
   * None: the server names no acceptable CAs in its certificate request, so a client picks its SVID
   * without regard to CA names, which change when the CA rotates.
   */
  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return NO_ISSUERS;
  }
}
