package dev.gatehouse.config;

import static java.util.Objects.requireNonNull;

/**
 * Something one configuration section claims for itself, checked across sections by the core: a
 * credential header two trust sources must not both read, or an issuer that cannot be both an
 * end-user and a service issuer.
 *
 * @param kind what is claimed
 * @param value the header name or issuer
 * @param field the full path of the field that declares it, named in the error
 */
public record ConfigClaim(Kind kind, String value, String field) {
  /** Validates. */
  public ConfigClaim {
    requireNonNull(kind, "kind");
    requireNonNull(value, "value");
    requireNonNull(field, "field");
  }

  /** A credential header read by a trust source ({@code internal.*} sections only). */
  public static ConfigClaim header(String value, String field) {
    return new ConfigClaim(Kind.CREDENTIAL_HEADER, value, field);
  }

  /** A token issuer ({@code iss}) trusted by the section. */
  public static ConfigClaim issuer(String value, String field) {
    return new ConfigClaim(Kind.ISSUER, value, field);
  }

  /** What a claim is about. */
  public enum Kind {
    /**
     * A credential header. Two trust sources reading one header are refused, naming the first in
     * chain order: a credential that source refuses would never reach the other.
     */
    CREDENTIAL_HEADER,
    /**
     * A token issuer. Two sections trusting one issuer are refused, naming the later one's field:
     * one issuer cannot be both an end-user and a service issuer.
     */
    ISSUER
  }
}
