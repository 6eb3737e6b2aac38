/**
 * <b>Not API.</b> The JWT verification core shared by the Gatehouse JWT trust sources (this
 * module's user-JWT authenticator and signed-token trust source, and the JWT-SVID trust source of
 * {@code gatehouse-trust-spiffe}). Its types are public only because another package or module of
 * Gatehouse uses them; they may change or disappear in any release without notice. Use the public
 * types of {@code dev.gatehouse.trust.jwt} instead.
 *
 * <p>A {@link dev.gatehouse.trust.jwt.internal.JwtVerifier} is composed by its builder from
 * single-job parts that always run in this order:
 *
 * <ol>
 *   <li>{@code CompactJws}: strict compact-JWS framing (size cap, three canonical base64url
 *       segments, JSON objects) before Nimbus parses anything;
 *   <li>{@link dev.gatehouse.trust.jwt.internal.HeaderPolicy}: allowed header members, {@code alg},
 *       {@code kid}, {@code typ};
 *   <li>{@link dev.gatehouse.trust.jwt.internal.KeySelector}: the one key set that may verify the
 *       token, {@link dev.gatehouse.trust.jwt.internal.IssuerKeySelector by issuer} or {@link
 *       dev.gatehouse.trust.jwt.internal.TrustDomainKeySelector by the trust domain of a SPIFFE
 *       subject}; then the key by {@code kid} (JWKS hygiene, algorithm pinned per key, rate limited
 *       refresh on an unknown {@code kid}, outage tolerance) and the signature (memoised);
 *   <li>{@link dev.gatehouse.trust.jwt.internal.ClaimsPolicy}: time claims with bounded skew,
 *       maximum lifetime, audience.
 * </ol>
 *
 * <p>One immutable {@link dev.gatehouse.trust.jwt.internal.JwtSettings} value (clock, skew,
 * algorithms, limits) is shared by every part. No detail or log line carries a token, a key, a
 * signature or a claim value; names (issuer, {@code kid}, subject) are quoted with {@code LogSafe}.
 *
 * <p>This package depends on no other Gatehouse JWT package; {@code dev.gatehouse.trust.jwt}
 * depends on it.
 */
package dev.gatehouse.trust.jwt.internal;
