package dev.gatehouse.trust.jwt;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Remembers token identifiers until the token expires. Bounded: when full of unexpired entries it
 * refuses new tokens rather than evicting one (evicting would re-open a replay window). The default
 * {@link ReplayStore}, see {@link ReplayStore#inMemory(int)}.
 */
final class ReplayCache implements ReplayStore {

  private record Entry(String key, long expiresAt) {}

  private final int capacity;
  private final Map<String, Long> entries = new HashMap<>();
  private final PriorityQueue<Entry> byExpiry =
      new PriorityQueue<>((a, b) -> Long.compare(a.expiresAt, b.expiresAt));

  ReplayCache(int capacity) {
    this.capacity = capacity;
  }

  @Override
  public Result insertIfAbsent(String issuer, String jti, Instant expiresAt, Instant now) {
    return register(issuer + "\u0000" + jti, expiresAt.toEpochMilli(), now.toEpochMilli());
  }

  @Override
  public int localSize() {
    return size();
  }

  /** Records {@code key} until {@code expiresAtMillis}, unless it is already recorded. */
  synchronized Result register(String key, long expiresAtMillis, long nowMillis) {
    while (!byExpiry.isEmpty() && byExpiry.peek().expiresAt <= nowMillis) {
      Entry e = byExpiry.poll();
      entries.remove(e.key, e.expiresAt);
    }
    Long existing = entries.get(key);
    if (existing != null) {
      return Result.REPLAYED;
    }
    if (entries.size() >= capacity) {
      return Result.FULL;
    }
    entries.put(key, expiresAtMillis);
    byExpiry.add(new Entry(key, expiresAtMillis));
    return Result.FIRST_USE;
  }

  synchronized int size() {
    return entries.size();
  }
}
