package dev.gatehouse.config;

/**
 * A configuration file that cannot be used. The message names the offending field (for example
 * {@code internal.mesh_identity.trusted_proxies[1]}) and never quotes a secret.
 */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String field;

  /** Creates the exception for a field ({@code ""} for the whole file). */
  public ConfigException(String field, String problem) {
    super(field.isEmpty() ? problem : field + ": " + problem);
    this.field = field;
  }

  /** The dotted path of the offending field, or {@code ""}. */
  public String field() {
    return field;
  }
}
