package dev.gatehouse.spi;

/**
 * An internal trust source: vouches for another service on {@code internal} methods. It must only
 * ever produce {@code SERVICE} principals; the chain refuses anything else.
 *
 * <p>Sources are tried in the order they were added. One that finds no credential of its kind
 * answers {@link AuthResult#noCredential()} and the next is asked; one that finds a credential and
 * refuses it stops the chain.
 */
public interface TrustSource extends Authenticator {}
