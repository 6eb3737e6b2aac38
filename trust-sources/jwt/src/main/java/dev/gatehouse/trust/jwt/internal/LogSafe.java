package dev.gatehouse.trust.jwt.internal;

/** Makes attacker-controlled names (issuer, kid, header names) safe for one log line. */
final class LogSafe {
  private static final int MAX = 80;

  private LogSafe() {}

  /** Quotes {@code s}, replacing anything but printable ASCII and truncating long values. */
  static String quote(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX) + 4).append('"');
    for (int i = 0; i < s.length() && i < MAX; i++) {
      char c = s.charAt(i);
      sb.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? c : '?');
    }
    if (s.length() > MAX) {
      sb.append("...");
    }
    return sb.append('"').toString();
  }
}
