/**
 * The {@code mesh_identity} trust source: workload identities forwarded by a service-mesh sidecar
 * (Envoy's {@code x-forwarded-client-cert}, or a plain SPIFFE ID / Istio principal header), trusted
 * only from configured proxy networks.
 *
 * <p>Public API: {@link dev.gatehouse.trust.mesh.MeshIdentityTrustSource} and its builder, and the
 * configuration section {@link dev.gatehouse.trust.mesh.MeshIdentitySection} with its provider. The
 * XFCC parser, CIDR matching and identity reading are package-private implementation.
 */
package dev.gatehouse.trust.mesh;
