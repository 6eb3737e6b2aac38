package dev.gatehouse.trust.spiffe.tls;

import java.util.function.Consumer;

/**
 * Where a workload's rotating TLS material comes from: SVID files a helper rewrites ({@link
 * SvidFiles}), or the SPIFFE Workload API through an adapter that builds an {@link X509Material}
 * from the SVID ({@code X509Certificate[]} + {@code PrivateKey}) and bundles it receives.
 *
 * <p>Implementations hand out only consistent sets ({@link X509Material#of} checks the key belongs
 * to the leaf), keep serving the previous set while a new one is incomplete, and are thread-safe.
 */
public interface X509MaterialSource {
  /** The material to use now; never null once the source is built. */
  X509Material current();

  /**
   * Calls {@code listener} with every new set of material after it became {@link #current()}, on
   * the source's own thread, in order. A listener must return quickly and must not throw.
   *
   * @return a handle whose {@code close()} removes the listener
   */
  AutoCloseable subscribe(Consumer<X509Material> listener);
}
