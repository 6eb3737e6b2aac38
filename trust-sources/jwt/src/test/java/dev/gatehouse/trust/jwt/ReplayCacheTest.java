package dev.gatehouse.trust.jwt;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ReplayCacheTest {
  @Test
  void register_repeatWithinLifetime_replayed() {
    ReplayCache c = new ReplayCache(10);
    assertEquals(ReplayCache.Result.FIRST_USE, c.register("a", 1_000, 0));
    assertEquals(ReplayCache.Result.REPLAYED, c.register("a", 1_000, 999));
  }

  @Test
  void register_afterExpiry_acceptedAgain() {
    ReplayCache c = new ReplayCache(10);
    c.register("a", 1_000, 0);
    assertEquals(ReplayCache.Result.FIRST_USE, c.register("a", 2_000, 1_000));
  }

  @Test
  void register_fullOfUnexpired_refusesWithoutEvicting() {
    ReplayCache c = new ReplayCache(2);
    c.register("a", 1_000, 0);
    c.register("b", 5_000, 0);
    assertEquals(ReplayCache.Result.FULL, c.register("c", 1_000, 10));
    assertEquals(ReplayCache.Result.REPLAYED, c.register("a", 1_000, 10));
    assertEquals(2, c.size());
    assertEquals(ReplayCache.Result.FIRST_USE, c.register("c", 3_000, 1_000));
    assertEquals(ReplayCache.Result.REPLAYED, c.register("b", 5_000, 1_000));
  }
}
