/**
 * Public API: the SPIFFE Workload API for Gatehouse. {@link
 * dev.gatehouse.trust.spiffe.workload.WorkloadApiFeed} watches the local agent's X.509 context and
 * JWT bundles and keeps a {@link dev.gatehouse.trust.spiffe.TrustBundleSet} that {@code
 * PeerCertificateTrustSource} and {@code SpiffeJwtTrustSource} read (federated bundles included);
 * it exposes the workload's own X.509-SVID ({@link
 * dev.gatehouse.trust.spiffe.workload.WorkloadSvid}) with change listeners, and JWT-SVIDs for
 * {@code JwtSvidCallCredentials} through {@link
 * dev.gatehouse.trust.spiffe.workload.WorkloadApiJwtSvids}. {@link
 * dev.gatehouse.trust.spiffe.workload.WorkloadX509Material} hands the own SVID with the own and
 * federated bundles to {@code SpiffeTls} (gatehouse-spiffe-tls) as rotating mTLS material. {@link
 * dev.gatehouse.trust.spiffe.workload.WorkloadApiBundles} serves the {@code workload_api} bundle
 * source of the configuration file.
 */
package dev.gatehouse.trust.spiffe.workload;
