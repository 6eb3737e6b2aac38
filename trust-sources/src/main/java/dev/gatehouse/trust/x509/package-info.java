/**
 * The {@code peer_certificate} trust source: X.509-SVIDs presented by the client over mTLS that the
 * application terminates itself, validated against per-trust-domain CA bundles.
 *
 * <p>Public API: {@link dev.gatehouse.trust.x509.PeerCertificateTrustSource} and its builder. The
 * leaf-certificate checks and chain validation are package-private implementation.
 */
package dev.gatehouse.trust.x509;
