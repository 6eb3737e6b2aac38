package dev.gatehouse.trust.mesh;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Parses Envoy's {@code x-forwarded-client-cert} header.
 *
 * <pre>
 * header  = element *( "," element )
 * element = pair *( ";" pair )
 * pair    = key "=" value
 * key     = By | Hash | Cert | Chain | Subject | URI | DNS | SAN      ; case-insensitive
 * value   = quoted / 1*( VCHAR except "," ";" "=" DQUOTE "\" )
 * quoted  = DQUOTE *( printable except DQUOTE and "\" / "\" printable ) DQUOTE
 * </pre>
 *
 * <p>Inside quotes {@code \"} is a quote and {@code \\} a backslash; any other backslash pair is
 * kept as written (a Subject DN keeps its own RFC 4514 escapes such as {@code \,}). Commas,
 * semicolons and equals signs inside quotes are data, never separators. Everything else is a parse
 * error: unknown keys, a repeated single-valued key, an empty element, a trailing separator, a
 * stray quote, an unterminated quote, control or non-ASCII characters, an input longer than the
 * cap, and a {@code Subject} that is not a distinguished name. The parser never throws anything but
 * {@link XfccParseException}, whose message names an offset, never the content.
 */
final class XfccParser {
  private XfccParser() {}

  /**
   * Parses a header value into its elements, leftmost first.
   *
   * @param maxLength the longest value accepted, in characters
   * @throws XfccParseException if the value is empty, too long or malformed
   */
  static List<XfccElement> parse(String header, int maxLength) throws XfccParseException {
    if (header == null || header.isEmpty()) {
      throw new XfccParseException("empty header");
    }
    if (header.length() > maxLength) {
      throw new XfccParseException("header longer than " + maxLength + " characters");
    }
    try {
      return new XfccParser.Scanner(header).elements();
    } catch (RuntimeException e) {
      // Defensive: a parser bug must still fail closed as a parse error, not escape the chain.
      throw new XfccParseException("unparseable header (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static final class Scanner {
    private final String s;
    private final int n;
    private int i;

    Scanner(String s) {
      this.s = s;
      this.n = s.length();
    }

    List<XfccElement> elements() throws XfccParseException {
      List<XfccElement> out = new ArrayList<>();
      XfccElement.Builder element = new XfccElement.Builder();
      while (true) {
        int keyStart = i;
        while (i < n && isKeyChar(s.charAt(i))) {
          i++;
        }
        if (i == keyStart) {
          throw error("expected a key");
        }
        XfccElement.Key key = XfccElement.Key.of(s, keyStart, i);
        if (key == null) {
          i = keyStart;
          throw error("unknown key");
        }
        if (i >= n || s.charAt(i) != '=') {
          throw error("expected '=' after the key");
        }
        i++;
        String value = i < n && s.charAt(i) == '"' ? quoted() : unquoted();
        if (key == XfccElement.Key.SUBJECT && !DistinguishedNames.isPlausible(value)) {
          i = keyStart;
          throw error("Subject is not a distinguished name");
        }
        if (!element.add(key, value)) {
          i = keyStart;
          throw error("repeated single-valued key");
        }
        if (i == n) {
          out.add(element.build());
          return out;
        }
        char c = s.charAt(i);
        if (c == ',') {
          out.add(element.build());
          element = new XfccElement.Builder();
        } else if (c != ';') {
          throw error("expected ';' or ',' after a value");
        }
        i++;
        if (i == n) {
          throw error("trailing separator");
        }
      }
    }

    private String quoted() throws XfccParseException {
      int open = i;
      i++;
      // Common case, no backslash: the value is a plain substring.
      for (int j = i; j < n; j++) {
        char c = s.charAt(j);
        if (c == '"') {
          String value = s.substring(i, j);
          i = j + 1;
          return value;
        }
        if (c == '\\') {
          break;
        }
        if (!isPrintable(c)) {
          i = j;
          throw error("control or non-ASCII character");
        }
      }
      StringBuilder sb = new StringBuilder();
      while (true) {
        if (i >= n) {
          i = open;
          throw error("unterminated quoted value");
        }
        char c = s.charAt(i);
        if (c == '"') {
          i++;
          return sb.toString();
        }
        if (c == '\\') {
          if (i + 1 >= n) {
            throw error("backslash at the end");
          }
          char d = s.charAt(i + 1);
          if (!isPrintable(d)) {
            throw error("control or non-ASCII character");
          }
          if (d != '"' && d != '\\') {
            sb.append('\\');
          }
          sb.append(d);
          i += 2;
        } else {
          if (!isPrintable(c)) {
            throw error("control or non-ASCII character");
          }
          sb.append(c);
          i++;
        }
      }
    }

    private String unquoted() throws XfccParseException {
      int start = i;
      while (i < n) {
        char c = s.charAt(i);
        if (c == ',' || c == ';') {
          break;
        }
        if (c == '"' || c == '\\' || c == '=' || c <= ' ' || c >= 0x7f) {
          throw error("character not allowed in an unquoted value");
        }
        i++;
      }
      if (i == start) {
        throw error("empty value");
      }
      return s.substring(start, i);
    }

    private XfccParseException error(String what) {
      return new XfccParseException(what + " at offset " + i);
    }

    private static boolean isKeyChar(char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean isPrintable(char c) {
      return c >= ' ' && c < 0x7f;
    }
  }

  /**
   * A plausibility check of a Subject DN as Envoy prints it: empty, RFC 4514 ({@code CN=a,OU=b\,c})
   * or OpenSSL's one-line form ({@code /C=US/CN=a}), with attribute types that are known names or
   * dotted OIDs. The Subject is never used as an identity; this only refuses values that no TLS
   * library would have printed.
   */
  static final class DistinguishedNames {
    private static final Set<String> KNOWN_TYPES =
        Set.of(
            "CN",
            "C",
            "L",
            "ST",
            "S",
            "O",
            "OU",
            "STREET",
            "DC",
            "UID",
            "SERIALNUMBER",
            "EMAILADDRESS",
            "EMAIL",
            "E",
            "T",
            "TITLE",
            "SN",
            "GN",
            "GIVENNAME",
            "SURNAME",
            "INITIALS",
            "GENERATIONQUALIFIER",
            "DNQUALIFIER",
            "PSEUDONYM",
            "NAME",
            "DESCRIPTION",
            "POSTALCODE",
            "POSTALADDRESS",
            "POSTOFFICEBOX",
            "BUSINESSCATEGORY",
            "ROLE",
            "TELEPHONENUMBER",
            "X500UNIQUEIDENTIFIER",
            "ORGANIZATIONIDENTIFIER",
            "JURISDICTIONC",
            "JURISDICTIONST",
            "JURISDICTIONL",
            "JURISDICTIONCOUNTRYNAME",
            "JURISDICTIONSTATEORPROVINCENAME",
            "JURISDICTIONLOCALITYNAME",
            "UNSTRUCTUREDNAME",
            "UNSTRUCTUREDADDRESS",
            "COMMONNAME",
            "COUNTRYNAME",
            "LOCALITYNAME",
            "STATEORPROVINCENAME",
            "ORGANIZATIONNAME",
            "ORGANIZATIONALUNITNAME",
            "STREETADDRESS",
            "DOMAINCOMPONENT",
            "USERID");

    private DistinguishedNames() {}

    static boolean isPlausible(String dn) {
      if (dn.isEmpty()) {
        return true;
      }
      if (dn.charAt(0) == '/') {
        // One-line form: "/type=value/type=value"; a value may itself contain '/', so a fragment
        // without a known "type=" continues the previous value.
        String first = dn.substring(1);
        int slash = first.indexOf('/');
        return isAttribute(slash < 0 ? first : first.substring(0, slash));
      }
      // RFC 4514: attributes separated by unescaped ',' or '+'.
      int start = 0;
      for (int k = 0; k <= dn.length(); k++) {
        if (k < dn.length() && dn.charAt(k) == '\\') {
          if (k + 1 == dn.length()) {
            return false;
          }
          k++;
          continue;
        }
        if (k == dn.length() || dn.charAt(k) == ',' || dn.charAt(k) == '+') {
          if (!isAttribute(dn.substring(start, k))) {
            return false;
          }
          start = k + 1;
        }
      }
      return true;
    }

    private static boolean isAttribute(String attr) {
      int eq = attr.indexOf('=');
      if (eq <= 0) {
        return false;
      }
      String type = attr.substring(0, eq).trim();
      return KNOWN_TYPES.contains(type.toUpperCase(Locale.ROOT)) || isDottedOid(type);
    }

    /** {@code [0-9]+(\.[0-9]+)+}, without a regular expression. */
    static boolean isDottedOid(String type) {
      int dots = 0;
      boolean digitBefore = false;
      for (int k = 0; k < type.length(); k++) {
        char c = type.charAt(k);
        if (c >= '0' && c <= '9') {
          digitBefore = true;
        } else if (c == '.' && digitBefore) {
          dots++;
          digitBefore = false;
        } else {
          return false;
        }
      }
      return dots > 0 && digitBefore;
    }
  }
}
