package dev.gatehouse.trust.jwt;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One subject ({@code sub}) an issuer of signed service tokens may name, with the grant this server
 * gives it: its own roles, scopes and accepted {@code cluster_id}s. Used when one issuer (a central
 * token service) signs tokens for several workloads, each of which this server treats differently.
 *
 * <pre>{@code
 * ServiceTokenIssuer.newBuilder("https://issuer.internal")
 *     .jwksUri("https://issuer.internal/jwks.json")
 *     .addSubject(ServiceSubject.newBuilder("worker")
 *         .roles(List.of("trip-finisher"))
 *         .clusterIds(List.of("cluster-a"))
 *         .build())
 *     .build();
 * }</pre>
 *
 * <p>Each field left empty here is taken from the issuer entry (empty there too: no roles, no
 * scopes, no cluster binding). A field may be set on the issuer or on its subjects, never on both:
 * {@link ServiceTokenIssuer.Builder#build()} refuses that as ambiguous. The token's own {@code
 * roles} and {@code scope} claims only narrow the resulting grant.
 */
public final class ServiceSubject {
  private final String subject;
  private final Set<String> roles;
  private final Set<String> scopes;
  private final Set<String> clusterIds;

  private ServiceSubject(Builder b) {
    this.subject = b.subject;
    this.roles = Set.copyOf(b.roles);
    this.scopes = Set.copyOf(b.scopes);
    this.clusterIds = Set.copyOf(b.clusterIds);
  }

  /** A builder for the subject whose tokens carry exactly {@code sub}. */
  public static Builder newBuilder(String subject) {
    return new Builder(subject);
  }

  /** The exact {@code sub}. */
  public String subject() {
    return subject;
  }

  /** Roles granted to this subject; empty: the issuer's. */
  public Set<String> roles() {
    return roles;
  }

  /** Scopes granted to this subject; empty: the issuer's. */
  public Set<String> scopes() {
    return scopes;
  }

  /** Accepted {@code cluster_id} values for this subject; empty: the issuer's (or no binding). */
  public Set<String> clusterIds() {
    return clusterIds;
  }

  @Override
  public String toString() {
    return "ServiceSubject{"
        + subject
        + ", roles="
        + roles
        + ", scopes="
        + scopes
        + ", clusterIds="
        + clusterIds
        + "}";
  }

  /** Builds a {@link ServiceSubject}. */
  public static final class Builder {
    private final String subject;
    private final Set<String> roles = new LinkedHashSet<>();
    private final Set<String> scopes = new LinkedHashSet<>();
    private final Set<String> clusterIds = new LinkedHashSet<>();

    private Builder(String subject) {
      this.subject = requireNonNull(subject, "subject");
    }

    /** Roles this server grants the subject. */
    public Builder roles(Collection<String> roles) {
      requireNonNull(roles, "roles").forEach(r -> this.roles.add(requireNonNull(r, "role")));
      return this;
    }

    /** Scopes this server grants the subject. */
    public Builder scopes(Collection<String> scopes) {
      requireNonNull(scopes, "scopes").forEach(s -> this.scopes.add(requireNonNull(s, "scope")));
      return this;
    }

    /** Accepted {@code cluster_id} values for the subject. */
    public Builder clusterIds(Collection<String> clusterIds) {
      requireNonNull(clusterIds, "clusterIds")
          .forEach(c -> this.clusterIds.add(requireNonNull(c, "clusterId")));
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException on an empty subject or an empty string in a list
     */
    public ServiceSubject build() {
      if (subject.isEmpty()) {
        throw new IllegalArgumentException("signed_token: subject must not be empty");
      }
      for (Set<String> set : List.of(roles, scopes, clusterIds)) {
        if (set.contains("")) {
          throw new IllegalArgumentException(
              "signed_token subject " + subject + ": empty string in a list");
        }
      }
      return new ServiceSubject(this);
    }
  }
}
