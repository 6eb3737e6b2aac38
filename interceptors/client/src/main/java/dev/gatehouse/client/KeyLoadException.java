package dev.gatehouse.client;

/**
 * A key could not be loaded. Its message is log-safe: it names the problem, never key material;
 * causes from parsers are deliberately not attached.
 */
final class KeyLoadException extends Exception {
  KeyLoadException(String message) {
    super(message);
  }
}
