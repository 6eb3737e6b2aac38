package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzz targets for {@link SpiffeId} and {@link TrustDomain} parsing. Contract: a valid input parses
 * and round-trips to the same string; anything else throws {@link IllegalArgumentException} whose
 * message never quotes the input, and {@code tryParse} agrees with {@code parse}; never any other
 * {@link Throwable}, never a hang.
 */
class SpiffeIdFuzzTest {

  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  @FuzzTest(maxDuration = "30s")
  void spiffeIdParsesRoundTripOrRefuses(byte[] data) {
    String id = new String(data, StandardCharsets.UTF_8);
    Optional<SpiffeId> tried = SpiffeId.tryParse(id);
    SpiffeId parsed;
    try {
      parsed = SpiffeId.parse(id);
    } catch (IllegalArgumentException e) {
      assertFalse(tried.isPresent(), "tryParse accepted what parse refused");
      assertNoInput(e, id);
      return;
    }
    assertEquals(Optional.of(parsed), tried, "tryParse and parse disagree");
    assertEquals(id, parsed.toString(), "a SPIFFE ID round-trips unchanged");
    assertTrue(id.length() <= SpiffeId.MAX_LENGTH, "over-long ID accepted");
    assertTrue(parsed.memberOf(parsed.trustDomain()));
    assertEquals(
        parsed, SpiffeId.of(parsed.trustDomain(), parsed.path()), "of(trustDomain, path) rebuilds");
    assertEquals(parsed.trustDomain(), TrustDomain.parse(parsed.trustDomain().name()));
  }

  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  @FuzzTest(maxDuration = "30s")
  void trustDomainParsesOrRefuses(byte[] data) {
    String name = new String(data, StandardCharsets.UTF_8);
    TrustDomain td;
    try {
      td = TrustDomain.parse(name);
    } catch (IllegalArgumentException e) {
      assertNoInput(e, name);
      return;
    }
    assertEquals(name, td.name());
    assertTrue(name.length() <= TrustDomain.MAX_LENGTH, "over-long trust domain accepted");
    assertEquals(SpiffeId.SCHEME_PREFIX + name, td.spiffeId().toString());
  }

  private static void assertNoInput(IllegalArgumentException e, String input) {
    if (input.length() >= 12) {
      assertFalse(String.valueOf(e.getMessage()).contains(input), "the message quotes the input");
    }
  }
}
