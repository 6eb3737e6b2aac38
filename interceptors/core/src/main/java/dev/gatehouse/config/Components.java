package dev.gatehouse.config;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.TrustSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * The authenticators built from one configuration: the user-JWT authenticator (if configured) and
 * the internal trust sources by section path, in chain order.
 */
record Components(Optional<Authenticator> user, Map<String, TrustSource> trustSources) {
  Components {
    requireNonNull(user, "user");
    trustSources = Collections.unmodifiableMap(new LinkedHashMap<>(trustSources));
  }

  List<Authenticator> all() {
    List<Authenticator> out = new ArrayList<>(trustSources.values());
    user.ifPresent(out::add);
    return out;
  }

  void closeAll() {
    for (Authenticator a : all()) {
      try {
        a.close();
      } catch (RuntimeException e) {
        // Closing is best effort; the name is log-safe.
        Logger.getLogger(Components.class.getName())
            .warning("closing " + a.name() + " failed: " + e.getClass().getSimpleName());
      }
    }
  }
}
