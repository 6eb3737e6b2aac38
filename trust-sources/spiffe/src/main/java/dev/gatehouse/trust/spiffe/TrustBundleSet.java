package dev.gatehouse.trust.spiffe;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.jwk.JWKSet;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The current X.509 and JWT authorities of a set of trust domains, kept up to date by a feed: the
 * SPIFFE Workload API ({@code gatehouse-spiffe-workload}) or a SPIFFE bundle endpoint ({@link
 * BundleEndpointFeed}). {@link PeerCertificateTrustSource} and {@link SpiffeJwtTrustSource} read it
 * on every call ({@code addBundle(trustDomain, TrustBundleSet)}), so an update applies to the next
 * call; validation stays in those verifiers.
 *
 * <p>Reads return the very same list or key set object until that trust domain's authorities
 * change, so readers may derive and keep state per object. Thread-safe; writers are serialised.
 */
public final class TrustBundleSet {
  private volatile Map<TrustDomain, List<X509Certificate>> x509 = Map.of();
  private volatile Map<TrustDomain, JWKSet> jwt = Map.of();
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

  private TrustBundleSet() {}

  /** An empty set. */
  public static TrustBundleSet create() {
    return new TrustBundleSet();
  }

  /** The trust domain's X.509 authorities, if it has received any (possibly an empty list). */
  public Optional<List<X509Certificate>> x509Authorities(TrustDomain trustDomain) {
    return Optional.ofNullable(x509.get(requireNonNull(trustDomain, "trustDomain")));
  }

  /** The trust domain's JWT authorities, if it has received any. */
  public Optional<JWKSet> jwtAuthorities(TrustDomain trustDomain) {
    return Optional.ofNullable(jwt.get(requireNonNull(trustDomain, "trustDomain")));
  }

  /** The trust domains with X.509 or JWT authorities now. */
  public Set<TrustDomain> trustDomains() {
    Set<TrustDomain> all = new LinkedHashSet<>(x509.keySet());
    all.addAll(jwt.keySet());
    return Set.copyOf(all);
  }

  /** Sets both kinds of authority of the bundle's trust domain (a bundle endpoint's document). */
  public void put(SpiffeBundle bundle) {
    requireNonNull(bundle, "bundle");
    synchronized (this) {
      Map<TrustDomain, List<X509Certificate>> x = new LinkedHashMap<>(x509);
      putIfChanged(x, bundle.trustDomain(), bundle.x509Authorities());
      x509 = Map.copyOf(x);
      Map<TrustDomain, JWKSet> j = new LinkedHashMap<>(jwt);
      putIfChanged(j, bundle.trustDomain(), bundle.jwtAuthorities());
      jwt = Map.copyOf(j);
    }
    notifyListeners();
  }

  /**
   * Replaces every trust domain's X.509 authorities (a Workload API X.509 context: the own and the
   * federated bundles); trust domains not in {@code authorities} lose theirs. An unchanged list
   * keeps its object.
   */
  public void replaceX509Authorities(Map<TrustDomain, List<X509Certificate>> authorities) {
    requireNonNull(authorities, "authorities");
    synchronized (this) {
      Map<TrustDomain, List<X509Certificate>> next = new LinkedHashMap<>();
      authorities.forEach(
          (td, certs) -> {
            List<X509Certificate> copy = List.copyOf(certs);
            List<X509Certificate> before = x509.get(td);
            next.put(requireNonNull(td, "trustDomain"), copy.equals(before) ? before : copy);
          });
      x509 = Map.copyOf(next);
    }
    notifyListeners();
  }

  /**
   * Replaces every trust domain's JWT authorities (a Workload API JWT bundles response); trust
   * domains not in {@code authorities} lose theirs. An unchanged set keeps its object.
   */
  public void replaceJwtAuthorities(Map<TrustDomain, JWKSet> authorities) {
    requireNonNull(authorities, "authorities");
    synchronized (this) {
      Map<TrustDomain, JWKSet> next = new LinkedHashMap<>();
      authorities.forEach(
          (td, keys) -> {
            JWKSet pub = keys.toPublicJWKSet();
            JWKSet before = jwt.get(td);
            boolean same = before != null && before.toJSONObject().equals(pub.toJSONObject());
            next.put(requireNonNull(td, "trustDomain"), same ? before : pub);
          });
      jwt = Map.copyOf(next);
    }
    notifyListeners();
  }

  /** Runs {@code listener} after every update (on the updating thread); it must not block. */
  public void addListener(Runnable listener) {
    listeners.add(requireNonNull(listener, "listener"));
  }

  private static <V> void putIfChanged(Map<TrustDomain, V> map, TrustDomain td, V value) {
    V before = map.get(td);
    boolean same;
    if (before instanceof JWKSet b && value instanceof JWKSet v) {
      same = b.toJSONObject().equals(v.toJSONObject());
    } else {
      same = value.equals(before);
    }
    if (!same) {
      map.put(td, value);
    }
  }

  private void notifyListeners() {
    for (Runnable l : listeners) {
      l.run();
    }
  }

  /** Names the trust domains; never prints key material. */
  @Override
  public String toString() {
    return "TrustBundleSet" + trustDomains();
  }
}
