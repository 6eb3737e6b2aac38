/**
 * JWT verification for Gatehouse: the end-user JWT authenticator ({@link
 * dev.gatehouse.trust.jwt.UserJwtAuthenticator}) and the shared, issuer-bound verification core
 * ({@link dev.gatehouse.trust.jwt.JwtVerifier}) that the signed service-token trust source builds
 * on.
 *
 * <p>Public API: {@code UserJwtAuthenticator}, {@code JwtVerifier}, {@code TrustedIssuer}, {@code
 * JwksSource}, {@code JwtVerification}, {@code VerifiedJwt}, {@code BearerToken}, and the
 * configuration sections with their providers ({@code UserJwtSection} for {@code user_jwt}, {@code
 * SignedTokenSection} for {@code internal.signed_token}, {@code JwksConfig}, {@code
 * JwtConfigFields}). Everything else in this package is implementation.
 *
 * <p>What the core does on top of Nimbus JOSE+JWT: a strict raw-token check before Nimbus parses
 * anything (size, three canonical base64url segments, JSON objects), a header allow-list, keys
 * looked up only in the JWKS of the issuer the token claims, the algorithm pinned to each key, JWKS
 * hygiene (unusable keys dropped), integer NumericDates, bounded clock skew, required {@code exp}
 * and {@code aud}, and an unknown-{@code kid} refresh limited to one per issuer per 30 seconds.
 */
package dev.gatehouse.trust.jwt;
