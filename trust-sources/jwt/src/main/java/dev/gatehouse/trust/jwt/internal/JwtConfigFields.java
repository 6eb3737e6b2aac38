package dev.gatehouse.trust.jwt.internal;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import java.time.Duration;
import java.util.List;

/** Readers of the JWT fields shared by every token section of the configuration file. */
public final class JwtConfigFields {
  private JwtConfigFields() {}

  /** The algorithms allowed when a section sets none: ES256, RS256, PS256. */
  public static List<String> defaultAlgorithms() {
    return JwtSettings.DEFAULT_ALGORITHMS;
  }

  /** The key in a token section that bounds one key-set fetch, in milliseconds. */
  public static final String FETCH_TIMEOUT_FIELD = "jwks_fetch_timeout_ms";

  /**
   * Reads {@code jwks_fetch_timeout_ms} of {@code o}: the bound on one key-set fetch (connect, read
   * and total), 50 – 30 000 ms, default 2 000 ms.
   *
   * @throws ConfigException naming the field
   */
  public static Duration fetchTimeout(ConfigNode o) {
    return Duration.ofMillis(
        o.integer(FETCH_TIMEOUT_FIELD, JwtSettings.DEFAULT_FETCH_TIMEOUT.toMillis(), 50, 30_000));
  }

  /** The default bound on one key-set fetch: 2 s. */
  public static Duration defaultFetchTimeout() {
    return JwtSettings.DEFAULT_FETCH_TIMEOUT;
  }

  /**
   * Reads {@code algorithms} of {@code o}: at least one, each an algorithm Gatehouse verifies ; the
   * default when absent.
   *
   * @throws ConfigException naming the offending entry
   */
  public static List<String> algorithms(ConfigNode o) {
    if (!o.has("algorithms")) {
      o.markRead("algorithms");
      return JwtSettings.DEFAULT_ALGORITHMS;
    }
    List<String> algs = o.stringList("algorithms");
    if (algs.isEmpty()) {
      throw new ConfigException(o.path("algorithms"), "at least one algorithm is required");
    }
    for (int i = 0; i < algs.size(); i++) {
      if (!JwtSettings.isSupportedAlgorithm(algs.get(i))) {
        throw new ConfigException(
            o.path("algorithms[" + i + "]"),
            "unsupported algorithm "
                + algs.get(i)
                + "; allowed: ES256/384/512, RS256/384/512, PS256/384/512");
      }
    }
    return algs;
  }
}
