/**
 * Public API: gRPC TLS credentials for SPIFFE workloads whose X.509-SVID and bundles rotate ({@link
 * dev.gatehouse.trust.spiffe.tls.SpiffeTls}), fed by an {@link
 * dev.gatehouse.trust.spiffe.tls.X509MaterialSource}: SVID files written by SPIRE's spiffe-helper
 * or cert-manager's csi-driver-spiffe ({@link dev.gatehouse.trust.spiffe.tls.SvidFiles}), or any
 * adapter handing over consistent {@link dev.gatehouse.trust.spiffe.tls.X509Material}.
 */
package dev.gatehouse.trust.spiffe.tls;
