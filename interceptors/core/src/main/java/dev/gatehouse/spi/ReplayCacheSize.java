package dev.gatehouse.spi;

/**
 * Optional capability of a {@link TrustSource} that keeps a replay cache: how many token
 * identifiers it holds now, for monitoring. Read-only: reading it never affects a decision.
 */
public interface ReplayCacheSize {
  /** Token identifiers held now; zero when replay protection is off. */
  int replayCacheSize();
}
