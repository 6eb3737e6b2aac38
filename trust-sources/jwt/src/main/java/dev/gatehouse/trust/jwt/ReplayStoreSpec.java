package dev.gatehouse.trust.jwt;

/**
 * The parsed, validated settings of one {@code replay_store}: an immutable value with value
 * equality (a reload compares it with the running one; a change takes effect only on restart),
 * whose {@code toString()} never shows a password.
 */
public interface ReplayStoreSpec {
  /** The {@code type} it was read as. */
  String type();

  /**
   * Opens the store (at startup, before the server binds its port). A backend that is unreachable
   * now is not an error: calls are answered {@code UNAVAILABLE} until it is reachable.
   *
   * @throws IllegalArgumentException if the settings cannot be used
   */
  ReplayStore open();
}
