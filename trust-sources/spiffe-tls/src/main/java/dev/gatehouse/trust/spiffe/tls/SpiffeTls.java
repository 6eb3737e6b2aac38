package dev.gatehouse.trust.spiffe.tls;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.trust.spiffe.SpiffeId;
import dev.gatehouse.trust.spiffe.TrustDomain;
import dev.gatehouse.trust.spiffe.X509SvidLeafRules.Role;
import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.function.Predicate;

/**
 * gRPC TLS credentials for SPIFFE workloads whose SVID and bundles rotate: both sides present the
 * current X.509-SVID of an {@link X509MaterialSource} and require the peer's to be one too.
 *
 * <pre>{@code
 * SvidFiles svid = SvidFiles.spiffeHelper(Path.of("/run/spiffe/certs")).build();
 * Server server = gatehouse.addTo(
 *         NettyServerBuilder.forPort(8443, SpiffeTls.server(svid).build()))
 *     .build().start();
 * ManagedChannel channel = Grpc.newChannelBuilder("trips:8443",
 *         SpiffeTls.client(svid).expectServer("spiffe://example.org/ns/trips/sa/trips").build())
 *     .build();
 * }</pre>
 *
 * <p>The own identity is served by grpc-java's {@link AdvancedTlsX509KeyManager}; peers are
 * verified by a trust manager that selects the bundle by the peer's trust domain (a CA of one trust
 * domain never vouches for another's IDs), validates the chain with PKIX, applies the X.509-SVID
 * leaf rules (exactly one URI SAN, a valid SPIFFE ID, not a CA, keyUsage digitalSignature, an
 * extendedKeyUsage allowing the peer's role) and the peer policy. Host names are not checked: the
 * SPIFFE ID is the identity. Both follow the source: a new SVID or bundle applies to the next
 * handshake, established connections and their calls are untouched. The server requires a client
 * certificate ({@link TlsServerCredentials.ClientAuth#REQUIRE}); Gatehouse's {@code
 * peer_certificate} trust source then authorizes each call by the client's SPIFFE ID.
 *
 * <p>Each {@code build()} subscribes to the source for as long as the source lives: build the
 * credentials once and share them between channels, rather than once per channel.
 */
public final class SpiffeTls {
  private SpiffeTls() {}

  /** Server credentials presenting {@code source}'s SVID and requiring SPIFFE clients. */
  public static ServerBuilder server(X509MaterialSource source) {
    return new ServerBuilder(requireNonNull(source, "source"));
  }

  /** Channel credentials presenting {@code source}'s SVID and requiring a SPIFFE server. */
  public static ClientBuilder client(X509MaterialSource source) {
    return new ClientBuilder(requireNonNull(source, "source"));
  }

  /** Which peers a side accepts: exact IDs, trust domains, or (neither set) any with a bundle. */
  private abstract static class PeerRules<B extends PeerRules<B>> {
    final X509MaterialSource source;
    final Set<SpiffeId> ids = new LinkedHashSet<>();
    final Set<TrustDomain> trustDomains = new LinkedHashSet<>();
    Clock clock = Clock.systemUTC();

    PeerRules(X509MaterialSource source) {
      this.source = source;
    }

    abstract B self();

    B addId(String spiffeId, String method) {
      requireNonNull(spiffeId, method);
      ids.add(parse(spiffeId, method));
      return self();
    }

    B addTrustDomain(String trustDomain, String method) {
      requireNonNull(trustDomain, method);
      try {
        trustDomains.add(TrustDomain.parse(trustDomain));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(method + ": " + e.getMessage(), e);
      }
      return self();
    }

    B setClock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return self();
    }

    SpiffeTrustManager trustManager(Role peerRole, String idMethod, String tdMethod) {
      if (!ids.isEmpty() && !trustDomains.isEmpty()) {
        throw new IllegalStateException(
            idMethod + " and " + tdMethod + " both set: pin exact IDs or trust domains, not both");
      }
      Predicate<SpiffeId> policy;
      String text;
      if (!ids.isEmpty()) {
        Set<SpiffeId> pinned = Set.copyOf(ids);
        policy = pinned::contains;
        text = "one of the expected IDs " + ids;
      } else if (!trustDomains.isEmpty()) {
        Set<TrustDomain> pinned = Set.copyOf(trustDomains);
        policy = id -> pinned.contains(id.trustDomain());
        text = "in the expected trust domains " + trustDomains;
      } else {
        policy = id -> true;
        text = "accepted";
      }
      return new SpiffeTrustManager(peerRole, policy, text, clock, source.current().bundles());
    }

    /** A key manager serving the source's SVID, and both managers following the source. */
    AdvancedTlsX509KeyManager follow(SpiffeTrustManager trust) {
      AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
      X509Material first = source.current();
      keys.updateIdentityCredentials(chain(first), first.privateKey());
      source.subscribe(
          m -> {
            keys.updateIdentityCredentials(chain(m), m.privateKey());
            trust.update(m.bundles());
          });
      // A change between current() above and subscribe() would otherwise be missed.
      X509Material now = source.current();
      if (now != first) {
        keys.updateIdentityCredentials(chain(now), now.privateKey());
        trust.update(now.bundles());
      }
      return keys;
    }

    private static X509Certificate[] chain(X509Material m) {
      return m.chain().toArray(new X509Certificate[0]);
    }

    private static SpiffeId parse(String spiffeId, String method) {
      try {
        return SpiffeId.parse(spiffeId);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(method + ": " + e.getMessage(), e);
      }
    }
  }

  /** Builds {@link ServerCredentials}; by default any client with an SVID of a bundled domain. */
  public static final class ServerBuilder extends PeerRules<ServerBuilder> {
    private ServerBuilder(X509MaterialSource source) {
      super(source);
    }

    @Override
    ServerBuilder self() {
      return this;
    }

    /** The clock for certificate validity checks; default the system clock. */
    public ServerBuilder clock(Clock clock) {
      return setClock(clock);
    }

    /**
     * Accepts at the TLS layer only clients of {@code trustDomain} (repeatable). Per-call
     * authorization stays with Gatehouse's {@code peer_certificate} allow-list.
     */
    public ServerBuilder acceptClientTrustDomain(String trustDomain) {
      return addTrustDomain(trustDomain, "acceptClientTrustDomain");
    }

    /** Server credentials, client authentication required. */
    public ServerCredentials build() {
      SpiffeTrustManager trust =
          trustManager(Role.CLIENT, "acceptClientId", "acceptClientTrustDomain");
      return TlsServerCredentials.newBuilder()
          .keyManager(follow(trust))
          .trustManager(trust)
          .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
          .build();
    }
  }

  /** Builds {@link ChannelCredentials}; by default any server with an SVID of a bundled domain. */
  public static final class ClientBuilder extends PeerRules<ClientBuilder> {
    private ClientBuilder(X509MaterialSource source) {
      super(source);
    }

    @Override
    ClientBuilder self() {
      return this;
    }

    /** The clock for certificate validity checks; default the system clock. */
    public ClientBuilder clock(Clock clock) {
      return setClock(clock);
    }

    /** Accepts only a server presenting exactly this SPIFFE ID (repeatable: any of them). */
    public ClientBuilder expectServer(String spiffeId) {
      return addId(spiffeId, "expectServer");
    }

    /** Accepts only servers of {@code trustDomain} (repeatable). */
    public ClientBuilder expectServerTrustDomain(String trustDomain) {
      return addTrustDomain(trustDomain, "expectServerTrustDomain");
    }

    /** Channel credentials presenting the client's SVID. */
    public ChannelCredentials build() {
      SpiffeTrustManager trust =
          trustManager(Role.SERVER, "expectServer", "expectServerTrustDomain");
      return TlsChannelCredentials.newBuilder()
          .keyManager(follow(trust))
          .trustManager(trust)
          .build();
    }
  }
}
