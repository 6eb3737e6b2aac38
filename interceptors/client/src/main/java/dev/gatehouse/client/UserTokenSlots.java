package dev.gatehouse.client;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The token slots of calls made on behalf of users: one per (audience, user), so a token minted for
 * one user is never attached to a call for another, and at most {@code capacity} of them, the least
 * recently used dropped first (a dropped slot completes the calls already waiting on it; the user's
 * next call mints a new token).
 */
final class UserTokenSlots {
  private record Key(String audience, DelegatedUser user) {}

  private final int capacity;

  // guarded by this
  private final LinkedHashMap<Key, AudienceTokens> slots;

  UserTokenSlots(int capacity) {
    this.capacity = capacity;
    this.slots =
        new LinkedHashMap<>(16, 0.75f, true) {
          private static final long serialVersionUID = 1L;

          @Override
          protected boolean removeEldestEntry(Map.Entry<Key, AudienceTokens> eldest) {
            return size() > UserTokenSlots.this.capacity;
          }
        };
  }

  /** The slot of {@code user}'s calls to {@code audience}, made by {@code create} if absent. */
  synchronized AudienceTokens slot(
      String audience, DelegatedUser user, Supplier<AudienceTokens> create) {
    Key key = new Key(audience, user);
    AudienceTokens slot = slots.get(key);
    if (slot == null) {
      slot = create.get();
      slots.put(key, slot);
    }
    return slot;
  }

  /** How many slots are held now. */
  synchronized int size() {
    return slots.size();
  }
}
