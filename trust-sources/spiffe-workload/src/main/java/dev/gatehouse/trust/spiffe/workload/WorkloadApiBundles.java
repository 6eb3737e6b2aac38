package dev.gatehouse.trust.spiffe.workload;

import dev.gatehouse.trust.spiffe.TrustBundleSet;
import dev.gatehouse.trust.spiffe.WorkloadApiBundleProvider;
import java.util.HashMap;
import java.util.Map;

/**
 * The {@code workload_api} bundle source of the configuration file: one {@link WorkloadApiFeed} per
 * socket, shared by every trust source that names it and counted, so that a configuration reload
 * (which builds the new sources before closing the old) keeps the connection. Registered with
 * {@link java.util.ServiceLoader}; applications do not call it.
 */
public final class WorkloadApiBundles implements WorkloadApiBundleProvider {
  private static final Map<String, Shared> FEEDS = new HashMap<>();

  private static final class Shared {
    final WorkloadApiFeed feed;
    int leases; // guarded by FEEDS

    Shared(WorkloadApiFeed feed) {
      this.feed = feed;
    }
  }

  /** For {@link java.util.ServiceLoader}. */
  public WorkloadApiBundles() {}

  @Override
  public Lease open(String socket) {
    String key = WorkloadApiFeed.target(socket);
    Shared s;
    synchronized (FEEDS) {
      s = FEEDS.get(key);
      if (s == null) {
        s = new Shared(WorkloadApiFeed.connect(socket));
        FEEDS.put(key, s);
      }
      s.leases++;
    }
    Shared shared = s;
    return new Lease() {
      private boolean closed;

      @Override
      public TrustBundleSet bundles() {
        return shared.feed.bundles();
      }

      @Override
      public void close() {
        synchronized (FEEDS) {
          if (closed) {
            return;
          }
          closed = true;
          if (--shared.leases == 0) {
            FEEDS.remove(key, shared);
            shared.feed.close();
          }
        }
      }
    };
  }
}
