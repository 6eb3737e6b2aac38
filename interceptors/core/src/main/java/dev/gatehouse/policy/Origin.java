package dev.gatehouse.policy;

/** Where a resolved setting came from, for the startup log and the posture audit. */
public enum Origin {
  /** Written on the method ({@code method_auth}). */
  METHOD,
  /** Inherited from the service ({@code service_auth}). */
  SERVICE,
  /** An explicit override given in code or in the config file. */
  OVERRIDE,
  /** Nothing was written; the chain default applies. */
  DEFAULT
}
