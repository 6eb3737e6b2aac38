package dev.gatehouse.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Header reads of the authenticator's view of a call. */
class IncomingCallTest {
  private static IncomingCall call(Metadata md) {
    return IncomingCall.of("p.S/M", md, null, null);
  }

  @Test
  void headerValues_readTwice_sameValuesFromOneRead() {
    Metadata md = new Metadata();
    md.put(IncomingCall.key("authorization"), "Bearer t");
    IncomingCall c = call(md);
    List<String> first = c.headerValues("authorization");
    assertEquals(List.of("Bearer t"), first);
    assertSame(first, c.headerValues("authorization"), "served from the view, not decoded again");
    assertEquals(java.util.Optional.of("Bearer t"), c.header("authorization"));
  }

  @Test
  void headerValues_severalValues_allInOrderAndHeaderRefusesThem() {
    Metadata md = new Metadata();
    md.put(IncomingCall.key("x-a"), "1");
    md.put(IncomingCall.key("x-a"), "2");
    md.put(IncomingCall.key("x-b"), "3");
    IncomingCall c = call(md);
    assertEquals(List.of("1", "2"), c.headerValues("x-a"));
    assertEquals(List.of("1", "2"), c.headerValues("x-a"));
    assertEquals(List.of("3"), c.headerValues("x-b"));
    assertThrows(IllegalStateException.class, () -> c.header("x-a"));
  }

  @Test
  void headerValues_absentHeader_emptyAndStillAbsentForOtherNames() {
    Metadata md = new Metadata();
    md.put(IncomingCall.key("x-a"), "1");
    IncomingCall c = call(md);
    assertTrue(c.headerValues("x-missing").isEmpty());
    assertTrue(c.header("x-missing").isEmpty());
    // More distinct headers than the view keeps: every read still answers from the metadata.
    for (int i = 0; i < 10; i++) {
      md.put(IncomingCall.key("x-h" + i), "v" + i);
    }
    IncomingCall d = call(md);
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < 10; i++) {
        assertEquals(List.of("v" + i), d.headerValues("x-h" + i));
      }
    }
  }

  @Test
  void headerValues_listIsUnmodifiable() {
    Metadata md = new Metadata();
    md.put(IncomingCall.key("x-a"), "1");
    md.put(IncomingCall.key("x-a"), "2");
    md.put(IncomingCall.key("x-b"), "3");
    IncomingCall c = call(md);
    assertThrows(UnsupportedOperationException.class, () -> c.headerValues("x-a").add("evil"));
    assertThrows(UnsupportedOperationException.class, () -> c.headerValues("x-b").clear());
    assertEquals(List.of("1", "2"), c.headerValues("x-a"));
  }

  @Test
  void kept_byOwnerIdentity_neverAnotherOwnersValue() {
    IncomingCall c = call(new Metadata());
    Object a = new Object();
    Object b = new Object();
    assertEquals(null, c.kept(a));
    c.keep(a, "for a");
    assertEquals("for a", c.kept(a));
    assertEquals(null, c.kept(b), "another owner sees nothing");
    c.keep(a, "again");
    assertEquals("again", c.kept(a), "an owner's second value replaces its first");
  }

  @Test
  void keep_beyondFourOwners_notKeptAndTheOthersUntouched() {
    IncomingCall c = call(new Metadata());
    Object[] owners = {new Object(), new Object(), new Object(), new Object(), new Object()};
    for (int i = 0; i < owners.length; i++) {
      c.keep(owners[i], i);
    }
    for (int i = 0; i < 4; i++) {
      assertEquals(i, c.kept(owners[i]));
    }
    assertEquals(null, c.kept(owners[4]), "a fifth owner repeats its work");
    assertThrows(NullPointerException.class, () -> c.keep(null, "x"));
  }

  @Test
  void keep_manyThreadsKeepingAtOnce_eachOwnerReadsOnlyItsOwnValue() throws Exception {
    for (int round = 0; round < 200; round++) {
      IncomingCall c = call(new Metadata());
      Object[] owners = {new Object(), new Object(), new Object(), new Object()};
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      List<Thread> threads = new java.util.ArrayList<>();
      java.util.concurrent.atomic.AtomicInteger wrong =
          new java.util.concurrent.atomic.AtomicInteger();
      for (Object owner : owners) {
        Thread t =
            new Thread(
                () -> {
                  try {
                    go.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                  }
                  c.keep(owner, owner);
                  Object read = c.kept(owner);
                  if (read != null && read != owner) {
                    wrong.incrementAndGet();
                  }
                });
        t.start();
        threads.add(t);
      }
      go.countDown();
      for (Thread t : threads) {
        t.join();
      }
      assertEquals(0, wrong.get(), "an owner never reads another owner's value");
      for (Object owner : owners) {
        Object read = c.kept(owner);
        assertTrue(read == null || read == owner);
      }
    }
  }
}
