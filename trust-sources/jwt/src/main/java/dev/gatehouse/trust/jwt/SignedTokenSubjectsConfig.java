package dev.gatehouse.trust.jwt;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import java.util.List;

/**
 * Reads an {@code internal.signed_token} issuer's {@code subjects} list and refuses ambiguous
 * entries, naming the field: a subject listed twice ({@code ...subjects[1].subject}), or a field
 * ({@code roles}, {@code scopes}, {@code cluster_ids}) set both on the issuer and on a subject
 * ({@code ...subjects[1].cluster_ids}).
 */
final class SignedTokenSubjectsConfig {
  private SignedTokenSubjectsConfig() {}

  /** The issuer's subjects; empty when the key is absent. */
  static List<SignedTokenSection.Subject> subjects(
      ConfigNode issuer,
      List<String> issuerRoles,
      List<String> issuerScopes,
      List<String> issuerClusterIds) {
    List<SignedTokenSection.Subject> subjects =
        issuer.list("subjects", SignedTokenSubjectsConfig::subject);
    ConfigNode.requireDistinct(
        subjects.stream().map(SignedTokenSection.Subject::subject).toList(),
        i -> issuer.path("subjects[" + i + "].subject"),
        "subject");
    for (int i = 0; i < subjects.size(); i++) {
      SignedTokenSection.Subject s = subjects.get(i);
      String at = "subjects[" + i + "].";
      ambiguous(issuer, at + "roles", "roles", issuerRoles, s.roles());
      ambiguous(issuer, at + "scopes", "scopes", issuerScopes, s.scopes());
      ambiguous(issuer, at + "cluster_ids", "cluster_ids", issuerClusterIds, s.clusterIds());
    }
    return subjects;
  }

  private static SignedTokenSection.Subject subject(ConfigNode o) {
    String subject = o.requiredString("subject");
    List<String> roles = o.stringList("roles");
    List<String> scopes = o.stringList("scopes");
    List<String> clusterIds = o.stringList("cluster_ids");
    o.finish();
    return new SignedTokenSection.Subject(subject, roles, scopes, clusterIds);
  }

  private static void ambiguous(
      ConfigNode issuer, String field, String name, List<String> onIssuer, List<String> onSubject) {
    if (!onIssuer.isEmpty() && !onSubject.isEmpty()) {
      throw new ConfigException(
          issuer.path(field),
          "set both here and on the issuer ("
              + issuer.path(name)
              + "); set it on the issuer for every subject or on each subject, not both");
    }
  }
}
