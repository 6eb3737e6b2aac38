package dev.gatehouse.audit;

/** Bad arguments or unreadable input: the CLI prints the message on one line and exits 2. */
final class UsageException extends Exception {
  private static final long serialVersionUID = 1L;

  UsageException(String message) {
    super(message);
  }
}
