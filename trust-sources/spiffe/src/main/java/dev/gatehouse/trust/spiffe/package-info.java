/**
 * Public API: strictly parsed SPIFFE identifiers ({@link dev.gatehouse.trust.spiffe.SpiffeId},
 * {@link dev.gatehouse.trust.spiffe.TrustDomain}) shared by the trust sources that vouch for SPIFFE
 * identities (mesh identity, JWT-SVID, X.509-SVID), the {@code peer_certificate} and {@code
 * spiffe_jwt} trust sources, and the configuration sections with their providers ({@link
 * dev.gatehouse.trust.spiffe.PeerCertificateSection}, {@link
 * dev.gatehouse.trust.spiffe.SpiffeJwtSection}, {@link
 * dev.gatehouse.trust.spiffe.SpiffeAllowEntry}).
 *
 * <p>Parsing follows the SPIFFE-ID specification and refuses rather than normalises: an upper-case
 * scheme or trust domain, percent-encoding, dot segments, a port, user info, a query or a fragment
 * are all errors, so two different strings never map to the same identity.
 */
package dev.gatehouse.trust.spiffe;
