package dev.gatehouse.client;

import static java.util.Objects.requireNonNull;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * {@link CallCredentials} that attach the calling workload's JWT-SVID for the call's audience,
 * {@code authorization: Bearer <jwt-svid>}, verified on the server by the {@code spiffe_jwt} trust
 * source.
 *
 * <pre>{@code
 * JwtSvidCallCredentials creds = JwtSvidCallCredentials.newBuilder()
 *     .source(JwtSvidFileSource.of("trips", Path.of("/run/spiffe/jwt-trips.token")))
 *     .audience("trips")
 *     .build();
 * TripsGrpc.TripsBlockingStub stub = TripsGrpc.newBlockingStub(channel).withCallCredentials(creds);
 * }</pre>
 *
 * <p><b>Source.</b> A {@link JwtSvidSource}: a file a helper rewrites ({@link JwtSvidFileSource})
 * or the Workload API ({@code gatehouse-spiffe-workload}). The SVID is not minted here.
 *
 * <p><b>Refresh.</b> One SVID per audience is cached. It is fetched again once half of its lifetime
 * ({@code iat} to {@code exp}; read unverified, it is our own) has passed, plus a random jitter of
 * up to a tenth of the lifetime so that replicas do not fetch in step; the call that finds it due
 * runs the fetch on its executor and sends the newest SVID, while concurrent calls keep sending the
 * cached one. Only one fetch per audience is ever in flight: calls without a usable SVID wait for
 * it. An SVID is used until a tenth of its lifetime (at most 30 s) before {@code exp}. A failed
 * fetch, or a fetch that returns the same SVID again (the helper has not rewritten the file yet),
 * is retried after a backoff of 1 s doubling to 30 s; meanwhile the cached SVID is sent while
 * usable, and calls without one fail with {@link ClientStatus#SVID_UNAVAILABLE} ({@code
 * UNAVAILABLE}, fixed text). The token never appears in a status or a log line.
 *
 * <p><b>Transport.</b> A call below {@link SecurityLevel#PRIVACY_AND_INTEGRITY} fails with {@link
 * ClientStatus#SVID_INSECURE_CHANNEL} and nothing is sent, unless the builder said {@link
 * Builder#allowPlaintextToLocalSidecar()}.
 *
 * <p><b>Audience.</b> One audience for every call, or one per full service name; a call to a
 * service without one fails with {@link ClientStatus#noSvidAudience(String)} (grpc-java turns that
 * control-plane code into {@code INTERNAL}, keeping the text).
 */
public final class JwtSvidCallCredentials extends CallCredentials {
  private final JwtSvidSource source;
  private final Metadata.Key<String> headerKey;
  private final String header;
  private final String singleAudience;
  private final Map<String, String> audienceByService;
  private final boolean allowPlaintext;
  private final Clock clock;
  private final DoubleSupplier jitter;
  private final Map<String, SvidSlot> slots = new ConcurrentHashMap<>();

  private JwtSvidCallCredentials(Builder b) {
    this.source = b.source;
    this.header = b.header;
    this.headerKey = Metadata.Key.of(b.header, Metadata.ASCII_STRING_MARSHALLER);
    this.singleAudience = b.audience;
    this.audienceByService = Map.copyOf(b.audienceByService);
    this.allowPlaintext = b.allowPlaintext;
    this.clock = b.clock;
    this.jitter = b.jitter;
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The header the SVID is sent in; {@code authorization} by default. */
  public String header() {
    return header;
  }

  /** The audience of calls to {@code fullServiceName}, if one is configured. */
  public Optional<String> audienceFor(String fullServiceName) {
    if (singleAudience != null) {
      return Optional.of(singleAudience);
    }
    return Optional.ofNullable(
        fullServiceName == null ? null : audienceByService.get(fullServiceName));
  }

  /**
   * Attaches the SVID for the call's audience, or fails the call: see the class documentation.
   * Fetches run on {@code appExecutor}, never on the calling thread's transport.
   */
  @Override
  public void applyRequestMetadata(
      RequestInfo requestInfo, Executor appExecutor, MetadataApplier applier) {
    requireNonNull(requestInfo, "requestInfo");
    requireNonNull(appExecutor, "appExecutor");
    requireNonNull(applier, "applier");
    if (!allowPlaintext && requestInfo.getSecurityLevel() != SecurityLevel.PRIVACY_AND_INTEGRITY) {
      applier.fail(ClientStatus.SVID_INSECURE_CHANNEL);
      return;
    }
    String service = requestInfo.getMethodDescriptor().getServiceName();
    Optional<String> audience = audienceFor(service);
    if (audience.isEmpty()) {
      applier.fail(ClientStatus.noSvidAudience(service));
      return;
    }
    slots
        .computeIfAbsent(audience.get(), a -> new SvidSlot(a, source, clock, jitter))
        .apply(appExecutor, new Sink(applier, headerKey));
  }

  @Override
  public String toString() {
    return "JwtSvidCallCredentials[source="
        + source
        + ", audiences="
        + (singleAudience != null ? singleAudience : audienceByService)
        + "]";
  }

  private record Sink(MetadataApplier applier, Metadata.Key<String> key) implements TokenSlot.Sink {
    @Override
    public void token(String jwt) {
      Metadata headers = new Metadata();
      headers.put(key, "Bearer " + jwt);
      applier.apply(headers);
    }

    @Override
    public void fail(Status status) {
      applier.fail(status);
    }
  }

  /** Builds {@link JwtSvidCallCredentials}; {@link #build()} validates everything or throws. */
  public static final class Builder {
    private JwtSvidSource source;
    private String audience;
    private final Map<String, String> audienceByService = new LinkedHashMap<>();
    private String header = "authorization";
    private boolean allowPlaintext;
    private Clock clock = Clock.systemUTC();
    private DoubleSupplier jitter = () -> ThreadLocalRandom.current().nextDouble();
    private final List<String> problems = new ArrayList<>();

    private Builder() {}

    /** Where the SVIDs come from. Required. */
    public Builder source(JwtSvidSource source) {
      this.source = requireNonNull(source, "source");
      return this;
    }

    /** One audience for every call. Not combinable with {@link #audienceFor(String, String)}. */
    public Builder audience(String audience) {
      this.audience = requireNonNull(audience, "audience");
      return this;
    }

    /** The audience of calls to one service, by full service name ({@code package.Service}). */
    public Builder audienceFor(String fullServiceName, String audience) {
      requireNonNull(fullServiceName, "fullServiceName");
      requireNonNull(audience, "audience");
      if (audienceByService.putIfAbsent(fullServiceName, audience) != null) {
        problems.add("service " + fullServiceName + " is mapped to an audience twice");
      }
      return this;
    }

    /**
     * The header the SVID is sent in (value {@code Bearer <jwt>}); default {@code authorization}.
     * Must match the server's {@code spiffe_jwt.header}.
     */
    public Builder header(String header) {
      this.header = requireNonNull(header, "header");
      return this;
    }

    /**
     * Opt-out: also send the SVID over a connection below {@code PRIVACY_AND_INTEGRITY}, only for a
     * plaintext hop to a local sidecar that encrypts; anyone who reads that hop can replay the SVID
     * until it expires.
     */
    public Builder allowPlaintextToLocalSidecar() {
      this.allowPlaintext = true;
      return this;
    }

    /** The clock; default the system UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /** The jitter draw in [0, 1) (tests pin it). */
    Builder jitter(DoubleSupplier jitter) {
      this.jitter = requireNonNull(jitter, "jitter");
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException naming every problem: no source, no or blank audience, both
     *     audience styles, a bad header name
     */
    public JwtSvidCallCredentials build() {
      List<String> all = new ArrayList<>(problems);
      if (source == null) {
        all.add("source must be set");
      }
      if (audience != null && !audienceByService.isEmpty()) {
        all.add("set either audience(...) or audienceFor(...), not both");
      } else if (audience == null && audienceByService.isEmpty()) {
        all.add("an audience must be set: audience(...) or audienceFor(service, audience)");
      }
      if (audience != null && audience.isBlank()) {
        all.add("audience must not be blank");
      }
      audienceByService.forEach(
          (service, aud) -> {
            if (service.isBlank() || service.contains("/")) {
              all.add("not a full service name: '" + service + "'");
            }
            if (aud.isBlank()) {
              all.add("audience for service " + service + " must not be blank");
            }
          });
      if (header.isEmpty()
          || header.endsWith(Metadata.BINARY_HEADER_SUFFIX)
          || !header
              .chars()
              .allMatch(
                  c ->
                      (c >= 'a' && c <= 'z')
                          || (c >= '0' && c <= '9')
                          || c == '-'
                          || c == '_'
                          || c == '.')) {
        all.add("header must be a lower-case ASCII header name, not -bin");
      }
      if (!all.isEmpty()) {
        throw new IllegalArgumentException(
            "invalid JWT-SVID credentials: " + String.join("; ", all));
      }
      return new JwtSvidCallCredentials(this);
    }
  }
}
