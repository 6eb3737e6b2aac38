package dev.gatehouse.trust.jwt.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** {@link JwtSettings}: defaults, validation at build, immutability. */
class JwtSettingsTest {
  private static void invalid(UnaryOperator<JwtSettings.Builder> edit, String fragment) {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> edit.apply(JwtSettings.newBuilder()).build());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  @Test
  void defaults_asDocumented() {
    JwtSettings s = JwtSettings.defaults();
    assertEquals(Duration.ofSeconds(30), s.clockSkew());
    assertEquals(List.of("ES256", "RS256", "PS256"), s.algorithms());
    assertEquals(8 * 1024, s.maxTokenBytes());
    assertEquals(Duration.ofSeconds(2), s.fetchTimeout());
    assertEquals(Duration.ofHours(1), s.outageTolerance());
    assertEquals(10_000, s.signatureCacheSize());
  }

  @Test
  void build_boundsAccepted() {
    Clock fixed = Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC);
    JwtSettings s =
        JwtSettings.newBuilder()
            .clock(fixed)
            .clockSkew(JwtSettings.MAX_CLOCK_SKEW)
            .maxTokenBytes(512)
            .fetchTimeout(Duration.ofMillis(50))
            .outageTolerance(Duration.ofMinutes(5).plusMillis(1))
            .signatureCacheSize(0)
            .algorithms(List.of("PS384", "ES512"))
            .build();
    assertSame(fixed, s.clock());
    assertEquals(List.of("PS384", "ES512"), s.algorithms());
    assertEquals(0, s.signatureCacheSize());
    assertEquals(65536, JwtSettings.newBuilder().maxTokenBytes(65536).build().maxTokenBytes());
  }

  @Test
  void build_skewOutsideRange_throws() {
    invalid(b -> b.clockSkew(Duration.ofSeconds(121)), "clock skew");
    invalid(b -> b.clockSkew(Duration.ofSeconds(-1)), "clock skew");
  }

  @Test
  void build_tokenCapOutsideRange_throws() {
    invalid(b -> b.maxTokenBytes(511), "maxTokenBytes");
    invalid(b -> b.maxTokenBytes(65537), "maxTokenBytes");
  }

  @Test
  void build_fetchTimeoutOutsideRange_throws() {
    invalid(b -> b.fetchTimeout(Duration.ofMillis(49)), "fetch timeout");
    invalid(b -> b.fetchTimeout(Duration.ofSeconds(31)), "fetch timeout");
  }

  @Test
  void build_outageToleranceNotAboveKeyCache_throws() {
    invalid(b -> b.outageTolerance(Duration.ofMinutes(5)), "outage tolerance");
  }

  @Test
  void build_badAlgorithms_throws() {
    invalid(b -> b.algorithms(List.of()), "no algorithm allowed");
    invalid(b -> b.algorithms(List.of("HS256")), "\"HS256\" is not allowed");
    invalid(b -> b.algorithms(List.of("none")), "is not allowed");
    invalid(b -> b.algorithms(List.of("ES256", "ES256")), "listed twice");
  }

  @Test
  void signatureCacheSize_negative_throwsAtOnce() {
    assertThrows(
        IllegalArgumentException.class, () -> JwtSettings.newBuilder().signatureCacheSize(-1));
  }

  @Test
  void nullArguments_throwNpe() {
    JwtSettings.Builder b = JwtSettings.newBuilder();
    assertThrows(NullPointerException.class, () -> b.clock(null));
    assertThrows(NullPointerException.class, () -> b.clockSkew(null));
    assertThrows(NullPointerException.class, () -> b.fetchTimeout(null));
    assertThrows(NullPointerException.class, () -> b.outageTolerance(null));
    assertThrows(NullPointerException.class, () -> b.algorithms(null));
  }

  @Test
  void value_isImmutable() {
    List<String> algs = new ArrayList<>(List.of("ES256"));
    JwtSettings.Builder b = JwtSettings.newBuilder().algorithms(algs);
    JwtSettings s = b.build();
    algs.add("RS256");
    b.clockSkew(Duration.ofSeconds(5)).algorithms(List.of("PS256"));
    assertEquals(List.of("ES256"), s.algorithms());
    assertEquals(Duration.ofSeconds(30), s.clockSkew());
    assertThrows(UnsupportedOperationException.class, () -> s.algorithms().add("PS256"));
  }

  @Test
  void trustAnchor_validatesLikeSettings() {
    dev.gatehouse.trust.jwt.JwksSource keys =
        dev.gatehouse.trust.jwt.JwksSource.json("{\"keys\":[]}");
    IllegalArgumentException alg =
        assertThrows(
            IllegalArgumentException.class,
            () -> TrustAnchor.of("iss", keys, List.of("HS256"), List.of("api")));
    assertTrue(alg.getMessage().startsWith("issuer iss: algorithm"), alg.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> TrustAnchor.of("iss", keys, List.of("ES256"), List.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> TrustAnchor.of("iss", keys, List.of("ES256"), List.of("")));
    assertThrows(
        IllegalArgumentException.class,
        () -> TrustAnchor.of("", keys, List.of("ES256"), List.of("api")));
  }
}
