package dev.gatehouse.server;

/** Whether a principal is an end user or another service. */
public enum PrincipalKind {
  /** An end user, authenticated by the user-JWT authenticator; only for gated methods. */
  USER,
  /** Another service, vouched for by an internal trust source; only for internal methods. */
  SERVICE
}
