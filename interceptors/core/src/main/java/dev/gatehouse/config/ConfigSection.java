package dev.gatehouse.config;

import java.util.List;

/**
 * The validated, immutable value of one section of the configuration file (for example {@code
 * user_jwt} or {@code internal.signed_token}), as its {@link ConfigSectionProvider} parsed it.
 * Implementations are immutable values with value equality: a reload compares the old and new value
 * of each section to decide what to rebuild, so a value holds everything its authenticator is built
 * from (including top-level settings it uses, such as the clock skew).
 */
public interface ConfigSection {
  /**
   * What this section claims that no other section may claim (credential headers, issuers); the
   * core refuses a file where two sections claim the same thing, naming the field. Default: none.
   */
  default List<ConfigClaim> claims() {
    return List.of();
  }
}
