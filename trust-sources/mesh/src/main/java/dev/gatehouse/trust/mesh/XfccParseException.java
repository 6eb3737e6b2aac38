package dev.gatehouse.trust.mesh;

/**
 * An {@code x-forwarded-client-cert} value does not follow the grammar. The message names the
 * problem and an offset, never the header's content.
 */
final class XfccParseException extends Exception {
  private static final long serialVersionUID = 1L;

  XfccParseException(String message) {
    super(message, null, false, false);
  }
}
