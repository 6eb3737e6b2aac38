package dev.gatehouse.trust.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.testing.TestSupport;
import io.grpc.Metadata;
import java.net.SocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Sweeps all 24 cases of xfcc_cases.json, through the parser and through the trust source. Each
 * case's expectation is stated here and cross-checked against a phrase of the file's own {@code
 * expected} text, so a changed vector file fails the sweep rather than passing silently.
 */
class XfccVectorSweepTest {
  private static final String TRUSTED = "10.0.0.7";
  private static final String UNTRUSTED = "192.0.2.1";

  /** Parse: OK(n elements), ERROR, or N/A (a placeholder case, tested separately). */
  private record Expect(String phrase, int elements, Reason reason, String subject) {
    static Expect refused(String phrase, int elements, Reason reason) {
      return new Expect(phrase, elements, reason, null);
    }

    static Expect accepted(String phrase, int elements, String subject) {
      return new Expect(phrase, elements, Reason.OK, subject);
    }
  }

  private static final int PARSE_ERROR = -1;
  private static final int PLACEHOLDER = -2;
  private static final Reason NO_CREDENTIAL = null;

  private static final List<Expect> EXPECTED =
      List.of(
          /* 0 */ Expect.refused("parse OK: 1 element", 1, Reason.INVALID_CLAIMS),
          /* 1 */ Expect.refused("only the LAST element", 2, Reason.INVALID_CLAIMS),
          /* 2 */ Expect.refused("multiple DNS= pairs allowed", 1, Reason.INVALID_CLAIMS),
          /* 3 */ Expect.refused("must NOT be treated as URI", 1, Reason.INVALID_CLAIMS),
          /* 4 */ Expect.refused("no URI", 1, Reason.INVALID_CLAIMS),
          /* 5 */ Expect.refused(
              "escaped quotes inside quoted value parse OK", 1, Reason.INVALID_CLAIMS),
          /* 6 */ Expect.refused("parse error", PARSE_ERROR, Reason.MALFORMED_CREDENTIALS),
          /* 7 */ Expect.refused("empty header", PARSE_ERROR, NO_CREDENTIAL),
          /* 8 */ Expect.refused("TWO URI SANs -> must reject", 2, Reason.INVALID_CLAIMS),
          /* 9 */ Expect.refused("parse error", PARSE_ERROR, Reason.MALFORMED_CREDENTIALS),
          /* 10 */ Expect.refused("parse error", PARSE_ERROR, Reason.MALFORMED_CREDENTIALS),
          /* 11 */ Expect.refused("parse error", PARSE_ERROR, Reason.MALFORMED_CREDENTIALS),
          /* 12 */ Expect.refused("parse error", PARSE_ERROR, Reason.MALFORMED_CREDENTIALS),
          /* 13 */ Expect.refused("parse error", PARSE_ERROR, Reason.MALFORMED_CREDENTIALS),
          /* 14 */ Expect.refused(
              "not a trusted proxy is a present credential that is refused",
              1,
              Reason.UNTRUSTED_PROXY),
          /* 15 */ Expect.accepted(
              "identity = LAST element", 2, "spiffe://cluster.local/ns/dev/sa/web"),
          /* 16 */ Expect.accepted(
              "accepted when the allow-list has the identity",
              1,
              "spiffe://cluster.local/ns/prod/sa/admin"),
          /* 17 */ Expect.accepted(
              "keys are case-insensitive", 1, "spiffe://cluster.local/ns/dev/sa/web"),
          /* 18 */ Expect.refused("is ONE value", 1, Reason.INVALID_CLAIMS),
          /* 19 */ Expect.refused("two URI in one element -> reject", 1, Reason.INVALID_CLAIMS),
          /* 20 */ Expect.refused("uppercase trust domain", 1, Reason.INVALID_CLAIMS),
          /* 21 */ Expect.refused("percent-encoded path", 1, Reason.INVALID_CLAIMS),
          /* 22 */ Expect.refused(
              "multiple header instances -> reject", PLACEHOLDER, Reason.DUPLICATE_CREDENTIALS),
          /* 23 */ Expect.refused("caps XFCC length", PLACEHOLDER, Reason.MALFORMED_CREDENTIALS));

  private static MeshIdentityTrustSource.Builder builder() {
    return MeshIdentityTrustSource.newBuilder()
        .trustedProxies("10.0.0.0/24", "fd00::/64")
        .allow("spiffe://cluster.local/ns/prod/sa/admin", Set.of("admin"), Set.of())
        .allow("cluster.local/ns/dev/sa/web", Set.of(), Set.of())
        .allow("spiffe://mesh.example.com/ns/otherns/sa/othersa", Set.of(), Set.of());
  }

  private static AuthResult run(MeshIdentityTrustSource source, String peer, String... values) {
    Metadata md = new Metadata();
    for (String v : values) {
      md.put(IncomingCall.key("x-forwarded-client-cert"), v);
    }
    SocketAddress address = TestSupport.peer(peer);
    return source.authenticate(
        IncomingCall.of("gatehouse.test.v1.Probe/Worker", md, address, null));
  }

  @Test
  void sweep_all24Cases_parseAndTrustOutcomesAsExpected() throws Exception {
    List<Map<String, Object>> cases = TestSupport.cases("xfcc/xfcc_cases.json");
    assertEquals(24, cases.size());
    assertEquals(24, EXPECTED.size());
    MeshIdentityTrustSource source = builder().build();
    for (int n = 0; n < cases.size(); n++) {
      Map<String, Object> c = cases.get(n);
      Expect e = EXPECTED.get(n);
      String xfcc = (String) c.get("xfcc");
      String label = "case " + n + ": " + c.get("expected");
      assertTrue(((String) c.get("expected")).contains(e.phrase()), label);

      String[] values;
      if (e.elements() == PLACEHOLDER) {
        assertTrue(xfcc.startsWith("<"), label);
        values =
            n == 22
                ? new String[] {
                  "URI=spiffe://cluster.local/ns/dev/sa/web",
                  "URI=spiffe://cluster.local/ns/prod/sa/admin"
                }
                : new String[] {nineKiB()};
      } else {
        values = new String[] {xfcc};
        if (e.elements() == PARSE_ERROR) {
          assertThrows(XfccParseException.class, () -> XfccParser.parse(xfcc, 32768), label);
        } else {
          assertEquals(e.elements(), XfccParser.parse(xfcc, 32768).size(), label);
        }
      }

      MeshIdentityTrustSource s = n == 23 ? builder().maxHeaderLength(8192).build() : source;
      String peer = ((String) c.get("direct_peer")).startsWith("untrusted") ? UNTRUSTED : TRUSTED;
      AuthResult result = run(s, peer, values);
      if (e.reason() == NO_CREDENTIAL) {
        assertEquals(AuthResult.Outcome.NO_CREDENTIAL, result.outcome(), label);
      } else if (e.reason() == Reason.OK) {
        assertEquals(AuthResult.Outcome.AUTHENTICATED, result.outcome(), label + " " + result);
        assertEquals(e.subject(), result.principal().orElseThrow().subject(), label);
      } else {
        assertEquals(AuthResult.Outcome.REJECTED, result.outcome(), label + " " + result);
        assertEquals(e.reason(), result.reason(), label + " " + result);
      }
    }
  }

  @Test
  void case15_requireSingleElement_refused() throws Exception {
    String xfcc = (String) TestSupport.cases("xfcc/xfcc_cases.json").get(15).get("xfcc");
    AuthResult r = run(builder().requireSingleElement(true).build(), TRUSTED, xfcc);
    assertEquals(Reason.MALFORMED_CREDENTIALS, r.reason());
  }

  @Test
  void case16_expectedByConfigured_missingByRefused() throws Exception {
    String xfcc = (String) TestSupport.cases("xfcc/xfcc_cases.json").get(16).get("xfcc");
    AuthResult r =
        run(
            builder().expectedBy("spiffe://cluster.local/ns/default/sa/sidecar").build(),
            TRUSTED,
            xfcc);
    assertEquals(AuthResult.Outcome.REJECTED, r.outcome());
    assertEquals(Reason.AUDIENCE_MISMATCH, r.reason());
  }

  @Test
  void case17_expectedByMatchesLowerCaseKey_accepted() throws Exception {
    String xfcc = (String) TestSupport.cases("xfcc/xfcc_cases.json").get(17).get("xfcc");
    AuthResult r =
        run(
            builder().expectedBy("spiffe://cluster.local/ns/default/sa/sidecar").build(),
            TRUSTED,
            xfcc);
    assertEquals(AuthResult.Outcome.AUTHENTICATED, r.outcome(), r.toString());
  }

  @Test
  void case5_subjectKeepsLiteralQuotes() throws Exception {
    String xfcc = (String) TestSupport.cases("xfcc/xfcc_cases.json").get(5).get("xfcc");
    XfccElement el = XfccParser.parse(xfcc, 32768).get(0);
    assertEquals(
        "/C=US/ST=CA/L=\"San Francisco\"/OU=Lyft/CN=Test Client",
        el.value(XfccElement.Key.SUBJECT).get());
    assertEquals(List.of(), el.values(XfccElement.Key.URI));
  }

  @Test
  void case8_quotedCommaInSubject_twoElementsAndRawCert() throws Exception {
    String xfcc = (String) TestSupport.cases("xfcc/xfcc_cases.json").get(8).get("xfcc");
    List<XfccElement> els = XfccParser.parse(xfcc, 32768);
    assertEquals(
        "CN=hello,OU=hello,O=Acme\\, Inc.", els.get(0).value(XfccElement.Key.SUBJECT).get());
    assertEquals(2, els.get(0).values(XfccElement.Key.DNS).size());
    assertEquals(2, els.get(1).values(XfccElement.Key.URI).size());
  }

  @Test
  void case14_trustedPeer_wouldBeAdmin_soOnlyThePeerCheckRefusesIt() throws Exception {
    String xfcc = (String) TestSupport.cases("xfcc/xfcc_cases.json").get(14).get("xfcc");
    AuthResult r = run(builder().build(), TRUSTED, xfcc);
    assertEquals("spiffe://cluster.local/ns/prod/sa/admin", r.principal().orElseThrow().subject());
  }

  private static String nineKiB() {
    String prefix = "URI=spiffe://cluster.local/ns/dev/sa/web;Subject=\"CN=";
    return prefix + "a".repeat(9 * 1024 - prefix.length() - 1) + "\"";
  }
}
