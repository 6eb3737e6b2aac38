package dev.gatehouse.spi;

import java.util.Set;

/**
 * Implemented by authenticators that trust tokens of named issuers (the user-JWT authenticator, the
 * signed service-token source). The chain refuses to start when the user authenticator and an
 * internal trust source share an issuer: a token of that issuer would otherwise be accepted both as
 * an end user and as a service.
 */
public interface IssuerBound {
  /** The exact {@code iss} values this authenticator trusts. */
  Set<String> issuers();
}
