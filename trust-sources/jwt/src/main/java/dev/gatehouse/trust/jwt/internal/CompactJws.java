package dev.gatehouse.trust.jwt.internal;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Base64;
import java.util.Map;

/**
 * A compact JWS checked strictly before Nimbus sees it: size cap, exactly three segments of the
 * base64url alphabet without padding, no segment of length 1 (mod 4), canonical encoding (decodes
 * and re-encodes to itself), header and payload UTF-8 JSON objects (Nimbus's parser refuses
 * duplicate members and deep nesting).
 *
 * <p>The first step of {@link JwtVerifier}: nothing else sees a token that fails here.
 */
final class CompactJws {
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  final String token;
  final Map<String, Object> header;
  final Map<String, Object> payload;

  /** The header segment as sent (for the JWS header object without parsing its JSON again). */
  final String headerSegment;

  /** The length of the signing input (header and payload segments with their dot). */
  final int signingInputLength;

  /** The signature segment as sent. */
  final String signatureSegment;

  private CompactJws(
      String token,
      Map<String, Object> header,
      Map<String, Object> payload,
      String headerSegment,
      int signingInputLength,
      String signatureSegment) {
    this.token = token;
    this.header = header;
    this.payload = payload;
    this.headerSegment = headerSegment;
    this.signingInputLength = signingInputLength;
    this.signatureSegment = signatureSegment;
  }

  /** Why a token is malformed; carries no token material and no stack trace. */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  static CompactJws parse(String token, int maxBytes) throws Malformed {
    return parse(token, maxBytes, true);
  }

  /**
   * As {@link #parse(String, int)}; the payload need not be JSON when {@code jsonPayload} is false.
   */
  static CompactJws parse(String token, int maxBytes, boolean jsonPayload) throws Malformed {
    if (token == null || token.isEmpty()) {
      throw new Malformed("empty token");
    }
    if (token.length() > maxBytes) {
      throw new Malformed("token longer than " + maxBytes + " bytes");
    }
    int first = token.indexOf('.');
    int second = first < 0 ? -1 : token.indexOf('.', first + 1);
    if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) {
      long dots = token.chars().filter(c -> c == '.').count();
      throw new Malformed(
          "expected 3 segments, found " + (dots + 1) + (dots == 4 ? " (JWE is not accepted)" : ""));
    }
    String h = token.substring(0, first);
    String p = token.substring(first + 1, second);
    String s = token.substring(second + 1);
    byte[] headerBytes = segment(h, "header");
    byte[] payloadBytes = segment(p, "payload");
    segment(s, "signature");
    return new CompactJws(
        token,
        json(headerBytes, "header"),
        jsonPayload ? json(payloadBytes, "payload") : Map.of(),
        h,
        second,
        s);
  }

  private static byte[] segment(String seg, String what) throws Malformed {
    if (seg.isEmpty()) {
      throw new Malformed(what + " segment is empty");
    }
    for (int i = 0; i < seg.length(); i++) {
      char c = seg.charAt(i);
      boolean ok =
          (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_';
      if (!ok) {
        throw new Malformed(what + " segment has a character outside base64url");
      }
    }
    if (seg.length() % 4 == 1) {
      throw new Malformed(what + " segment has an impossible base64url length");
    }
    byte[] bytes;
    try {
      bytes = DECODER.decode(seg);
    } catch (IllegalArgumentException e) {
      throw new Malformed(what + " segment is not base64url");
    }
    if (!ENCODER.encodeToString(bytes).equals(seg)) {
      throw new Malformed(what + " segment is not canonical base64url");
    }
    return bytes;
  }

  private static Map<String, Object> json(byte[] bytes, String what) throws Malformed {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new Malformed(what + " is not UTF-8");
    }
    try {
      Map<String, Object> map = JSONObjectUtils.parse(text, bytes.length + 1);
      if (map == null) {
        throw new Malformed(what + " is not a JSON object");
      }
      return map;
    } catch (ParseException | RuntimeException e) {
      throw new Malformed(what + " is not a JSON object");
    }
  }
}
