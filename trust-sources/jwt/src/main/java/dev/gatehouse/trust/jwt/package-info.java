/**
 * JWT trust sources for Gatehouse. Public API:
 *
 * <ul>
 *   <li>{@link dev.gatehouse.trust.jwt.UserJwtAuthenticator}: end users, by a JWT from an identity
 *       provider, each issuer verified with its own JWKS;
 *   <li>{@link dev.gatehouse.trust.jwt.SignedTokenTrustSource} with {@link
 *       dev.gatehouse.trust.jwt.ServiceTokenIssuer}: services, by tokens each service signs with
 *       its own key, or a central issuer signs for several workloads ({@link
 *       dev.gatehouse.trust.jwt.ServiceSubject}: one grant and cluster binding per subject);
 *   <li>{@link dev.gatehouse.trust.jwt.TrustedIssuer} and {@link
 *       dev.gatehouse.trust.jwt.JwksSource}: issuer and key-source configuration;
 *   <li>{@link dev.gatehouse.trust.jwt.CertificateThumbprint}: RFC 8705 {@code x5t#S256}
 *       thumbprints;
 *   <li>the configuration sections with their providers: {@code UserJwtSection} for {@code
 *       user_jwt}, {@code SignedTokenSection} for {@code internal.signed_token} ({@code JwksConfig}
 *       is their key-location value).
 * </ul>
 *
 * <p>Verification is the shared core in {@code dev.gatehouse.trust.jwt.internal}, which is not API:
 * a strict raw-token check before Nimbus parses anything (size, three canonical base64url segments,
 * JSON objects), a header allow-list, keys looked up only in the JWKS of the issuer the token
 * claims, the algorithm pinned to each key, JWKS hygiene (unusable keys dropped), integer
 * NumericDates, bounded clock skew, required {@code exp} and {@code aud}, and an unknown-{@code
 * kid} refresh limited to one per issuer per 30 seconds.
 */
package dev.gatehouse.trust.jwt;
