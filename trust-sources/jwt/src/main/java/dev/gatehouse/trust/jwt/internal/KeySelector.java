package dev.gatehouse.trust.jwt.internal;

import java.util.Map;
import java.util.Set;

/**
 * Picks the only key set that may verify a token, from its unverified claims, before any key is
 * looked up. Two implementations, fixed by this sealed interface:
 *
 * <ul>
 *   <li>{@link IssuerKeySelector}: the key set of the issuer the token's {@code iss} names;
 *   <li>{@link TrustDomainKeySelector}: the JWT bundle of the SPIFFE trust domain of the token's
 *       {@code sub} ({@code iss} plays no part).
 * </ul>
 *
 * <p>A selector owns its key sets and their refresh threads from construction; {@link #close()}
 * stops them. Thread-safe.
 */
public sealed interface KeySelector extends AutoCloseable
    permits IssuerKeySelector, TrustDomainKeySelector {

  /** The names of the configured key sets (issuers or trust domains), in configured order. */
  Set<String> names();

  /** Where each fetched key set stands (never fetches); in-memory sets are left out. */
  java.util.List<dev.gatehouse.spi.KeySetReachability.KeySetState> keySetStates();

  /** The settings the key sets were started with. */
  JwtSettings settings();

  /**
   * The key set for a token whose (unverified) claims are {@code claims}, or a refusal. Never
   * throws for bad input.
   */
  KeySelection select(Map<String, Object> claims);

  /** The key set called {@code name}, or a refusal (known-answer tests only). */
  KeySelection named(String name);

  /** Stops the background refresh threads. */
  @Override
  void close();
}
