package dev.gatehouse.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The sections of the documented file format (docs/configuration.md), the artifact whose provider
 * reads each, and the fixed order in which trust sources are tried (docs/design.md). The core
 * builds none of them.
 */
final class KnownSections {
  static final String USER_JWT = "user_jwt";
  static final String INTERNAL = "internal";

  /** The fixed chain order of the documented trust sources. */
  static final List<String> TRUST_SOURCE_ORDER =
      List.of(
          "internal.peer_certificate",
          "internal.mesh_identity",
          "internal.spiffe_jwt",
          "internal.signed_token",
          "internal.shared_secret");

  /** The order in which the documented sections are parsed (errors are reported in this order). */
  static final List<String> PARSE_ORDER =
      List.of(
          USER_JWT,
          "internal.signed_token",
          "internal.mesh_identity",
          "internal.shared_secret",
          "internal.peer_certificate",
          "internal.spiffe_jwt");

  private static final Map<String, String> PROVIDED_BY =
      Map.of(
          USER_JWT,
          "gatehouse-trust-jwt (UserJwtSection.provider())",
          "internal.signed_token",
          "gatehouse-trust-jwt (SignedTokenSection.provider())",
          "internal.peer_certificate",
          "gatehouse-trust-spiffe (PeerCertificateSection.provider())",
          "internal.spiffe_jwt",
          "gatehouse-trust-spiffe (SpiffeJwtSection.provider())",
          "internal.mesh_identity",
          "gatehouse-trust-mesh (MeshIdentitySection.provider())",
          "internal.shared_secret",
          "gatehouse-trust-insecure (InsecureSharedSecretSection.provider())");

  private KnownSections() {}

  static boolean isValidPath(String path) {
    return path.equals(USER_JWT) || path.matches("internal\\.[a-z][a-z0-9_]*");
  }

  static boolean isKnown(String path) {
    return PROVIDED_BY.containsKey(path);
  }

  /** The error for a documented section present in the file with no provider registered. */
  static ConfigException noProvider(String path) {
    return new ConfigException(
        path,
        "no provider is registered for this section; it is provided by " + PROVIDED_BY.get(path));
  }

  /**
   * {@code paths} in chain order: {@code user_jwt}, then the documented trust sources in their
   * fixed order, then other sections in the given order.
   */
  static List<String> chainOrder(List<String> paths) {
    List<String> out = new ArrayList<>(paths);
    out.sort(Comparator.comparingInt(KnownSections::rank));
    return out;
  }

  private static int rank(String path) {
    if (path.equals(USER_JWT)) {
      return -1;
    }
    int i = TRUST_SOURCE_ORDER.indexOf(path);
    return i < 0 ? TRUST_SOURCE_ORDER.size() : i;
  }
}
