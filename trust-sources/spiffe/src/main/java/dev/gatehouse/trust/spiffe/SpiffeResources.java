package dev.gatehouse.trust.spiffe;

import java.util.List;
import java.util.logging.Logger;

/** Closes the resources a trust source was built with, never throwing. */
final class SpiffeResources {
  private static final Logger logger = Logger.getLogger(SpiffeResources.class.getName());

  private SpiffeResources() {}

  static void closeAll(List<AutoCloseable> resources) {
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception e) {
        logger.warning("closing " + r + " failed (" + e.getClass().getSimpleName() + ")");
      }
    }
  }
}
