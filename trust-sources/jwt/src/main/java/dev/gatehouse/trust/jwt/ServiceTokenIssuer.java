package dev.gatehouse.trust.jwt;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One service allowed to call internal methods with a signed token: its issuer name, its keys, and
 * the grant this server gives it.
 *
 * <p>The roles and scopes are the <em>server's</em> decision; a token can only narrow them. {@code
 * allowedSubjects} empty means the token's {@code sub} must equal its {@code iss}. {@code
 * clusterIds} empty means no cluster binding; otherwise the token's {@code cluster_id} must be one
 * of them. {@code replayProtection} overrides the source-wide default when set.
 *
 * <p><b>Subjects.</b> An issuer that signs for several workloads (a central token service) lists
 * them: {@link Builder#addSubject(ServiceSubject)} with a grant and cluster binding per subject, or
 * {@link Builder#allowedSubjects(Collection)} for subjects that take the issuer-level fields. Both
 * are one list, {@link #allowedSubjects()}; when it is not empty {@code sub} must be in it (the
 * issuer's own name only if listed). Per field (roles, scopes, cluster ids) a subject uses its own
 * value when it sets one, else the issuer's; setting a field on both the issuer and one of its
 * subjects is refused at build time as ambiguous.
 *
 * <p><b>Certificate binding.</b> {@link Builder#requireCertificateBinding(boolean)} overrides the
 * source-wide {@code SignedTokenTrustSource.Builder.requireCertificateBinding} for this issuer.
 */
public final class ServiceTokenIssuer {
  private final String issuer;
  private final JwksSource keys;
  private final List<String> algorithms;
  private final Set<String> roles;
  private final Set<String> scopes;
  private final Set<String> clusterIds;
  private final Set<String> allowedSubjects;
  private final Boolean replayProtection;
  private final Map<String, ServiceSubject> subjects;
  private final Boolean requireBinding;
  private final Map<String, SubjectGrant> grants;
  private final UserDelegation userDelegation;

  private ServiceTokenIssuer(Builder b) {
    this.issuer = b.issuer;
    this.keys = b.keys;
    this.algorithms = b.algorithms == null ? null : List.copyOf(b.algorithms);
    this.roles = Set.copyOf(b.roles);
    this.scopes = Set.copyOf(b.scopes);
    this.clusterIds = Set.copyOf(b.clusterIds);
    this.replayProtection = b.replayProtection;
    this.subjects = Collections.unmodifiableMap(new LinkedHashMap<>(b.subjects));
    this.requireBinding = b.requireBinding;
    Map<String, SubjectGrant> byName = new LinkedHashMap<>();
    SubjectGrant issuerGrant = new SubjectGrant(roles, scopes, clusterIds);
    b.allowedSubjects.forEach(s -> byName.put(s, issuerGrant));
    b.subjects.values().forEach(s -> byName.put(s.subject(), SubjectGrant.of(this, s)));
    this.allowedSubjects = Set.copyOf(byName.keySet());
    if (byName.isEmpty()) {
      byName.put(issuer, issuerGrant);
    }
    this.grants = Map.copyOf(byName);
    this.userDelegation = b.userDelegation;
  }

  /** A builder for the issuer whose tokens carry exactly {@code iss}. */
  public static Builder newBuilder(String issuer) {
    return new Builder(issuer);
  }

  /** The exact {@code iss}. */
  public String issuer() {
    return issuer;
  }

  /** Where its keys come from. */
  public JwksSource keys() {
    return keys;
  }

  /** The algorithm allow-list, if not the default. */
  public Optional<List<String>> algorithms() {
    return Optional.ofNullable(algorithms);
  }

  /** Roles granted to this caller. */
  public Set<String> roles() {
    return roles;
  }

  /** Scopes granted to this caller. */
  public Set<String> scopes() {
    return scopes;
  }

  /** Accepted {@code cluster_id} values; empty means no binding. */
  public Set<String> clusterIds() {
    return clusterIds;
  }

  /**
   * Accepted {@code sub} values: those of {@link Builder#allowedSubjects(Collection)} and of {@link
   * #subjects()}; empty means {@code sub} must equal {@code iss}.
   */
  public Set<String> allowedSubjects() {
    return allowedSubjects;
  }

  /** The subjects listed with their own entries, by {@code sub}, in configured order. */
  public Map<String, ServiceSubject> subjects() {
    return subjects;
  }

  /**
   * Per-issuer override of the source-wide certificate-binding requirement; empty: the source's
   * setting applies.
   */
  public Optional<Boolean> requireCertificateBinding() {
    return Optional.ofNullable(requireBinding);
  }

  /** What this server grants tokens of {@code sub}; empty when {@code sub} is not accepted. */
  Optional<SubjectGrant> grantFor(String sub) {
    return Optional.ofNullable(grants.get(sub));
  }

  /** Per-issuer replay protection override. */
  public Optional<Boolean> replayProtection() {
    return Optional.ofNullable(replayProtection);
  }

  /**
   * Whether, and how deep, this caller may propagate end users (on-behalf-of); empty: a token of
   * this issuer naming a user is refused.
   */
  public Optional<UserDelegation> userDelegation() {
    return Optional.ofNullable(userDelegation);
  }

  @Override
  public String toString() {
    return "ServiceTokenIssuer{"
        + issuer
        + ", "
        + keys
        + ", roles="
        + roles
        + ", scopes="
        + scopes
        + "}";
  }

  /** Builds a {@link ServiceTokenIssuer}. */
  public static final class Builder {
    private final String issuer;
    private JwksSource keys;
    private List<String> algorithms;
    private final Set<String> roles = new LinkedHashSet<>();
    private final Set<String> scopes = new LinkedHashSet<>();
    private final Set<String> clusterIds = new LinkedHashSet<>();
    private final Set<String> allowedSubjects = new LinkedHashSet<>();
    private Boolean replayProtection;
    private final Map<String, ServiceSubject> subjects = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();
    private Boolean requireBinding;
    private UserDelegation userDelegation;

    private Builder(String issuer) {
      this.issuer = requireNonNull(issuer, "issuer");
    }

    /** Keys from a JWKS URL ({@code https}, or {@code http} to a loopback host). */
    public Builder jwksUri(String uri) {
      this.keys = JwksSource.uri(requireNonNull(uri, "uri"));
      return this;
    }

    /** Keys from a URL, file or in-memory set. */
    public Builder keys(JwksSource keys) {
      this.keys = requireNonNull(keys, "keys");
      return this;
    }

    /** The algorithm allow-list (default ES256, RS256, PS256). */
    public Builder algorithms(List<String> algorithms) {
      this.algorithms = new ArrayList<>(requireNonNull(algorithms, "algorithms"));
      return this;
    }

    /** Roles this server grants the caller. */
    public Builder roles(Collection<String> roles) {
      requireNonNull(roles, "roles").forEach(r -> this.roles.add(requireNonNull(r)));
      return this;
    }

    /** Scopes this server grants the caller. */
    public Builder scopes(Collection<String> scopes) {
      requireNonNull(scopes, "scopes").forEach(s -> this.scopes.add(requireNonNull(s)));
      return this;
    }

    /** Accepted {@code cluster_id} values (empty: no binding). */
    public Builder clusterIds(Collection<String> clusterIds) {
      requireNonNull(clusterIds, "clusterIds").forEach(c -> this.clusterIds.add(requireNonNull(c)));
      return this;
    }

    /** Accepted subjects other than the issuer itself. */
    public Builder allowedSubjects(Collection<String> subjects) {
      requireNonNull(subjects, "subjects").forEach(s -> allowedSubjects.add(requireNonNull(s)));
      return this;
    }

    /**
     * Overrides the source-wide replay protection for this issuer. When on, this issuer's clients
     * must send a fresh {@code jti} per call: a Gatehouse client needs {@code
     * ServiceTokenCallCredentials.Builder.oneTimeTokens()} (gatehouse-client).
     */
    public Builder replayProtection(boolean on) {
      this.replayProtection = on;
      return this;
    }

    /**
     * Lists a subject with its own grant and cluster binding. Once any subject is listed (here or
     * with {@link #allowedSubjects(Collection)}), {@code sub} must be one of them. A field set on
     * the subject must not also be set on this issuer.
     */
    public Builder addSubject(ServiceSubject subject) {
      requireNonNull(subject, "subject");
      if (subjects.putIfAbsent(subject.subject(), subject) != null) {
        problems.add("subject " + subject.subject() + " listed twice");
      }
      return this;
    }

    /**
     * Overrides the source-wide {@code requireCertificateBinding} for this issuer: when true, its
     * tokens are refused without an RFC 8705 {@code cnf.x5t#S256} binding to the caller's TLS
     * client certificate; when false, unbound tokens are accepted (a token that carries {@code cnf}
     * is always checked).
     */
    public Builder requireCertificateBinding(boolean required) {
      this.requireBinding = required;
      return this;
    }

    /**
     * Allows this caller to propagate end users: its tokens may name the user it calls for (claim
     * {@value UserDelegation#CLAIM}), exposed as {@code AuthContext.delegatingUser()}. Off by
     * default: such a token is then refused.
     */
    public Builder propagatesUsers(UserDelegation delegation) {
      this.userDelegation = requireNonNull(delegation, "delegation");
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException on an empty issuer, no keys, empty strings in a list, a
     *     subject listed twice, or a field set on both the issuer and one of its subjects
     */
    public ServiceTokenIssuer build() {
      if (issuer.isEmpty()) {
        throw new IllegalArgumentException("signed_token: issuer must not be empty");
      }
      if (keys == null) {
        throw new IllegalArgumentException(
            "signed_token issuer " + issuer + ": no JWKS configured");
      }
      for (Set<String> set : List.of(roles, scopes, clusterIds, allowedSubjects)) {
        if (set.contains("")) {
          throw new IllegalArgumentException(
              "signed_token issuer " + issuer + ": empty string in a list");
        }
      }
      for (String s : allowedSubjects) {
        if (subjects.containsKey(s)) {
          problems.add("subject " + s + " listed twice");
        }
      }
      for (ServiceSubject s : subjects.values()) {
        ambiguous(s, "roles", roles, s.roles());
        ambiguous(s, "scopes", scopes, s.scopes());
        ambiguous(s, "cluster_ids", clusterIds, s.clusterIds());
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(
            "signed_token issuer " + issuer + ": " + String.join("; ", problems));
      }
      return new ServiceTokenIssuer(this);
    }

    private void ambiguous(
        ServiceSubject subject, String field, Set<String> onIssuer, Set<String> onSubject) {
      if (!onIssuer.isEmpty() && !onSubject.isEmpty()) {
        problems.add(
            field
                + " set both on the issuer and on subject "
                + subject.subject()
                + "; set it in one place");
      }
    }
  }
}
