package dev.gatehouse.trust.config;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.TrustSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The authenticators built from one configuration: the user-JWT authenticator (if configured) and
 * the internal trust sources in their fixed order.
 */
record Components(Optional<Authenticator> user, Map<String, TrustSource> trustSources) {
  /** The section name of the user-JWT authenticator. */
  static final String USER_JWT = "user_jwt";

  /** The fixed order in which configured trust sources are tried (DESIGN §3). */
  static final List<String> ORDER =
      List.of("peer_certificate", "mesh_identity", "spiffe_jwt", "signed_token", "shared_secret");

  Components {
    requireNonNull(user, "user");
    Map<String, TrustSource> ordered = new LinkedHashMap<>();
    for (String name : ORDER) {
      TrustSource s = trustSources.get(name);
      if (s != null) {
        ordered.put(name, s);
      }
    }
    if (ordered.size() != trustSources.size()) {
      throw new IllegalArgumentException("unknown trust source in " + trustSources.keySet());
    }
    trustSources = java.util.Collections.unmodifiableMap(ordered);
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
        java.util.logging.Logger.getLogger(Components.class.getName())
            .warning("closing " + a.name() + " failed: " + e.getClass().getSimpleName());
      }
    }
  }
}
