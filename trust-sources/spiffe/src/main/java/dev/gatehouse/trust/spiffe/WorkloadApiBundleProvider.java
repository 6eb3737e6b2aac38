package dev.gatehouse.trust.spiffe;

/**
 * SPI: the trust bundles a SPIFFE Workload API delivers (the own trust domain's and the federated
 * ones), for the {@code workload_api} bundle source of the configuration file. Implemented by
 * {@code gatehouse-spiffe-workload} and found with {@link java.util.ServiceLoader}; without that
 * module on the class path a {@code workload_api} entry fails at startup naming the field.
 * Implementations are thread-safe.
 */
public interface WorkloadApiBundleProvider {
  /**
   * Opens, or shares when one is open already, the Workload API feed at {@code socket} (e.g. {@code
   * unix:/run/spire/agent.sock}) and returns a lease on its bundles; closing the last lease of a
   * socket stops its feed.
   *
   * @throws IllegalArgumentException if the socket address is not valid
   */
  Lease open(String socket);

  /** A lease on a feed's bundles; close it when the trust source using them is closed. */
  interface Lease extends AutoCloseable {
    /** The bundles the feed keeps up to date. */
    TrustBundleSet bundles();

    /** Releases the lease; never throws. */
    @Override
    void close();
  }
}
