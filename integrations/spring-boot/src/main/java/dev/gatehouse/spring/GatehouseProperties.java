package dev.gatehouse.spring;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The starter's settings under {@code gatehouse.*}. Unknown keys under {@code gatehouse} are
 * refused at startup, naming them: the policy itself lives in the Gatehouse configuration file that
 * {@code gatehouse.config-file} points at, parsed as strictly as without Spring.
 */
@ConfigurationProperties(prefix = "gatehouse", ignoreUnknownFields = false)
public final class GatehouseProperties {
  private Path configFile;
  private SpringSecurity springSecurity = SpringSecurity.REFUSE;

  /** The Gatehouse configuration file (YAML or JSON, docs/configuration.md). Required. */
  public Path getConfigFile() {
    return configFile;
  }

  /** Sets {@code gatehouse.config-file}. */
  public void setConfigFile(Path configFile) {
    this.configFile = configFile;
  }

  /**
   * How Gatehouse and Spring Security's gRPC authentication compose; see {@link SpringSecurity}.
   */
  public SpringSecurity getSpringSecurity() {
    return springSecurity;
  }

  /** Sets {@code gatehouse.spring-security}. */
  public void setSpringSecurity(SpringSecurity springSecurity) {
    this.springSecurity = springSecurity;
  }

  /** The value of {@code gatehouse.spring-security}. */
  public enum SpringSecurity {
    /**
     * The default: startup fails when Spring Security's gRPC authentication (an {@code
     * AuthenticationProcessInterceptor} or the servlet security context interceptor) is configured
     * too, since two authentication layers over the same services have no stated meaning.
     */
    REFUSE,
    /**
     * Both run, Gatehouse first: a call must pass Gatehouse (mode, credential, roles and scopes
     * from the proto options) and then Spring Security's own rules. Either one can refuse; neither
     * can let through a call the other refuses. Handlers read {@code AuthContext} for the Gatehouse
     * decision and Spring's {@code SecurityContextHolder} for Spring's.
     */
    COMPOSE
  }
}
