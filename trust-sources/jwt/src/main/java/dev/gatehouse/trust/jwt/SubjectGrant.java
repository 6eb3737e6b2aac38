package dev.gatehouse.trust.jwt;

import java.util.Set;

/**
 * What the server grants one accepted subject of a signed-token issuer: roles, scopes and the
 * accepted {@code cluster_id}s (empty: no binding). Resolved once at build time from the issuer
 * entry and its {@link ServiceSubject}s.
 */
record SubjectGrant(Set<String> roles, Set<String> scopes, Set<String> clusterIds) {
  SubjectGrant {
    roles = Set.copyOf(roles);
    scopes = Set.copyOf(scopes);
    clusterIds = Set.copyOf(clusterIds);
  }

  /** The subject's own value of each field where it sets one, else the issuer's. */
  static SubjectGrant of(ServiceTokenIssuer issuer, ServiceSubject subject) {
    return new SubjectGrant(
        subject.roles().isEmpty() ? issuer.roles() : subject.roles(),
        subject.scopes().isEmpty() ? issuer.scopes() : subject.scopes(),
        subject.clusterIds().isEmpty() ? issuer.clusterIds() : subject.clusterIds());
  }
}
