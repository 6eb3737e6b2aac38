package dev.gatehouse.policy;

/** Who may call a method at all. A method has exactly one mode. */
public enum Mode {
  /** Intentionally world-open: no credential is read. */
  PUBLIC,
  /** Service-to-service only: a SERVICE principal from an internal trust source. */
  INTERNAL,
  /** End users: a USER principal from the user-JWT authenticator, then requirements decide. */
  GATED
}
