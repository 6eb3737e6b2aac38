package dev.gatehouse.trust.jwt.internal;

import static dev.gatehouse.testing.TestTokens.claims;
import static dev.gatehouse.testing.TestTokens.header;
import static dev.gatehouse.testing.TestTokens.sign;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.testing.JwksServer;
import dev.gatehouse.testing.MutableClock;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.jwt.JwksSource;
import dev.gatehouse.trust.jwt.TrustedIssuer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an operator reads when keys cannot be fetched: the URL and the cause's own message
 * (connection refused, the HTTP status, the timeout), never the token or key material; and a key
 * cache closed while its first fetch is in flight (a refused startup) logs no failure.
 */
class KeyFetchDiagnosticsTest {
  static final Instant NOW = Instant.parse("2026-04-01T00:00:00Z");
  static final String ISS = "https://idp.test";
  static final ECKey K1 = TestTokens.ecKey("k1");

  private final Logger logger = Logger.getLogger(KeyCache.class.getName());
  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Handler handler =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };
  private Level previous;

  @BeforeEach
  void capture() {
    previous = logger.getLevel();
    logger.setLevel(Level.ALL);
    handler.setLevel(Level.ALL);
    logger.addHandler(handler);
  }

  @AfterEach
  void release() {
    logger.removeHandler(handler);
    logger.setLevel(previous);
  }

  private static JwtVerifier verifier(String url, Duration fetchTimeout) {
    return verifier(ISS, url, fetchTimeout);
  }

  private static JwtVerifier verifier(String issuer, String url, Duration fetchTimeout) {
    return VerifierFixture.newBuilder()
        .clock(new MutableClock(NOW))
        .fetchTimeout(fetchTimeout)
        .addIssuer(
            TrustedIssuer.newBuilder(issuer).keys(JwksSource.uri(url)).audience("api").build())
        .build();
  }

  private static String token() {
    return sign(K1, header("ES256", K1.getKeyID()), claims(ISS, "u", "api", NOW, 3600));
  }

  /** Waits (up to 20 s) for a record matching {@code p}. */
  private LogRecord awaitRecord(Predicate<LogRecord> p) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (System.nanoTime() < deadline) {
      for (LogRecord r : records) {
        if (p.test(r)) {
          return r;
        }
      }
      Thread.sleep(10);
    }
    throw new AssertionError("no such log record in " + messages());
  }

  private List<String> messages() {
    return records.stream().map(r -> r.getLevel() + " " + r.getMessage()).toList();
  }

  private static boolean initialFetch(LogRecord r) {
    return r.getMessage().contains("initial JWKS fetch");
  }

  /**
   * A failed initial fetch. The level is part of the match: a verifier closed by an earlier test
   * may still log its FINE "fetch stopped" line while this test's handler listens.
   */
  private static boolean initialFetchWarning(LogRecord r) {
    return initialFetch(r) && Level.WARNING.equals(r.getLevel());
  }

  @Test
  void connectionRefused_logAndDetailNameUrlAndCause() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port + "/jwks.json";
    String token = token();
    try (JwtVerifier v = verifier(url, Duration.ofSeconds(2))) {
      LogRecord warning = awaitRecord(KeyFetchDiagnosticsTest::initialFetchWarning);
      assertTrue(Level.WARNING.equals(warning.getLevel()), messages()::toString);
      assertTrue(warning.getMessage().contains(url), warning.getMessage());
      assertTrue(warning.getMessage().contains("Connection refused"), warning.getMessage());
      JwtVerification r = v.verify(token);
      assertTrue(r.isUnavailable(), r.toString());
      assertTrue(r.detail().contains(url), r.detail());
      assertTrue(r.detail().contains("Connection refused"), r.detail());
      assertFalse(r.detail().contains(token.substring(token.lastIndexOf('.') + 1)), r.detail());
    }
  }

  @Test
  void httpError_detailNamesUrlAndStatus() throws Exception {
    try (JwksServer jwks = JwksServer.start(new JWKSet(K1))) {
      jwks.down(true);
      JwtVerifier v = verifier(jwks.url(), Duration.ofSeconds(2));
      try {
        LogRecord warning = awaitRecord(KeyFetchDiagnosticsTest::initialFetchWarning);
        assertTrue(warning.getMessage().contains(jwks.url()), warning.getMessage());
        assertTrue(warning.getMessage().contains("503"), warning.getMessage());
      } finally {
        v.close();
      }
    }
  }

  @Test
  void timeout_detailNamesUrlAndTheBound() throws Exception {
    try (JwksServer jwks = JwksServer.start(new JWKSet(K1))) {
      jwks.delay(Duration.ofSeconds(5));
      JwtVerifier v = verifier(jwks.url(), Duration.ofMillis(200));
      try {
        LogRecord warning = awaitRecord(KeyFetchDiagnosticsTest::initialFetchWarning);
        assertTrue(Level.WARNING.equals(warning.getLevel()), messages()::toString);
        assertTrue(warning.getMessage().contains(jwks.url()), warning.getMessage());
        // Whichever bound fires first: the whole exchange ("timed out after 200 ms") or the
        // socket's read timeout, set to the same bound ("SocketTimeoutException: Read timed out").
        assertTrue(warning.getMessage().contains("timed out"), warning.getMessage());
      } finally {
        v.close();
      }
    }
  }

  @Test
  void closedWhileFirstFetchInFlight_noFailureLogged() throws Exception {
    try (JwksServer jwks = JwksServer.start(new JWKSet(K1))) {
      jwks.delay(Duration.ofSeconds(5));
      // An issuer of its own: the line awaited is this verifier's, never one left by another test.
      String issuer = "https://idp-closed-in-flight.test";
      JwtVerifier v = verifier(issuer, jwks.url(), Duration.ofSeconds(10));
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (jwks.requests() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertTrue(jwks.requests() > 0, "the first fetch never reached the server");
      v.close(); // what a refused startup does with the authenticators it built
      LogRecord r =
          awaitRecord(x -> initialFetch(x) && x.getMessage().startsWith("issuer " + issuer + ":"));
      assertTrue(Level.FINE.equals(r.getLevel()), messages()::toString);
      assertTrue(r.getMessage().contains("stopped"), r.getMessage());
      assertTrue(
          records.stream()
              .noneMatch(
                  x -> Level.WARNING.equals(x.getLevel()) && x.getMessage().contains(issuer)),
          messages()::toString);
    }
  }

  @Test
  void httpError_logAndDetailNeverShowTheUrlQuery() throws Exception {
    try (JwksServer jwks = JwksServer.start(new JWKSet(K1))) {
      jwks.down(true);
      String url = jwks.url() + "?access_token=query-secret-value";
      String token = token();
      JwtVerifier v = verifier(url, Duration.ofSeconds(2));
      try {
        LogRecord warning = awaitRecord(KeyFetchDiagnosticsTest::initialFetchWarning);
        assertTrue(warning.getMessage().contains(jwks.url()), warning.getMessage());
        assertTrue(warning.getMessage().contains("503"), warning.getMessage());
        JwtVerification r = v.verify(token);
        assertTrue(r.isUnavailable(), r.toString());
        for (String text : List.of(warning.getMessage(), r.detail(), messages().toString())) {
          assertFalse(text.contains("query-secret-value"), text);
        }
      } finally {
        v.close();
      }
    }
  }
}
