package dev.gatehouse.trust.spiffe;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Bundle endpoint feeds shared by key (trust domain, URL, CA file, refresh bounds) and counted: a
 * {@code peer_certificate} and a {@code spiffe_jwt} entry for the same endpoint share one feed, and
 * a configuration reload (which builds the new source before closing the old) keeps it running.
 */
final class SharedFeeds {
  private static final class Entry {
    final BundleEndpointFeed feed;
    int count; // guarded by FEEDS

    Entry(BundleEndpointFeed feed) {
      this.feed = feed;
    }
  }

  private static final Map<Object, Entry> FEEDS = new HashMap<>();

  private SharedFeeds() {}

  /** How many feeds are running (for tests: a lease that is never closed keeps one running). */
  static int running() {
    synchronized (FEEDS) {
      return FEEDS.size();
    }
  }

  /** A lease on the feed for {@code key}, started with {@code start} if none is running. */
  static WorkloadApiBundleProvider.Lease endpoint(Object key, Supplier<BundleEndpointFeed> start) {
    Entry e;
    synchronized (FEEDS) {
      e = FEEDS.get(key);
      if (e == null) {
        e = new Entry(start.get());
        FEEDS.put(key, e);
      }
      e.count++;
    }
    Entry entry = e;
    return new WorkloadApiBundleProvider.Lease() {
      private boolean closed;

      @Override
      public TrustBundleSet bundles() {
        return entry.feed.bundles();
      }

      @Override
      public void close() {
        synchronized (FEEDS) {
          if (closed) {
            return;
          }
          closed = true;
          if (--entry.count == 0) {
            FEEDS.remove(key, entry);
            entry.feed.close();
          }
        }
      }
    };
  }
}
