package dev.gatehouse.trust.mesh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class XfccParserTest {
  private static final int CAP = MeshIdentityTrustSource.DEFAULT_MAX_HEADER_LENGTH;

  private static List<XfccElement> parse(String s) throws XfccParseException {
    return XfccParser.parse(s, CAP);
  }

  private static void assertParseError(String s) {
    assertThrows(XfccParseException.class, () -> parse(s), s);
  }

  @Test
  void parse_envoyExample_allKeys() throws Exception {
    List<XfccElement> e =
        parse(
            "By=spiffe://td/by;Hash=abc;Cert=\"-----BEGIN%20CERTIFICATE-----%0A\";"
                + "Chain=\"x%0A\";Subject=\"CN=a\";URI=spiffe://td/u;DNS=a.example;DNS=b.example");
    assertEquals(1, e.size());
    XfccElement el = e.get(0);
    assertEquals(Optional.of("spiffe://td/by"), el.value(XfccElement.Key.BY));
    assertEquals(Optional.of("abc"), el.value(XfccElement.Key.HASH));
    assertEquals(Optional.of("-----BEGIN%20CERTIFICATE-----%0A"), el.value(XfccElement.Key.CERT));
    assertEquals(Optional.of("x%0A"), el.value(XfccElement.Key.CHAIN));
    assertEquals(Optional.of("CN=a"), el.value(XfccElement.Key.SUBJECT));
    assertEquals(List.of("spiffe://td/u"), el.values(XfccElement.Key.URI));
    assertEquals(List.of("a.example", "b.example"), el.values(XfccElement.Key.DNS));
  }

  @Test
  void parse_keysCaseInsensitive() throws Exception {
    XfccElement el = parse("uRi=spiffe://td/u;bY=spiffe://td/b;hash=1").get(0);
    assertEquals(List.of("spiffe://td/u"), el.values(XfccElement.Key.URI));
    assertEquals(Optional.of("spiffe://td/b"), el.value(XfccElement.Key.BY));
  }

  @Test
  void parse_quotedSeparators_areData() throws Exception {
    List<XfccElement> e =
        parse(
            "Subject=\"CN=evil\\,URI=spiffe://td/admin;x\";URI=spiffe://td/web,URI=spiffe://td/b");
    assertEquals(2, e.size());
    assertEquals(List.of("spiffe://td/web"), e.get(0).values(XfccElement.Key.URI));
    assertEquals(
        Optional.of("CN=evil\\,URI=spiffe://td/admin;x"), e.get(0).value(XfccElement.Key.SUBJECT));
    XfccElement quotedUri = parse("URI=\"spiffe://td/a,URI=spiffe://td/b\"").get(0);
    assertEquals(List.of("spiffe://td/a,URI=spiffe://td/b"), quotedUri.values(XfccElement.Key.URI));
  }

  @Test
  void parse_escapes_quoteAndBackslashUnescapedOthersKept() throws Exception {
    XfccElement el = parse("Subject=\"CN=a\\\"b\\\\c\\,d\"").get(0);
    assertEquals(Optional.of("CN=a\"b\\c\\,d"), el.value(XfccElement.Key.SUBJECT));
    assertEquals(Optional.of(""), parse("Subject=\"\"").get(0).value(XfccElement.Key.SUBJECT));
  }

  @Test
  void parse_malformed_parseErrors() {
    for (String s :
        List.of(
            "",
            "Hash",
            "Hash=",
            "Hash=;Hash",
            "=value",
            "unknown=hello",
            "URI=spiffe://td/a;",
            "URI=spiffe://td/a,",
            ",URI=spiffe://td/a",
            "URI=spiffe://td/a,,URI=spiffe://td/b",
            "URI=spiffe://td/a;;Hash=1",
            "URI=\"spiffe://td/a",
            "URI=\"spiffe://td/a\"x",
            "URI=spi\"ffe",
            "URI=a=b",
            "URI=a\\;b",
            "URI=a b",
            "URI=a\tb",
            "URI=caf\u00e9",
            "Subject=\"a\u0001\"",
            "Subject=\"abc\\",
            "By=a;By=b",
            "Hash=a;HASH=b",
            "Subject=\"random\"",
            "Subject=\"random=hello\"",
            "Subject=\"CN=x,URI=spiffe://td/admin\"",
            "URI =spiffe://td/a",
            " URI=spiffe://td/a")) {
      assertParseError(s);
    }
  }

  @Test
  void parse_overCap_parseError() {
    String big = "URI=spiffe://td/" + "a".repeat(200);
    assertThrows(XfccParseException.class, () -> XfccParser.parse(big, 100));
  }

  @Test
  void parse_errorMessage_neverQuotesContent() {
    XfccParseException e =
        assertThrows(XfccParseException.class, () -> parse("URI=topsecret;unknownkey=zzz"));
    assertFalse(e.getMessage().contains("topsecret"), e.getMessage());
    assertFalse(e.getMessage().contains("unknownkey"), e.getMessage());
    assertTrue(e.getMessage().contains("offset"), e.getMessage());
  }

  @Test
  void parse_subjectForms_slashAndRfc4514AndOid() throws Exception {
    for (String dn :
        List.of(
            "/C=US/ST=CA/L=San Francisco/OU=Lyft/CN=Test Client",
            "OU=0:test-tls-in,CN=localhost",
            "CN=hello,OU=hello,O=Acme\\, Inc.",
            "CN=a+UID=b,DC=example,DC=org",
            "2.5.4.3=x,emailAddress=a@b",
            "/CN=a/b")) {
      assertEquals(
          Optional.of(dn),
          parse("Subject=\"" + dn + "\"").get(0).value(XfccElement.Key.SUBJECT),
          dn);
    }
  }

  @Test
  void parse_randomInput_onlyParseErrorsNeverOtherExceptions() {
    Random random = new Random(42);
    String alphabet = "URIByHashSubjectDNS=;,\"\\ spiffe://td/a.-_\u00e9\u0000";
    for (int n = 0; n < 20000; n++) {
      StringBuilder sb = new StringBuilder();
      int len = random.nextInt(40);
      for (int k = 0; k < len; k++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      try {
        List<XfccElement> out = parse(sb.toString());
        assertFalse(out.isEmpty());
      } catch (XfccParseException expected) {
        // fine
      }
    }
  }

  @Test
  void dottedOid_acceptsExactlyWhatTheOidPatternAccepts() {
    java.util.regex.Pattern oid = java.util.regex.Pattern.compile("[0-9]+(\\.[0-9]+)+");
    List<String> cases =
        List.of(
            "2.5.4.3",
            "1.2",
            "0.0.0",
            "12.345.6789",
            "",
            "1",
            "1.",
            ".1",
            "1..2",
            "1.2.",
            "a.1",
            "1.a",
            "1.2.3x",
            " 1.2",
            "1.2 ",
            "..",
            ".",
            "1.-2",
            "\u0661.\u0662");
    for (String c : cases) {
      assertEquals(
          oid.matcher(c).matches(), XfccParser.DistinguishedNames.isDottedOid(c), "case " + c);
    }
    java.util.Random random = new java.util.Random(7);
    String alphabet = "0123456789..a";
    for (int n = 0; n < 20_000; n++) {
      StringBuilder sb = new StringBuilder();
      for (int k = random.nextInt(8); k > 0; k--) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String c = sb.toString();
      assertEquals(
          oid.matcher(c).matches(), XfccParser.DistinguishedNames.isDottedOid(c), "case " + c);
    }
  }

  @Test
  void parse_quotedValueWithAndWithoutEscapes_sameValuesAsWritten() throws Exception {
    XfccElement e =
        XfccParser.parse("Subject=\"CN=a\\,b\";URI=spiffe://td/x;DNS=\"d1\";DNS=\"d\\\"2\"", 1000)
            .get(0);
    assertEquals(java.util.Optional.of("CN=a\\,b"), e.value(XfccElement.Key.SUBJECT));
    assertEquals(List.of("d1", "d\"2"), e.values(XfccElement.Key.DNS));
    assertEquals(List.of("spiffe://td/x"), e.values(XfccElement.Key.URI));
    assertEquals(List.of(), e.values(XfccElement.Key.HASH));
  }
}
