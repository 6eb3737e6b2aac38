/**
 * Public SPI: how authenticators and internal trust sources plug into the Gatehouse chain.
 *
 * <p>An {@link dev.gatehouse.spi.Authenticator} looks at one call ({@link
 * dev.gatehouse.spi.IncomingCall}) and answers with an {@link dev.gatehouse.spi.AuthResult}: no
 * credential of its kind, a principal, a refusal with a {@link dev.gatehouse.spi.Reason}, or "keys
 * cannot be fetched". The chain owns every client-facing status text; an authenticator never
 * chooses one.
 */
package dev.gatehouse.spi;
