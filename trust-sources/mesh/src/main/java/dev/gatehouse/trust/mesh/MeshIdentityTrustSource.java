package dev.gatehouse.trust.mesh;

import static java.util.Objects.requireNonNull;

import com.google.common.net.InetAddresses;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.spi.TrustSource;
import dev.gatehouse.trust.spiffe.SpiffeId;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * The {@code mesh_identity} trust source: trusts the workload identity a service-mesh sidecar
 * forwards, but only when the call's direct peer is one of the configured trusted proxies.
 *
 * <pre>{@code
 * TrustSource mesh = MeshIdentityTrustSource.newBuilder()
 *     .trustedProxies("127.0.0.1/32", "::1/128")
 *     .allow("spiffe://cluster.local/ns/trips/sa/worker", Set.of("trip-finisher"), Set.of())
 *     .build();
 * }</pre>
 *
 * <p>Per call:
 *
 * <ol>
 *   <li>header absent: no credential, the next trust source is asked;
 *   <li>header present but the direct peer ({@link IncomingCall#remoteAddress()}, an IP literal,
 *       never resolved) is not in a trusted network: refused ({@link Reason#UNTRUSTED_PROXY}) with
 *       a warning naming the peer; never ignored and never passed to a weaker source;
 *   <li>an empty value from a trusted proxy: no credential;
 *   <li>{@link Format#XFCC}: the value is parsed strictly, only the rightmost element is read (the
 *       one the trusted hop wrote; {@link Builder#requireSingleElement} refuses more than one), it
 *       must carry exactly one {@code URI}, a valid SPIFFE ID, and {@code By} must equal {@link
 *       Builder#expectedBy} when configured; {@link Format#PRINCIPAL}: the value is one SPIFFE ID
 *       or Istio principal;
 *   <li>the identity must be on the allow-list ({@link Reason#IDENTITY_NOT_ALLOWED} otherwise); the
 *       caller gets a SERVICE principal whose subject is the {@code spiffe://} ID and whose roles
 *       and scopes are the allow entry's.
 * </ol>
 *
 * <p>The header is in {@link #headersToRemove()}: the chain strips it from what the application
 * sees on every call, accepted or not. Duplicate values are refused by the chain. Immutable and
 * thread-safe.
 */
public final class MeshIdentityTrustSource implements TrustSource {
  /** The trust source name, {@code mesh_identity}. */
  public static final String NAME = "mesh_identity";

  /** The default header, {@code x-forwarded-client-cert}. */
  public static final String DEFAULT_HEADER = "x-forwarded-client-cert";

  /** The default cap on the header value, 32 KiB. */
  public static final int DEFAULT_MAX_HEADER_LENGTH = 32 * 1024;

  private static final Logger logger = Logger.getLogger(MeshIdentityTrustSource.class.getName());
  private static final long WARN_INTERVAL_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

  private final java.util.concurrent.atomic.AtomicLong nextWarnAt =
      new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
  private final java.util.concurrent.atomic.AtomicLong suppressedWarnings =
      new java.util.concurrent.atomic.AtomicLong();

  /** What the header holds. */
  public enum Format {
    /** Envoy's {@code x-forwarded-client-cert}. */
    XFCC,
    /** One SPIFFE ID or Istio principal ({@code cluster.local/ns/N/sa/S}). */
    PRINCIPAL
  }

  private final String header;
  private final Format format;
  private final List<Cidr> trustedProxies;
  private final String expectedBy;
  private final boolean requireSingleElement;
  private final boolean allowNonIpPeer;
  private final int maxHeaderLength;
  private final Map<SpiffeId, Grant> allow;

  /**
   * The allow-list by the exact text of each ID: a SPIFFE ID is never normalised, so a header value
   * equal to an allowed ID's text is that ID, and needs no parse.
   */
  private final Map<String, Grant> allowByText;

  private MeshIdentityTrustSource(Builder b, List<Cidr> proxies, Map<SpiffeId, Grant> allow) {
    this.header = b.header;
    this.format = b.format;
    this.trustedProxies = List.copyOf(proxies);
    this.expectedBy = b.expectedBy;
    this.requireSingleElement = b.requireSingleElement;
    this.allowNonIpPeer = b.allowNonIpPeer;
    this.maxHeaderLength = b.maxHeaderLength;
    this.allow = Map.copyOf(allow);
    Map<String, Grant> byText = new java.util.HashMap<>();
    allow.forEach((id, grant) -> byText.put(id.toString(), grant));
    this.allowByText = Map.copyOf(byText);
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** {@code mesh_identity}. */
  @Override
  public String name() {
    return NAME;
  }

  /** The configured header. */
  @Override
  public Set<String> credentialHeaders() {
    return Set.of(header);
  }

  /** The configured header: the application never sees a forwarded identity. */
  @Override
  public Set<String> headersToRemove() {
    return Set.of(header);
  }

  /**
   * Refuses the header from a peer that is not a trusted proxy on every checked call, gated ones
   * included: a forwarded identity from anywhere else is spoofed, and is refused, never ignored,
   * even when another credential on the call would be accepted.
   */
  @Override
  public AuthResult screen(IncomingCall request) {
    if (!request.hasHeader(header)) {
      return AuthResult.noCredential();
    }
    Optional<SocketAddress> peer = request.remoteAddress();
    if (isTrustedPeer(peer)) {
      return AuthResult.noCredential();
    }
    String who = describe(peer);
    List<String> values = request.headerValues(header);
    warnUntrusted(who, values.get(0));
    return AuthResult.rejected(
        Reason.UNTRUSTED_PROXY, header + " from peer " + who + " which is not a trusted proxy");
  }

  @Override
  public AuthResult authenticate(IncomingCall request) {
    List<String> values = request.headerValues(header);
    if (values.isEmpty()) {
      return AuthResult.noCredential();
    }
    if (values.size() > 1) {
      return AuthResult.rejected(
          Reason.DUPLICATE_CREDENTIALS, "header " + header + " has several values");
    }
    String value = values.get(0);
    Optional<SocketAddress> peer = request.remoteAddress();
    if (!isTrustedPeer(peer)) {
      String who = describe(peer);
      warnUntrusted(who, value);
      return AuthResult.rejected(
          Reason.UNTRUSTED_PROXY, header + " from peer " + who + " which is not a trusted proxy");
    }
    if (value.isEmpty()) {
      return AuthResult.noCredential();
    }
    if (value.length() > maxHeaderLength) {
      return AuthResult.rejected(
          Reason.MALFORMED_CREDENTIALS, header + " longer than " + maxHeaderLength + " characters");
    }
    Read read = format == Format.PRINCIPAL ? readPrincipal(value) : readXfcc(value);
    if (read.refusal() != null) {
      return read.refusal();
    }
    if (read.grant() != null) {
      return read.grant().result();
    }
    SpiffeId identity = read.identity();
    Grant grant = allow.get(identity);
    if (grant == null) {
      return AuthResult.rejected(
          Reason.IDENTITY_NOT_ALLOWED, identity + " is not on the mesh_identity allow-list");
    }
    return grant.result();
  }

  /** PRINCIPAL: the header is one SPIFFE ID or Istio principal. */
  private Read readPrincipal(String value) {
    Optional<SpiffeId> id = Identities.parse(value);
    return id.isPresent()
        ? Read.of(id.get())
        : Read.refuse(
            Reason.MALFORMED_CREDENTIALS,
            header + " is not a SPIFFE ID or Istio principal (strict parse)");
  }

  /** XFCC: the identity of the rightmost element, or a refusal. */
  private Read readXfcc(String value) {
    List<XfccElement> elements;
    try {
      elements = XfccParser.parse(value, maxHeaderLength);
    } catch (XfccParseException e) {
      return Read.refuse(Reason.MALFORMED_CREDENTIALS, header + " is malformed: " + e.getMessage());
    }
    if (requireSingleElement && elements.size() != 1) {
      return Read.refuse(
          Reason.MALFORMED_CREDENTIALS,
          header + " has " + elements.size() + " elements where exactly one is required");
    }
    XfccElement last = elements.get(elements.size() - 1);
    if (expectedBy != null) {
      Optional<String> by = last.value(XfccElement.Key.BY);
      if (by.isEmpty()) {
        return Read.refuse(
            Reason.AUDIENCE_MISMATCH, header + " has no By where " + expectedBy + " is expected");
      }
      if (!by.get().equals(expectedBy)) {
        return Read.refuse(
            Reason.AUDIENCE_MISMATCH,
            header
                + " By is "
                + SpiffeId.tryParse(by.get()).map(Object::toString).orElse("not a SPIFFE ID")
                + " where "
                + expectedBy
                + " is expected");
      }
    }
    List<String> uris = last.values(XfccElement.Key.URI);
    if (uris.size() != 1) {
      return Read.refuse(
          Reason.INVALID_CLAIMS,
          header + " element has " + uris.size() + " URI values where exactly one is required");
    }
    Grant known = allowByText.get(uris.get(0));
    if (known != null) {
      return Read.granted(known);
    }
    Optional<SpiffeId> id = SpiffeId.tryParse(uris.get(0));
    if (id.isEmpty()) {
      return Read.refuse(
          Reason.INVALID_CLAIMS, header + " URI is not a valid SPIFFE ID (strict parse)");
    }
    return Read.of(id.get());
  }

  /**
   * Logs a refused forwarded identity. Anyone can send the header, so the warning is rate-limited
   * (one per {@link #WARN_INTERVAL_NANOS}, with the number suppressed meanwhile) and the claimed
   * identity is only parsed from a value within the size cap.
   */
  private void warnUntrusted(String who, String value) {
    long now = System.nanoTime();
    long next = nextWarnAt.get();
    if (now - next < 0 || !nextWarnAt.compareAndSet(next, now + WARN_INTERVAL_NANOS)) {
      suppressedWarnings.incrementAndGet();
      return;
    }
    long suppressed = suppressedWarnings.getAndSet(0);
    Optional<SpiffeId> claimed =
        value.length() <= maxHeaderLength ? claimedIdentity(value) : Optional.empty();
    logger.warning(
        NAME
            + ": refused "
            + header
            + " from untrusted peer "
            + who
            + " (not a trusted proxy; possible spoofing)"
            + claimed.map(id -> ", claimed identity " + id).orElse("")
            + (suppressed > 0 ? "; " + suppressed + " similar refusals not logged" : ""));
  }

  /** For the untrusted-peer warning: the identity the header claims, if it parses cleanly. */
  private Optional<SpiffeId> claimedIdentity(String value) {
    if (value.isEmpty() || value.length() > maxHeaderLength) {
      return Optional.empty();
    }
    if (format == Format.PRINCIPAL) {
      return Identities.parse(value);
    }
    try {
      List<XfccElement> elements = XfccParser.parse(value, maxHeaderLength);
      List<String> uris = elements.get(elements.size() - 1).values(XfccElement.Key.URI);
      return uris.size() == 1 ? SpiffeId.tryParse(uris.get(0)) : Optional.empty();
    } catch (XfccParseException e) {
      return Optional.empty();
    }
  }

  private boolean isTrustedPeer(Optional<SocketAddress> peer) {
    if (peer.isPresent() && peer.get() instanceof InetSocketAddress inet) {
      InetAddress address = inet.getAddress(); // null when unresolved: never resolve it here
      if (address == null) {
        return false;
      }
      for (Cidr cidr : trustedProxies) {
        if (cidr.contains(address)) {
          return true;
        }
      }
      return false;
    }
    return allowNonIpPeer;
  }

  private static String describe(Optional<SocketAddress> peer) {
    if (peer.isEmpty()) {
      return "(unknown)";
    }
    if (peer.get() instanceof InetSocketAddress inet) {
      InetAddress address = inet.getAddress();
      return address == null
          ? "(unresolved " + inet.getHostString() + ")"
          : InetAddresses.toAddrString(address);
    }
    return "(non-IP " + peer.get().getClass().getSimpleName() + ")";
  }

  /** Never shows anything but configuration. */
  @Override
  public String toString() {
    return "MeshIdentityTrustSource{header="
        + header
        + ", format="
        + format
        + ", trustedProxies="
        + trustedProxies
        + (expectedBy != null ? ", expectedBy=" + expectedBy : "")
        + ", requireSingleElement="
        + requireSingleElement
        + ", allow="
        + allow.keySet()
        + "}";
  }

  /**
   * What an allowed identity is granted, with the result handed out for it: immutable and fixed at
   * build, so built once rather than per call.
   */
  private record Grant(Set<String> roles, Set<String> scopes, AuthResult result) {
    static Grant of(SpiffeId id, Set<String> roles, Set<String> scopes) {
      return new Grant(
          roles,
          scopes,
          AuthResult.authenticated(
              Principal.newBuilder().subject(id.toString()).roles(roles).scopes(scopes).build()));
    }
  }

  /** The identity read from the header (or its grant, when its text is allowed), or a refusal. */
  private record Read(SpiffeId identity, AuthResult refusal, Grant grant) {
    static Read of(SpiffeId identity) {
      return new Read(identity, null, null);
    }

    static Read granted(Grant grant) {
      return new Read(null, null, grant);
    }

    static Read refuse(Reason reason, String detail) {
      return new Read(null, AuthResult.rejected(reason, detail), null);
    }
  }

  private record AllowEntry(String identity, List<String> roles, List<String> scopes) {}

  /**
   * Builds a {@link MeshIdentityTrustSource}. {@link #trustedProxies} and at least one {@link
   * #allow} entry are required; {@link #build()} validates everything and throws {@link
   * IllegalStateException} or {@link IllegalArgumentException} naming the problem.
   */
  public static final class Builder {
    private String header = DEFAULT_HEADER;
    private Format format = Format.XFCC;
    private final List<String> trustedProxies = new ArrayList<>();
    private String expectedBy;
    private boolean requireSingleElement;
    private boolean allowNonIpPeer;
    private int maxHeaderLength = DEFAULT_MAX_HEADER_LENGTH;
    private final List<AllowEntry> allow = new ArrayList<>();

    private Builder() {}

    /** The header carrying the forwarded identity; default {@code x-forwarded-client-cert}. */
    public Builder header(String header) {
      this.header = requireNonNull(header, "header").toLowerCase(Locale.ROOT);
      return this;
    }

    /** What the header holds; default {@link Format#XFCC}. */
    public Builder format(Format format) {
      this.format = requireNonNull(format, "format");
      return this;
    }

    /**
     * The networks of the proxies allowed to forward an identity, in CIDR notation ({@code
     * 127.0.0.1/32}, {@code ::1/128}, {@code 10.0.0.0/8}); a bare address is a single host.
     * Required and non-empty. Literal addresses only; {@code /0} is refused. Replaces earlier
     * values.
     */
    public Builder trustedProxies(Collection<String> cidrs) {
      requireNonNull(cidrs, "cidrs");
      trustedProxies.clear();
      cidrs.forEach(c -> trustedProxies.add(requireNonNull(c, "cidr")));
      return this;
    }

    /** Same as {@link #trustedProxies(Collection)}. */
    public Builder trustedProxies(String... cidrs) {
      return trustedProxies(List.of(cidrs));
    }

    /**
     * XFCC only: the {@code By} value (the proxy's own identity, usually this service's SPIFFE ID)
     * the rightmost element must carry. Unchecked when not set.
     */
    public Builder expectedBy(String expectedBy) {
      this.expectedBy = requireNonNull(expectedBy, "expectedBy");
      return this;
    }

    /** XFCC only: refuse a header with more than one element. Default false (rightmost wins). */
    public Builder requireSingleElement(boolean requireSingleElement) {
      this.requireSingleElement = requireSingleElement;
      return this;
    }

    /** The longest header value accepted, in characters; default 32 KiB. */
    public Builder maxHeaderLength(int maxHeaderLength) {
      if (maxHeaderLength < 64) {
        throw new IllegalArgumentException("maxHeaderLength must be at least 64");
      }
      this.maxHeaderLength = maxHeaderLength;
      return this;
    }

    /**
     * Trusts a peer whose address is not an IP socket address (the in-process transport). For
     * in-process tests only; default false. Logs a warning at build.
     */
    public Builder allowNonIpPeer(boolean allowNonIpPeer) {
      this.allowNonIpPeer = allowNonIpPeer;
      return this;
    }

    /**
     * Allows an identity, written as a SPIFFE ID or an Istio principal ({@code
     * cluster.local/ns/N/sa/S}; both are the same identity), with the roles and scopes it is
     * granted.
     */
    public Builder allow(String identity, Collection<String> roles, Collection<String> scopes) {
      requireNonNull(identity, "identity");
      allow.add(
          new AllowEntry(
              identity,
              List.copyOf(requireNonNull(roles, "roles")),
              List.copyOf(requireNonNull(scopes, "scopes"))));
      return this;
    }

    /**
     * Builds the source.
     *
     * @throws IllegalStateException if no trusted proxy or no allow entry is configured
     * @throws IllegalArgumentException if a value is invalid
     */
    public MeshIdentityTrustSource build() {
      if (!header.matches("[a-z0-9][a-z0-9_.-]*") || header.endsWith("-bin")) {
        throw new IllegalArgumentException(
            "mesh_identity header " + header + " is not a valid ASCII gRPC header name");
      }
      if (trustedProxies.isEmpty()) {
        throw new IllegalStateException(
            "mesh_identity: trusted_proxies is required (the networks of the sidecars allowed to"
                + " forward an identity)");
      }
      List<Cidr> proxies = new ArrayList<>();
      for (String c : trustedProxies) {
        proxies.add(Cidr.parse(c));
      }
      if (expectedBy != null) {
        if (format != Format.XFCC) {
          throw new IllegalStateException("mesh_identity: expected_by applies to the XFCC format");
        }
        if (expectedBy.isEmpty()
            || (expectedBy.regionMatches(true, 0, "spiffe:", 0, 7)
                && SpiffeId.tryParse(expectedBy).isEmpty())) {
          throw new IllegalArgumentException(
              "mesh_identity: expected_by is not a valid SPIFFE ID: " + expectedBy);
        }
      }
      if (requireSingleElement && format != Format.XFCC) {
        throw new IllegalStateException(
            "mesh_identity: require_single_element applies to the XFCC format");
      }
      if (allow.isEmpty()) {
        throw new IllegalStateException(
            "mesh_identity: the allow-list is empty, so every identity would be refused");
      }
      Map<SpiffeId, Grant> grants = new LinkedHashMap<>();
      for (AllowEntry entry : allow) {
        String text = entry.identity();
        SpiffeId id =
            Identities.parse(text)
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "mesh_identity: allow entry "
                                + text
                                + " is neither a valid SPIFFE ID nor an Istio principal"
                                + " TD/ns/N/sa/S (upper case is refused)"));
        Set<String> roles = validGrants(entry.roles(), "role", id);
        Set<String> scopes = validGrants(entry.scopes(), "scope", id);
        if (grants.put(id, Grant.of(id, roles, scopes)) != null) {
          throw new IllegalArgumentException(
              "mesh_identity: " + id + " is on the allow-list twice");
        }
      }
      if (allowNonIpPeer) {
        logger.warning(
            NAME
                + ": allowNonIpPeer is ON: a peer without an IP address (in-process) is trusted to"
                + " forward identities. For tests only.");
      }
      return new MeshIdentityTrustSource(this, proxies, grants);
    }

    private static Set<String> validGrants(List<String> values, String what, SpiffeId id) {
      Set<String> out = new LinkedHashSet<>();
      for (String v : values) {
        if (v.isBlank()) {
          throw new IllegalArgumentException("mesh_identity: empty " + what + " for " + id);
        }
        out.add(v);
      }
      return Set.copyOf(out);
    }
  }
}
