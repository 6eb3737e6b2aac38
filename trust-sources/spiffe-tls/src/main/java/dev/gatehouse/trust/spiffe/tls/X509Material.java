package dev.gatehouse.trust.spiffe.tls;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.trust.spiffe.SpiffeId;
import dev.gatehouse.trust.spiffe.TrustDomain;
import dev.gatehouse.trust.spiffe.X509SvidLeafRules;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One consistent set of a workload's TLS material, in plain {@code java.security} types: its own
 * X.509-SVID (certificate chain, leaf first, and the leaf's private key) and the X.509 bundles it
 * trusts, per trust domain.
 *
 * <p>{@link #of} refuses a set whose private key does not belong to the leaf (a test signature made
 * with the key must verify with the leaf's public key), a leaf that is not an X.509-SVID, or an
 * empty bundle. A source of rotating material builds a new {@code X509Material} for every change
 * and keeps serving the previous one when this refuses, so a certificate is never paired with
 * another certificate's key. Immutable; {@link #toString()} shows the SPIFFE ID and bundle trust
 * domains, never the key.
 */
public final class X509Material {
  private static final SecureRandom RANDOM = new SecureRandom();

  private final List<X509Certificate> chain;
  private final PrivateKey privateKey;
  private final Map<TrustDomain, List<X509Certificate>> bundles;
  private final SpiffeId spiffeId;

  private X509Material(
      List<X509Certificate> chain,
      PrivateKey privateKey,
      Map<TrustDomain, List<X509Certificate>> bundles,
      SpiffeId spiffeId) {
    this.chain = chain;
    this.privateKey = privateKey;
    this.bundles = bundles;
    this.spiffeId = spiffeId;
  }

  /**
   * A consistent set of material.
   *
   * @param chain the workload's certificate chain, leaf first, then any intermediates
   * @param privateKey the leaf's private key
   * @param bundles the trusted CA certificates per trust domain; at least one non-empty bundle
   * @throws IllegalArgumentException if the chain is empty, the key does not match the leaf, the
   *     leaf carries no valid SPIFFE ID, or a bundle is empty; the message names the problem and
   *     never quotes key material
   */
  public static X509Material of(
      List<X509Certificate> chain,
      PrivateKey privateKey,
      Map<TrustDomain, List<X509Certificate>> bundles) {
    requireNonNull(chain, "chain");
    requireNonNull(privateKey, "privateKey");
    requireNonNull(bundles, "bundles");
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("chain: no certificate");
    }
    List<X509Certificate> chainCopy = List.copyOf(chain);
    SpiffeId id;
    try {
      id = X509SvidLeafRules.spiffeId(chainCopy.get(0));
    } catch (CertificateException e) {
      throw new IllegalArgumentException("chain: " + e.getMessage(), e);
    }
    if (!keyMatches(privateKey, chainCopy.get(0).getPublicKey())) {
      throw new IllegalArgumentException(
          "privateKey: does not belong to the leaf certificate of " + id);
    }
    if (bundles.isEmpty()) {
      throw new IllegalArgumentException("bundles: no trust domain");
    }
    Map<TrustDomain, List<X509Certificate>> bundlesCopy = new LinkedHashMap<>();
    bundles.forEach(
        (td, cas) -> {
          requireNonNull(td, "bundles: trust domain");
          if (cas == null || cas.isEmpty()) {
            throw new IllegalArgumentException("bundles: no CA certificate for trust domain " + td);
          }
          bundlesCopy.put(td, List.copyOf(cas));
        });
    return new X509Material(chainCopy, privateKey, Map.copyOf(bundlesCopy), id);
  }

  /** As {@link #of(List, PrivateKey, Map)} with arrays, as {@code X509KeyManager}s hand them. */
  public static X509Material of(
      X509Certificate[] chain,
      PrivateKey privateKey,
      Map<TrustDomain, List<X509Certificate>> bundles) {
    requireNonNull(chain, "chain");
    return of(Arrays.asList(chain), privateKey, bundles);
  }

  /** Whether a signature made with {@code key} verifies with {@code publicKey}. */
  static boolean keyMatches(PrivateKey key, PublicKey publicKey) {
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
    String algorithm =
        switch (key.getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          case "Ed448" -> "Ed448";
          default -> null;
        };
    if (algorithm == null) {
      return false;
    }
    byte[] challenge = new byte[32];
    RANDOM.nextBytes(challenge);
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  /** The SPIFFE ID in the leaf's URI SAN. */
  public SpiffeId spiffeId() {
    return spiffeId;
  }

  /** The certificate chain, leaf first. */
  public List<X509Certificate> chain() {
    return chain;
  }

  /** The leaf's private key. */
  public PrivateKey privateKey() {
    return privateKey;
  }

  /** The trusted CA certificates per trust domain. */
  public Map<TrustDomain, List<X509Certificate>> bundles() {
    return bundles;
  }

  @Override
  public String toString() {
    return "X509Material{" + spiffeId + ", bundles for " + bundles.keySet() + "}";
  }
}
