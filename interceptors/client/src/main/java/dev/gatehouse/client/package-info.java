/**
 * Public API: the client side of service-to-service trust.
 *
 * <p>A calling service mints a short-lived service token (a JWT signed with its own private key)
 * for each target audience and attaches it as {@code authorization: Bearer <jwt>}:
 *
 * <ul>
 *   <li>{@link dev.gatehouse.client.ServiceTokenCallCredentials}: the {@code CallCredentials} that
 *       mint, cache and attach the token, and refuse to send it over a plaintext connection. For a
 *       server with replay protection, build them with {@code oneTimeTokens()}: a fresh token and
 *       {@code jti} for every call.
 *   <li>{@link dev.gatehouse.client.ServiceTokenClientInterceptor}: channel-wide use that composes
 *       with credentials already on a call instead of replacing them.
 *   <li>{@link dev.gatehouse.client.SigningKeySource}: the caller's own key (PEM, JWK or in
 *       memory), re-read when the file changes.
 *   <li>{@link dev.gatehouse.client.JwtSvidCallCredentials}: attach the workload's JWT-SVID per
 *       audience from a {@link dev.gatehouse.client.JwtSvidSource} (a file a helper rewrites,
 *       {@link dev.gatehouse.client.JwtSvidFileSource}, or the Workload API), refreshed at
 *       half-life.
 *   <li>{@link dev.gatehouse.client.JwksPublisher}: publishes the caller's public keys as a JWKS
 *       document for the verifying servers.
 *   <li>{@link dev.gatehouse.client.TokenFetcher} and {@link dev.gatehouse.client.IssuedToken}: the
 *       SPI for tokens fetched from an issuer instead of signed locally ({@code
 *       ServiceTokenCallCredentials.Builder.fetchFrom}).
 * </ul>
 *
 * <p>Client-side status texts are owned by {@link dev.gatehouse.client.ClientStatus}.
 */
package dev.gatehouse.client;
