package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.testing.TestSupport;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SpiffeIdTest {
  private static final Set<String> LABELS = Set.of("valid-id", "invalid-id", "DIVERGENT", "POLICY");

  /**
   * Sweeps spiffe_id_cases.json. valid-id must parse and round-trip; invalid-id must be refused;
   * DIVERGENT (upper-case scheme or trust domain) is refused by decision 1; POLICY (over 255-byte
   * trust domain or 2048-byte ID) is refused by decision 3.
   */
  @Test
  void parse_vectorSweep_matchesExpectationsAndDecisions() throws Exception {
    List<Map<String, Object>> cases = TestSupport.cases("spiffe/spiffe_id_cases.json");
    assertEquals(73, cases.size());
    int valid = 0;
    int refused = 0;
    for (Map<String, Object> c : cases) {
      String input = (String) c.get("input");
      String expected = (String) c.get("expected");
      String label = "input " + abbreviate(input) + " (" + expected + ", " + c.get("note") + ")";
      assertTrue(LABELS.contains(expected), "unknown label " + label);
      if (expected.equals("valid-id")) {
        SpiffeId id = SpiffeId.parse(input);
        assertEquals(input, id.toString(), label);
        assertEquals(Optional.of(id), SpiffeId.tryParse(input), label);
        valid++;
      } else {
        if (expected.equals("DIVERGENT")) {
          assertFalse(input.equals(input.toLowerCase(java.util.Locale.ROOT)), label);
        }
        if (expected.equals("POLICY")) {
          String td = input.substring("spiffe://".length()).split("/", 2)[0];
          assertTrue(
              td.length() > TrustDomain.MAX_LENGTH
                  || input.getBytes(StandardCharsets.UTF_8).length > SpiffeId.MAX_LENGTH,
              label);
        }
        assertThrows(IllegalArgumentException.class, () -> SpiffeId.parse(input), label);
        assertEquals(Optional.empty(), SpiffeId.tryParse(input), label);
        refused++;
      }
    }
    assertEquals(73, valid + refused);
  }

  @Test
  void parse_vectorBoundaries_are255And2048Exactly() throws Exception {
    List<Map<String, Object>> cases = TestSupport.cases("spiffe/spiffe_id_cases.json");
    boolean saw255 = false;
    boolean saw2048 = false;
    for (Map<String, Object> c : cases) {
      String input = (String) c.get("input");
      if (!c.get("expected").equals("valid-id")) {
        continue;
      }
      saw255 |= SpiffeId.parse(input).trustDomain().name().length() == 255;
      saw2048 |= input.length() == 2048;
    }
    assertTrue(saw255, "the vectors accept a 255-byte trust domain");
    assertTrue(saw2048, "the vectors accept a 2048-byte ID");
  }

  @Test
  void parse_exactly2048Bytes_acceptedAnd2049Refused() {
    String prefix = "spiffe://example.org/";
    String ok = prefix + "a".repeat(2048 - prefix.length());
    assertEquals(2048, ok.length());
    assertEquals(ok, SpiffeId.parse(ok).toString());
    assertThrows(IllegalArgumentException.class, () -> SpiffeId.parse(ok + "a"));
  }

  @Test
  void parse_trustDomain255Accepted_256Refused() {
    String td255 = "a".repeat(255);
    assertEquals(td255, SpiffeId.parse("spiffe://" + td255).trustDomain().name());
    assertThrows(IllegalArgumentException.class, () -> SpiffeId.parse("spiffe://a" + td255));
    assertThrows(IllegalArgumentException.class, () -> TrustDomain.parse("a" + td255));
  }

  @Test
  void parse_everyByteInTrustDomain_onlyLowerAlnumDotDashUnderscoreAccepted() {
    for (int c = 0; c <= 0xff; c++) {
      if (c == '/') {
        continue; // ends the trust domain; covered by path tests
      }
      String input = "spiffe://a" + (char) c + "b/p";
      boolean expected =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
      assertEquals(
          expected, SpiffeId.tryParse(input).isPresent(), "char 0x" + Integer.toHexString(c));
    }
  }

  @Test
  void parse_everyByteInPath_onlyAlnumDotDashUnderscoreAccepted() {
    for (int c = 0; c <= 0xff; c++) {
      if (c == '/') {
        continue; // a separator
      }
      String input = "spiffe://td/a" + (char) c + "b";
      boolean expected =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '.'
              || c == '-'
              || c == '_';
      assertEquals(
          expected, SpiffeId.tryParse(input).isPresent(), "char 0x" + Integer.toHexString(c));
    }
  }

  @Test
  void parse_upperCaseTrustDomain_refusedNeverNormalised() {
    assertThrows(IllegalArgumentException.class, () -> SpiffeId.parse("spiffe://Example.org/x"));
    assertThrows(IllegalArgumentException.class, () -> SpiffeId.parse("SPIFFE://example.org/x"));
    assertThrows(IllegalArgumentException.class, () -> TrustDomain.parse("EXAMPLE.ORG"));
  }

  @Test
  void parse_invalidInput_messageDoesNotQuoteInput() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SpiffeId.parse("spiffe://example.org/topsecretvalue$"));
    assertFalse(e.getMessage().contains("topsecretvalue"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> SpiffeId.parse("hunter2-password"));
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
  }

  @Test
  void parse_validId_exposesTrustDomainPathAndSegments() {
    SpiffeId id = SpiffeId.parse("spiffe://cluster.local/ns/trips/sa/worker");
    assertEquals(TrustDomain.parse("cluster.local"), id.trustDomain());
    assertEquals("/ns/trips/sa/worker", id.path());
    assertEquals(List.of("ns", "trips", "sa", "worker"), id.pathSegments());
    assertTrue(id.memberOf(TrustDomain.parse("cluster.local")));
    assertFalse(id.memberOf(TrustDomain.parse("cluster.other")));
    SpiffeId root = SpiffeId.parse("spiffe://cluster.local");
    assertEquals("", root.path());
    assertEquals(List.of(), root.pathSegments());
    assertEquals(root, TrustDomain.parse("cluster.local").spiffeId());
  }

  @Test
  void equals_sameString_equalAndSameHash_differentPathNotEqual() {
    SpiffeId a = SpiffeId.parse("spiffe://td/a");
    SpiffeId b = SpiffeId.of(TrustDomain.parse("td"), "/a");
    assertEquals(a, b);
    assertEquals(a.hashCode(), b.hashCode());
    assertNotEquals(a, SpiffeId.parse("spiffe://td/A"));
    assertNotEquals(a, SpiffeId.parse("spiffe://td"));
    assertThrows(IllegalArgumentException.class, () -> SpiffeId.of(TrustDomain.parse("td"), "a"));
  }

  @Test
  void tryParse_null_empty() {
    assertEquals(Optional.empty(), SpiffeId.tryParse(null));
    assertThrows(NullPointerException.class, () -> SpiffeId.parse(null));
  }

  private static String abbreviate(String s) {
    return s.length() > 60 ? s.substring(0, 60) + "...(" + s.length() + ")" : s;
  }
}
