package dev.gatehouse.trust.spiffe;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.spi.TrustSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSession;

/**
 * The {@code peer_certificate} trust source: the X.509-SVID a client presented over mTLS that this
 * server terminates itself, read from the call's TLS session ({@code
 * Grpc.TRANSPORT_ATTR_SSL_SESSION}, via {@link IncomingCall#sslSession()}).
 *
 * <pre>{@code
 * TrustSource certs = PeerCertificateTrustSource.newBuilder()
 *     .addBundle("example.org", Path.of("/run/spire/bundle.pem"))
 *     .allow("spiffe://example.org/ns/trips/sa/worker", Set.of("trip-finisher"), Set.of())
 *     .build();
 * }</pre>
 *
 * <p>Per call:
 *
 * <ol>
 *   <li>no TLS session, or a session without a peer certificate: no credential, the next trust
 *       source is asked;
 *   <li>the leaf must carry exactly one URI SAN, a strictly parsed SPIFFE ID; its trust domain
 *       selects the bundle, and only that bundle's CAs may vouch for it (a CA of trust domain A
 *       never validates an ID of trust domain B, and a trust domain without a bundle is refused);
 *   <li>the presented chain (leaf first, then intermediates) is validated with PKIX ({@link
 *       CertPathValidator}) against that bundle at the injected clock's instant, revocation off;
 *   <li>the leaf must not be a CA, must have a <b>critical</b> keyUsage with digitalSignature and
 *       without keyCertSign or cRLSign, an extendedKeyUsage (when present) allowing client
 *       authentication, and be valid now;
 *   <li>the SPIFFE ID must be on the allow-list, by exact ID or by trust-domain membership (an
 *       exact entry wins over its trust domain's entry); the caller gets a SERVICE principal whose
 *       subject is the SPIFFE ID, with the entry's roles and scopes and the leaf's expiry.
 * </ol>
 *
 * <p>Every refusal is {@link Reason#INVALID_CERTIFICATE} (the client sees {@code invalid
 * credentials}), except an ID that is not allowed: {@link Reason#IDENTITY_NOT_ALLOWED}. The TLS
 * handshake itself proves the client holds the leaf's private key. Immutable and thread-safe.
 */
public final class PeerCertificateTrustSource
    implements TrustSource, dev.gatehouse.spi.BundleExpiry {
  /** The trust source name, {@code peer_certificate}. */
  public static final String NAME = "peer_certificate";

  /** The default longest chain accepted from the peer, leaf included: 8 certificates. */
  public static final int DEFAULT_MAX_CHAIN_LENGTH = 8;

  private static final java.util.logging.Logger logger =
      java.util.logging.Logger.getLogger(PeerCertificateTrustSource.class.getName());

  private final Map<TrustDomain, Domain> domains;
  private final Map<SpiffeId, Grant> allowIds;
  private final Map<TrustDomain, Grant> allowDomains;
  private final Clock clock;
  private final int maxChainLength;
  private final List<AutoCloseable> closeWith;

  /**
   * Chains validated per TLS session, dropped with the session (weak keys) and with this source: a
   * changed bundle builds a new source, whose cache starts empty.
   */
  private final Map<SSLSession, Validated> validatedSessions =
      Collections.synchronizedMap(new WeakHashMap<>());

  private final AtomicLong chainValidations = new AtomicLong();

  private PeerCertificateTrustSource(
      Map<TrustDomain, Set<X509Certificate>> bundles,
      Map<TrustDomain, TrustBundleSet> liveBundles,
      Map<SpiffeId, Grant> allowIds,
      Map<TrustDomain, Grant> allowDomains,
      Clock clock,
      int maxChainLength,
      List<AutoCloseable> closeWith) {
    this.closeWith = List.copyOf(closeWith);
    Map<TrustDomain, Domain> d = new LinkedHashMap<>();
    bundles.forEach((td, certs) -> d.put(td, Domain.fixed(td, certs)));
    liveBundles.forEach((td, set) -> d.put(td, new Domain(td, set)));
    this.domains = Map.copyOf(d);
    this.allowIds = Map.copyOf(allowIds);
    this.allowDomains = Map.copyOf(allowDomains);
    this.clock = clock;
    this.maxChainLength = maxChainLength;
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * When the first CA certificate of the trust bundles expires (the earliest {@code notAfter} over
   * every trust domain), for monitoring: after it, chains anchored on that CA are refused.
   * Read-only: it never affects a decision.
   */
  @Override
  public Instant earliestBundleExpiry() {
    Instant earliest = Instant.MAX;
    for (Domain d : domains.values()) {
      for (X509Certificate c : d.current().certs()) {
        Instant notAfter = c.getNotAfter().toInstant();
        if (notAfter.isBefore(earliest)) {
          earliest = notAfter;
        }
      }
    }
    return earliest;
  }

  /** {@code peer_certificate}. */
  @Override
  public String name() {
    return NAME;
  }

  /** None: the credential is the TLS peer certificate, not a header. */
  @Override
  public Set<String> credentialHeaders() {
    return Set.of();
  }

  @Override
  public AuthResult authenticate(IncomingCall request) {
    Optional<List<Certificate>> presented = request.peerCertificates();
    if (presented.isEmpty() || presented.get().isEmpty()) {
      return AuthResult.noCredential();
    }
    List<Certificate> certs = presented.get();
    if (certs.size() > maxChainLength) {
      return refuse(
          "the peer presented "
              + certs.size()
              + " certificates, more than the maximum of "
              + maxChainLength);
    }
    List<X509Certificate> chain = new ArrayList<>(certs.size());
    for (Certificate c : certs) {
      if (!(c instanceof X509Certificate x509)) {
        return refuse("the peer presented a certificate that is not X.509");
      }
      chain.add(x509);
    }
    X509Certificate leaf = chain.get(0);
    Instant now = clock.instant();

    SpiffeId id;
    Validated cached = request.sslSession().map(validatedSessions::get).orElse(null);
    if (cached != null
        && cached.leaf.equals(leaf)
        && cached.covers(now)
        && cached.sameAnchors(domains.get(cached.id.trustDomain()))) {
      // Validated on this TLS session by this source (same bundles), still within every
      // certificate's validity: the chain cannot have changed within one session.
      id = cached.id;
    } else {
      SvidLeaf.Result read = SvidLeaf.spiffeId(leaf);
      if (!read.ok()) {
        return refuse(read.problem());
      }
      id = read.id();
      TrustDomain td = id.trustDomain();
      Domain domain = domains.get(td);
      if (domain == null) {
        return refuse("no bundle is configured for trust domain " + td + " (" + id + ")");
      }
      Snapshot bundle = domain.current();
      Set<TrustAnchor> domainAnchors = bundle.anchors();
      if (domainAnchors.isEmpty()) {
        return refuse(
            "no X.509 authority of trust domain " + td + " has been received yet (" + id + ")");
      }
      String problem = SvidLeaf.propertiesProblem(leaf);
      if (problem == null) {
        problem = SvidLeaf.validityProblem(leaf, now);
      }
      if (problem == null) {
        chainValidations.incrementAndGet();
        problem = chainProblem(chain, domainAnchors, bundle.certs(), now);
      }
      if (problem != null) {
        return refuse(problem + " (" + id + ")");
      }
      SpiffeId validatedId = id;
      request
          .sslSession()
          .ifPresent(
              session ->
                  validatedSessions.put(
                      session, Validated.of(validatedId, leaf, chain, domainAnchors)));
    }
    TrustDomain td = id.trustDomain();

    Grant grant = allowIds.get(id);
    if (grant == null) {
      grant = allowDomains.get(td);
    }
    if (grant == null) {
      return AuthResult.rejected(
          Reason.IDENTITY_NOT_ALLOWED, id + " is not on the peer_certificate allow-list");
    }
    return AuthResult.authenticated(
        Principal.newBuilder()
            .subject(id.toString())
            .roles(grant.roles())
            .scopes(grant.scopes())
            .expiry(leaf.getNotAfter().toInstant())
            .build());
  }

  /**
   * PKIX validation of the presented chain against one trust domain's bundle. Trailing certificates
   * that are themselves in the bundle (a peer may send its root) are dropped from the path first.
   */
  private static String chainProblem(
      List<X509Certificate> chain,
      Set<TrustAnchor> domainAnchors,
      Set<X509Certificate> bundle,
      Instant now) {
    List<X509Certificate> path = new ArrayList<>(chain);
    while (path.size() > 1 && bundle.contains(path.get(path.size() - 1))) {
      path.remove(path.size() - 1);
    }
    try {
      CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
      PKIXParameters params = new PKIXParameters(domainAnchors);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(now));
      PKIXCertPathValidatorResult result =
          (PKIXCertPathValidatorResult)
              CertPathValidator.getInstance("PKIX").validate(certPath, params);
      // The JDK's PKIX checks neither a trust anchor's own validity nor its own path length.
      X509Certificate anchor = result.getTrustAnchor().getTrustedCert();
      if (anchor != null) {
        try {
          anchor.checkValidity(Date.from(now));
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
          return "the bundle CA that anchors the chain is not valid now";
        }
        int intermediates = path.size() - 1;
        int maxPath = anchor.getBasicConstraints();
        if (maxPath >= 0 && maxPath != Integer.MAX_VALUE && intermediates > maxPath) {
          return "the chain has more intermediates than the bundle CA's path length allows";
        }
      }
      return null;
    } catch (CertPathValidatorException e) {
      // Only the reason code and the index: the exception message may quote certificate content.
      return "the chain does not validate against the trust domain's bundle ("
          + e.getReason()
          + (e.getIndex() >= 0 ? " at certificate " + e.getIndex() : "")
          + ")";
    } catch (CertificateException | InvalidAlgorithmParameterException e) {
      return "the chain cannot be validated (malformed)";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("PKIX is not available", e);
    }
  }

  private static AuthResult refuse(String detail) {
    return AuthResult.rejected(Reason.INVALID_CERTIFICATE, detail);
  }

  /** Closes what the builder was told to close with this source (bundle feeds). */
  @Override
  public void close() {
    SpiffeResources.closeAll(closeWith);
  }

  /** How many chains this source validated with PKIX (for tests of the per-session cache). */
  long chainValidations() {
    return chainValidations.get();
  }

  /** A chain validated on one TLS session: its leaf, ID, and when every certificate is valid. */
  private static final class Validated {
    final SpiffeId id;
    final X509Certificate leaf;
    final Instant notBefore;
    final Instant notAfter;
    final Set<TrustAnchor> anchors;

    private Validated(
        SpiffeId id,
        X509Certificate leaf,
        Instant notBefore,
        Instant notAfter,
        Set<TrustAnchor> anchors) {
      this.id = id;
      this.leaf = leaf;
      this.notBefore = notBefore;
      this.notAfter = notAfter;
      this.anchors = anchors;
    }

    /** Whether the domain's bundle is still the one this chain was validated against. */
    @SuppressWarnings("ReferenceEquality") // the snapshot's very set: a new bundle is a new set
    boolean sameAnchors(Domain domain) {
      return domain != null && domain.current().anchors() == anchors;
    }

    /** The window in which every presented certificate and every anchor of the domain is valid. */
    static Validated of(
        SpiffeId id, X509Certificate leaf, List<X509Certificate> chain, Set<TrustAnchor> anchors) {
      Instant from = Instant.MIN;
      Instant until = Instant.MAX;
      List<X509Certificate> all = new ArrayList<>(chain);
      anchors.forEach(a -> all.add(a.getTrustedCert()));
      for (X509Certificate c : all) {
        Instant nb = c.getNotBefore().toInstant();
        Instant na = c.getNotAfter().toInstant();
        from = nb.isAfter(from) ? nb : from;
        until = na.isBefore(until) ? na : until;
      }
      return new Validated(id, leaf, from, until, anchors);
    }

    boolean covers(Instant now) {
      return !now.isBefore(notBefore) && !now.isAfter(notAfter);
    }
  }

  /** Never shows anything but configuration. */
  @Override
  public String toString() {
    return "PeerCertificateTrustSource{bundles="
        + domains.keySet()
        + ", allow="
        + allowIds.keySet()
        + ", allowTrustDomains="
        + allowDomains.keySet()
        + ", maxChainLength="
        + maxChainLength
        + "}";
  }

  private record Grant(Set<String> roles, Set<String> scopes) {}

  /** One trust domain's X.509 authorities as trust anchors, read at one instant. */
  private record Snapshot(
      List<X509Certificate> source, Set<X509Certificate> certs, Set<TrustAnchor> anchors) {
    static final Snapshot NONE = new Snapshot(null, Set.of(), Set.of());

    static Snapshot of(List<X509Certificate> source, Collection<X509Certificate> certs) {
      Set<TrustAnchor> anchors = new LinkedHashSet<>();
      certs.forEach(c -> anchors.add(new TrustAnchor(c, null)));
      return new Snapshot(source, Set.copyOf(new LinkedHashSet<>(certs)), Set.copyOf(anchors));
    }
  }

  /**
   * One trust domain's bundle: fixed at build time, or read from a {@link TrustBundleSet} that a
   * Workload API or bundle endpoint feed keeps up to date (re-derived when its list changes).
   */
  private static final class Domain {
    private final TrustDomain td;
    private final TrustBundleSet live;
    private volatile Snapshot snapshot;

    Domain(TrustDomain td, TrustBundleSet live) {
      this.td = td;
      this.live = live;
      this.snapshot = Snapshot.NONE;
    }

    static Domain fixed(TrustDomain td, Set<X509Certificate> certs) {
      Domain d = new Domain(td, null);
      d.snapshot = Snapshot.of(null, certs);
      return d;
    }

    @SuppressWarnings("ReferenceEquality") // the set hands back the same list until it changes
    Snapshot current() {
      Snapshot s = snapshot;
      if (live == null) {
        return s;
      }
      List<X509Certificate> now = live.x509Authorities(td).orElse(null);
      if (now == s.source()) {
        return s;
      }
      List<X509Certificate> usable = new ArrayList<>();
      for (X509Certificate ca : now == null ? List.<X509Certificate>of() : now) {
        String problem = Builder.caProblem(ca, td);
        if (problem == null) {
          usable.add(ca);
        } else {
          logger.warning(problem + "; that certificate is ignored");
        }
      }
      s = Snapshot.of(now, usable);
      snapshot = s;
      return s;
    }
  }

  private record AllowEntry(String value, List<String> roles, List<String> scopes) {}

  /**
   * Builds a {@link PeerCertificateTrustSource}. At least one bundle and at least one allow entry
   * are required; {@link #build()} validates everything and throws {@link IllegalStateException} or
   * {@link IllegalArgumentException} naming the problem.
   */
  public static final class Builder {
    private final Map<String, List<X509Certificate>> bundles = new LinkedHashMap<>();
    private final Map<String, TrustBundleSet> liveBundles = new LinkedHashMap<>();
    private final List<AllowEntry> allowIds = new ArrayList<>();
    private final List<AllowEntry> allowDomains = new ArrayList<>();
    private Clock clock = Clock.systemUTC();
    private int maxChainLength = DEFAULT_MAX_CHAIN_LENGTH;
    private final List<AutoCloseable> closeWith = new ArrayList<>();

    private Builder() {}

    /** A resource (a bundle feed lease) closed when the built source is closed. */
    public Builder closeWith(AutoCloseable resource) {
      closeWith.add(requireNonNull(resource, "resource"));
      return this;
    }

    /**
     * The CA certificates trusted to issue X.509-SVIDs in {@code trustDomain} (its X.509 bundle).
     * Each must be a CA (basicConstraints cA true) with keyCertSign when it has a keyUsage, and may
     * appear in one trust domain only. A trust domain may be added once.
     */
    public Builder addBundle(String trustDomain, Collection<X509Certificate> caCertificates) {
      requireNonNull(trustDomain, "trustDomain");
      requireNonNull(caCertificates, "caCertificates");
      List<X509Certificate> certs = new ArrayList<>();
      caCertificates.forEach(c -> certs.add(requireNonNull(c, "caCertificate")));
      if (liveBundles.containsKey(trustDomain) || bundles.putIfAbsent(trustDomain, certs) != null) {
        throw new IllegalArgumentException(
            "peer_certificate: the bundle of trust domain " + trustDomain + " is added twice");
      }
      return this;
    }

    /**
     * Same as {@link #addBundle(String, Collection)}, reading the CA certificates from a PEM (or
     * DER) file now.
     *
     * @throws IllegalArgumentException if the file cannot be read or holds no certificate
     */
    public Builder addBundle(String trustDomain, Path pemFile) {
      requireNonNull(pemFile, "pemFile");
      List<X509Certificate> certs = new ArrayList<>();
      try (InputStream in = Files.newInputStream(pemFile)) {
        for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
          certs.add((X509Certificate) c);
        }
      } catch (IOException | GeneralSecurityException | ClassCastException e) {
        throw new IllegalArgumentException(
            "peer_certificate: cannot read X.509 certificates from " + pemFile, e);
      }
      return addBundle(trustDomain, certs);
    }

    /**
     * The X.509 bundle of {@code trustDomain} as {@code bundles} holds it now and later: a Workload
     * API or bundle endpoint feed keeps it up to date, and every call validates against its current
     * authorities. Until the set holds any, every ID of the trust domain is refused. Authorities
     * that are not CAs with keyCertSign are ignored with a warning. A trust domain may be added
     * once, either way.
     */
    public Builder addBundle(String trustDomain, TrustBundleSet bundles) {
      requireNonNull(trustDomain, "trustDomain");
      requireNonNull(bundles, "bundles");
      if (this.bundles.containsKey(trustDomain)
          || liveBundles.putIfAbsent(trustDomain, bundles) != null) {
        throw new IllegalArgumentException(
            "peer_certificate: the bundle of trust domain " + trustDomain + " is added twice");
      }
      return this;
    }

    /** Allows one SPIFFE ID (exact match) with the roles and scopes it is granted. */
    public Builder allow(String spiffeId, Collection<String> roles, Collection<String> scopes) {
      allowIds.add(entry(spiffeId, roles, scopes));
      return this;
    }

    /**
     * Allows every SPIFFE ID of a trust domain with the roles and scopes they are granted. An exact
     * {@link #allow} entry for an ID wins over its trust domain's entry.
     */
    public Builder allowTrustDomain(
        String trustDomain, Collection<String> roles, Collection<String> scopes) {
      allowDomains.add(entry(trustDomain, roles, scopes));
      return this;
    }

    /** The clock for validity checks; default the system UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /** The longest chain accepted from the peer, leaf included; default 8, at least 1. */
    public Builder maxChainLength(int maxChainLength) {
      if (maxChainLength < 1) {
        throw new IllegalArgumentException("maxChainLength must be at least 1");
      }
      this.maxChainLength = maxChainLength;
      return this;
    }

    private static AllowEntry entry(
        String value, Collection<String> roles, Collection<String> scopes) {
      return new AllowEntry(
          requireNonNull(value, "value"),
          List.copyOf(requireNonNull(roles, "roles")),
          List.copyOf(requireNonNull(scopes, "scopes")));
    }

    /**
     * Builds the source.
     *
     * @throws IllegalStateException if no bundle or no allow entry is configured
     * @throws IllegalArgumentException if a value is invalid
     */
    public PeerCertificateTrustSource build() {
      if (bundles.isEmpty() && liveBundles.isEmpty()) {
        throw new IllegalStateException(
            "peer_certificate: at least one trust bundle is required (the CA certificates of a"
                + " trust domain)");
      }
      if (allowIds.isEmpty() && allowDomains.isEmpty()) {
        throw new IllegalStateException(
            "peer_certificate: the allow-list is empty, so every identity would be refused");
      }
      Map<TrustDomain, Set<X509Certificate>> parsed = new LinkedHashMap<>();
      // Keyed by the CA's public key: the same key re-issued under another certificate is the
      // same authority.
      Map<String, TrustDomain> owner = new LinkedHashMap<>();
      for (Map.Entry<String, List<X509Certificate>> e : bundles.entrySet()) {
        TrustDomain td = trustDomain(e.getKey(), "bundle");
        if (e.getValue().isEmpty()) {
          throw new IllegalArgumentException(
              "peer_certificate: the bundle of trust domain " + td + " has no certificate");
        }
        Set<X509Certificate> certs = new LinkedHashSet<>();
        for (X509Certificate ca : e.getValue()) {
          checkCa(ca, td);
          TrustDomain other =
              owner.putIfAbsent(
                  java.util.Base64.getEncoder().encodeToString(ca.getPublicKey().getEncoded()), td);
          if (other != null && !other.equals(td)) {
            throw new IllegalArgumentException(
                "peer_certificate: the same CA key is in the bundles of trust domains "
                    + other
                    + " and "
                    + td
                    + "; a CA may vouch for one trust domain only");
          }
          certs.add(ca);
        }
        if (parsed.put(td, Set.copyOf(certs)) != null) {
          throw new IllegalArgumentException(
              "peer_certificate: the bundle of trust domain " + td + " is added twice");
        }
      }
      Map<TrustDomain, TrustBundleSet> live = new LinkedHashMap<>();
      for (Map.Entry<String, TrustBundleSet> e : liveBundles.entrySet()) {
        TrustDomain td = trustDomain(e.getKey(), "bundle");
        if (parsed.containsKey(td) || live.put(td, e.getValue()) != null) {
          throw new IllegalArgumentException(
              "peer_certificate: the bundle of trust domain " + td + " is added twice");
        }
      }
      Map<SpiffeId, Grant> ids = new LinkedHashMap<>();
      for (AllowEntry entry : allowIds) {
        SpiffeId id =
            SpiffeId.tryParse(entry.value())
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "peer_certificate: allow entry "
                                + entry.value()
                                + " is not a valid SPIFFE ID (upper case is refused)"));
        if (!parsed.containsKey(id.trustDomain()) && !live.containsKey(id.trustDomain())) {
          throw new IllegalArgumentException(
              "peer_certificate: allow entry "
                  + id
                  + " is in trust domain "
                  + id.trustDomain()
                  + ", which has no bundle");
        }
        if (ids.put(id, grant(entry, id.toString())) != null) {
          throw new IllegalArgumentException(
              "peer_certificate: " + id + " is on the allow-list twice");
        }
      }
      Map<TrustDomain, Grant> domains = new LinkedHashMap<>();
      for (AllowEntry entry : allowDomains) {
        TrustDomain td = trustDomain(entry.value(), "allow entry");
        if (!parsed.containsKey(td) && !live.containsKey(td)) {
          throw new IllegalArgumentException(
              "peer_certificate: allowed trust domain " + td + " has no bundle");
        }
        if (domains.put(td, grant(entry, td.toString())) != null) {
          throw new IllegalArgumentException(
              "peer_certificate: trust domain " + td + " is on the allow-list twice");
        }
      }
      return new PeerCertificateTrustSource(
          parsed, live, ids, domains, clock, maxChainLength, closeWith);
    }

    private static TrustDomain trustDomain(String name, String what) {
      try {
        return TrustDomain.parse(name);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "peer_certificate: " + what + " " + name + ": " + e.getMessage(), e);
      }
    }

    private static void checkCa(X509Certificate ca, TrustDomain td) {
      String problem = caProblem(ca, td);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
    }

    /** Why {@code ca} cannot be an authority of {@code td}, or null. */
    static String caProblem(X509Certificate ca, TrustDomain td) {
      if (ca.getBasicConstraints() < 0) {
        return "peer_certificate: a certificate in the bundle of trust domain "
            + td
            + " is not a CA (basicConstraints cA false or absent)";
      }
      boolean[] ku = ca.getKeyUsage();
      if (ku != null && (ku.length < 6 || !ku[5])) {
        return "peer_certificate: a CA certificate in the bundle of trust domain "
            + td
            + " lacks keyCertSign";
      }
      return null;
    }

    private static Grant grant(AllowEntry entry, String who) {
      Set<String> roles = validGrants(entry.roles(), "role", who);
      Set<String> scopes = validGrants(entry.scopes(), "scope", who);
      return new Grant(roles, scopes);
    }

    private static Set<String> validGrants(List<String> values, String what, String who) {
      Set<String> out = new LinkedHashSet<>();
      for (String v : values) {
        if (v.isBlank()) {
          throw new IllegalArgumentException("peer_certificate: empty " + what + " for " + who);
        }
        out.add(v);
      }
      return Set.copyOf(out);
    }
  }
}
