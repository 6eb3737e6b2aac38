package dev.gatehouse.policy;

/** The decision for a gated method that has no requirements. */
public enum Access {
  /** Any authenticated end user. */
  ALLOW,
  /** Nobody. The chain default. */
  DENY
}
