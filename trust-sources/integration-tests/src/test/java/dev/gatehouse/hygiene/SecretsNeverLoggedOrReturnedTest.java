package dev.gatehouse.hygiene;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.config.TestSections;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets hygiene: every failure path reachable from the wire is driven with one unique marker in
 * what a caller keeps secret — token signatures and payloads, JOSE header values, the dev shared
 * secret (configured and presented), forwarded-identity header content, malformed credentials —
 * while every {@code java.util.logging} record (root handler at {@code ALL}, from startup on) and
 * every status description is captured. The marker, and every signature and payload segment of
 * every token sent, must appear in none of them.
 *
 * <p>Identifiers are not secrets and are logged quoted by design (an issuer, a {@code kid}, a
 * SPIFFE ID, a peer address, the name of a refused JOSE header member): the marker is kept out of
 * those positions.
 */
class SecretsNeverLoggedOrReturnedTest {
  private static final String MARKER = "Qx7MarkerZk93Lw";
  private static final String IDP = "https://idp.test";
  private static final String XFCC = "x-forwarded-client-cert";
  private static final String SECRET_HEADER = "x-internal-secret";
  private static final String WORKER_ID = "spiffe://cluster.local/ns/trips/sa/worker";
  private static final InetSocketAddress STRANGER = new InetSocketAddress("192.0.2.7", 4000);
  private static final InetSocketAddress PROXY = new InetSocketAddress("10.0.0.1", 4000);

  @TempDir Path dir;

  private final List<String> descriptions = new CopyOnWriteArrayList<>();
  private final List<String> sentSegments = new ArrayList<>();
  private final ECKey idpKey = TestTokens.ecKey("idp-1");
  private final ECKey workerKey = TestTokens.ecKey("worker-1");
  private final ECKey strangerKey = TestTokens.ecKey("idp-1");

  /** Captures every record of every logger, at every level. */
  private static final class RootCapture extends Handler implements AutoCloseable {
    private final Logger root = Logger.getLogger("");
    private final Level previous = root.getLevel();
    final List<LogRecord> records = new CopyOnWriteArrayList<>();

    RootCapture() {
      setLevel(Level.ALL);
      root.setLevel(Level.ALL);
      root.addHandler(this);
    }

    @Override
    public void publish(LogRecord r) {
      records.add(r);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      root.removeHandler(this);
      root.setLevel(previous);
    }

    /** Each record as printed: logger, level, message, parameters, thrown with causes. */
    List<String> rendered() {
      List<String> out = new ArrayList<>();
      for (LogRecord r : records) {
        StringBuilder sb = new StringBuilder();
        sb.append(r.getLoggerName()).append(' ').append(r.getLevel()).append(' ');
        sb.append(r.getMessage());
        if (r.getParameters() != null) {
          for (Object p : r.getParameters()) {
            sb.append(' ').append(p);
          }
        }
        if (r.getThrown() != null) {
          StringWriter w = new StringWriter();
          r.getThrown().printStackTrace(new PrintWriter(w));
          sb.append(' ').append(w);
        }
        out.add(sb.toString());
      }
      return out;
    }
  }

  private String signed(ECKey key, Map<String, Object> header, Consumer<Map<String, Object>> edit) {
    Map<String, Object> c = TestTokens.claims(IDP, "alice", "trips-api", Instant.now(), 300);
    c.put("note", MARKER);
    c.put("jti", MARKER + "-" + sentSegments.size());
    edit.accept(c);
    return remember(TestTokens.sign(key, header, c));
  }

  private String remember(String token) {
    for (String part : token.split("\\.", -1)) {
      if (part.length() >= 16) {
        sentSegments.add(part);
      }
    }
    return token;
  }

  private static Metadata md(String... nameValuePairs) {
    Metadata md = new Metadata();
    for (int i = 0; i < nameValuePairs.length; i += 2) {
      md.put(
          Metadata.Key.of(nameValuePairs[i], Metadata.ASCII_STRING_MARSHALLER),
          nameValuePairs[i + 1]);
    }
    return md;
  }

  private void refused(
      ProbeHarness h, Metadata headers, Function<ProbeGrpc.ProbeBlockingStub, Object> call) {
    int before = h.handlerRuns();
    StatusRuntimeException e =
        ProbeHarness.expectFailure(
            () -> {
              Object unused = call.apply(h.stub(headers));
            });
    descriptions.add(String.valueOf(e.getStatus().getDescription()));
    descriptions.add(e.getMessage());
    assertEquals(before, h.handlerRuns(), "handler must not run");
  }

  private Path config() throws Exception {
    Files.writeString(dir.resolve("idp.jwks.json"), new JWKSet(idpKey.toPublicJWK()).toString());
    Files.writeString(
        dir.resolve("worker.jwks.json"), new JWKSet(workerKey.toPublicJWK()).toString());
    Files.writeString(dir.resolve("dev-secret.txt"), secret() + "\n");
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            "service_name: trips",
            "dev_mode: true",
            "user_jwt:",
            "  issuers:",
            "    - { issuer: \"" + IDP + "\", jwks_file: idp.jwks.json, audiences: [trips-api] }",
            "internal:",
            "  mesh_identity:",
            "    trusted_proxies: [\"10.0.0.1/32\"]",
            "    allow:",
            "      - { identity: \"" + WORKER_ID + "\" }",
            "  signed_token:",
            "    replay_protection: true",
            "    issuers:",
            "      - { issuer: worker, jwks_file: worker.jwks.json, roles: [trip-finisher] }",
            "  shared_secret:",
            "    secret_file: dev-secret.txt",
            ""));
    return file;
  }

  private static String secret() {
    return "dev-" + MARKER + "-9fT2kLq8Vw3Rz6Yp";
  }

  private ProbeHarness start(Path file, InetSocketAddress peer, List<AutoCloseable> closers)
      throws Exception {
    ProbeHarness h =
        ProbeHarness.start(
            hh -> {
              ConfiguredGatehouse g =
                  ConfiguredGatehouse.newBuilder(file)
                      .addSections(TestSections.ALL)
                      .addService(hh.service())
                      .build();
              closers.add(g);
              return g.gatehouse();
            },
            peer);
    closers.add(h);
    return h;
  }

  @Test
  void everyFailurePath_markerInNoLogRecordAndNoStatusDescription() throws Exception {
    Req req = Req.getDefaultInstance();
    List<AutoCloseable> closers = new ArrayList<>();
    try (RootCapture logs = new RootCapture()) {
      try {
        Path file = config();
        ProbeHarness h = start(file, STRANGER, closers);
        String kid = "idp-1";
        // --- end-user JWTs on a gated method ---
        String good = signed(idpKey, TestTokens.header("ES256", kid), c -> {});
        String[] p = good.split("\\.", -1);
        String forged = remember(p[0] + "." + p[1] + "." + MARKER + p[2].substring(15));
        String tampered =
            remember(p[0] + "." + TestTokens.encode(Map.of("iss", IDP, "x", MARKER)) + "." + p[2]);
        List<String> userTokens =
            List.of(
                forged,
                tampered,
                signed(strangerKey, TestTokens.header("ES256", kid), c -> {}),
                signed(idpKey, TestTokens.header("ES256", kid), c -> c.put("exp", 1_000L)),
                signed(idpKey, TestTokens.header("ES256", kid), c -> c.put("aud", MARKER)),
                signed(idpKey, TestTokens.header("ES256", kid), c -> c.put("iss", "https://x")),
                signed(idpKey, TestTokens.header("ES256", kid), c -> c.put("exp", MARKER)),
                signed(
                    idpKey,
                    TestTokens.header("ES256", kid),
                    c -> c.put("nbf", Instant.now().getEpochSecond() + 3600)),
                signed(
                    idpKey,
                    Map.of("alg", "ES256", "kid", kid, "x5u", "https://" + MARKER),
                    c -> {}),
                signed(idpKey, Map.of("alg", "ES256", "kid", kid, "typ", MARKER), c -> {}),
                signed(
                    idpKey,
                    Map.of("alg", "ES256", "kid", kid, "crit", List.of("exp"), "zip", MARKER),
                    c -> {}),
                remember(
                    TestTokens.encode(Map.of("alg", "none"))
                        + "."
                        + TestTokens.encode(Map.of("iss", IDP, "sub", MARKER))
                        + "."),
                remember(
                    TestTokens.hmac(
                        MARKER.repeat(3).getBytes(StandardCharsets.US_ASCII),
                        TestTokens.header("HS256", kid),
                        Map.of("iss", IDP, "sub", "alice", "x", MARKER))),
                MARKER,
                MARKER + "." + MARKER + "." + MARKER + "=",
                MARKER + ".." + MARKER,
                "eyJ" + MARKER.repeat(800) + ".e30.AAAA");
        for (String t : userTokens) {
          refused(h, md("authorization", "Bearer " + t), s -> s.anyUser(req));
        }
        String basic =
            Base64.getEncoder()
                .encodeToString(("alice:" + MARKER).getBytes(StandardCharsets.UTF_8));
        refused(h, md("authorization", "Basic " + basic), s -> s.anyUser(req));
        refused(h, md("authorization", MARKER), s -> s.anyUser(req));
        refused(
            h,
            md("authorization", "Bearer " + good, "authorization", "Bearer " + forged),
            s -> s.anyUser(req));
        // A valid user token next to a forwarded identity from a peer that is no proxy.
        String xfccSpoof = "Hash=" + MARKER + ";Subject=\"CN=" + MARKER + "\";URI=" + WORKER_ID;
        refused(h, md("authorization", "Bearer " + good, XFCC, xfccSpoof), s -> s.anyUser(req));
        // --- internal method: spoofed XFCC, dev secret, service tokens ---
        refused(h, md(XFCC, xfccSpoof), s -> s.worker(req));
        refused(
            h,
            md(SECRET_HEADER, "wrong-" + MARKER + "-secret-value-0123456789"),
            s -> s.worker(req));
        refused(h, md(SECRET_HEADER, secret() + "x"), s -> s.worker(req));
        refused(h, md(SECRET_HEADER, secret().substring(1)), s -> s.worker(req));
        refused(h, md(SECRET_HEADER, secret(), SECRET_HEADER, secret()), s -> s.worker(req));
        refused(h, md(XFCC, xfccSpoof, SECRET_HEADER, secret()), s -> s.worker(req));
        Consumer<Map<String, Object>> service =
            c -> {
              c.put("iss", "worker");
              c.put("sub", "worker");
              c.put("aud", "trips");
            };
        String serviceToken = signed(workerKey, TestTokens.header("ES256", "worker-1"), service);
        assertEquals(
            "Worker", h.stub(md("authorization", "Bearer " + serviceToken)).worker(req).getText());
        refused(h, md("authorization", "Bearer " + serviceToken), s -> s.worker(req)); // replay
        for (String t :
            List.of(
                signed(
                    workerKey,
                    TestTokens.header("ES256", "worker-1"),
                    service.andThen(c -> c.put("exp", 1_000L))),
                signed(strangerKey, TestTokens.header("ES256", "worker-1"), service),
                signed(
                    workerKey,
                    TestTokens.header("ES256", "worker-1"),
                    service.andThen(c -> c.put("roles", List.of(MARKER)))),
                signed(
                    workerKey,
                    TestTokens.header("ES256", "worker-1"),
                    service.andThen(c -> c.put("exp", Instant.now().getEpochSecond() + 86_400))),
                good)) {
          refused(h, md("authorization", "Bearer " + t), s -> s.workerFinisher(req));
        }
        assertEquals("Worker", h.stub(md(SECRET_HEADER, secret())).worker(req).getText());
        // --- forwarded identity from the trusted proxy, with secret-bearing content ---
        ProbeHarness viaProxy = start(file, PROXY, closers);
        for (String xfcc :
            List.of(
                "Hash=" + MARKER + ";URI=spiffe://cluster.local/ns/other/sa/x",
                "Hash=" + MARKER + ";URI=" + WORKER_ID + ";URI=" + WORKER_ID,
                "Hash=\"" + MARKER,
                MARKER + "=" + MARKER,
                "Subject=\"" + MARKER + ",URI=" + WORKER_ID + "\"")) {
          refused(viaProxy, md(XFCC, xfcc), s -> s.worker(req));
        }
      } finally {
        for (int i = closers.size() - 1; i >= 0; i--) {
          closers.get(i).close();
        }
      }
      List<String> lines = logs.rendered();
      assertTrue(lines.size() >= 20, "the refusals were logged: " + lines.size());
      List<String> leaks = new ArrayList<>();
      for (String line : lines) {
        if (line.contains(MARKER) || sentSegments.stream().anyMatch(line::contains)) {
          leaks.add(line);
        }
      }
      assertEquals(List.of(), leaks, "log records carrying the marker or a token segment");
      assertTrue(descriptions.size() >= 40, "statuses seen: " + descriptions.size());
      for (String d : descriptions) {
        assertFalse(d.contains(MARKER), () -> "marker in a status: " + d);
        for (String segment : sentSegments) {
          assertFalse(d.contains(segment), () -> "token segment in a status: " + d);
        }
      }
    }
  }
}
