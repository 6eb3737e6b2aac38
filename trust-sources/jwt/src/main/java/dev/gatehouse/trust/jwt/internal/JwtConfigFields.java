package dev.gatehouse.trust.jwt.internal;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import java.util.List;

/** Readers of the JWT fields shared by every token section of the configuration file. */
public final class JwtConfigFields {
  private JwtConfigFields() {}

  /** The algorithms allowed when a section sets none: ES256, RS256, PS256. */
  public static List<String> defaultAlgorithms() {
    return JwtSettings.DEFAULT_ALGORITHMS;
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
