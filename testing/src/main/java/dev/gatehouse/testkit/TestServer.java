package dev.gatehouse.testkit;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.server.AuditListener;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.trust.jwt.SignedTokenTrustSource;
import dev.gatehouse.trust.jwt.UserJwtAuthenticator;
import dev.gatehouse.trust.mesh.MeshIdentityTrustSource;
import io.grpc.Attributes;
import io.grpc.BindableService;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerTransportFilter;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An in-process gRPC server with the user's services behind a {@link Gatehouse} wired to test
 * issuers, and a channel to it.
 *
 * <pre>{@code
 * try (TestServer server = TestServer.start(new TripService(), idp)) {
 *   var stub = TripServiceGrpc.newBlockingStub(server.channel())
 *       .withCallCredentials(idp.userToken("alice").roles("driver").callCredentials());
 *   ...
 * }
 * }</pre>
 *
 * <p>The builder adds service callers that sign their own tokens ({@link Builder#serviceCaller}),
 * mesh identities ({@link Builder#meshCaller}: every in-process client counts as the trusted
 * sidecar, so use it only to test handlers, never to test the proxy check) and an mTLS peer
 * certificate ({@link Builder#peerCertificate}); anything else goes through {@link
 * Builder#configure}. {@link #start} calls {@link Gatehouse#verify(Server)}. Closing stops the
 * server, the channel and the Gatehouse (its key-refresh threads), not the providers.
 */
public final class TestServer implements AutoCloseable {
  private final Gatehouse gatehouse;
  private final Server server;
  private final ManagedChannel channel;

  private TestServer(Gatehouse gatehouse, Server server, ManagedChannel channel) {
    this.gatehouse = gatehouse;
    this.server = server;
    this.channel = channel;
  }

  /** One line: {@code service} behind Gatehouse, its gated methods trusting {@code users}. */
  public static TestServer start(BindableService service, TestIdentityProvider users) {
    return newBuilder().addService(service).users(users).start();
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** A channel to the server (in-process, direct executor). */
  public ManagedChannel channel() {
    return channel;
  }

  /** The Gatehouse in front of the services. */
  public Gatehouse gatehouse() {
    return gatehouse;
  }

  /** The running server. */
  public Server server() {
    return server;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
    try {
      server.awaitTermination(10, TimeUnit.SECONDS);
      channel.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      gatehouse.close();
    }
  }

  /** Builds and starts a {@link TestServer}. */
  public static final class Builder {
    private final List<ServerServiceDefinition> services = new ArrayList<>();
    private TestIdentityProvider users;
    private String serviceName = "test-service";
    private final Map<TestIdentityProvider, List<String>> serviceCallers = new LinkedHashMap<>();
    private final Map<String, List<String>> meshCallers = new LinkedHashMap<>();
    private X509Svid peer;
    private AuditListener audit;
    private final List<Consumer<Gatehouse.Builder>> customizers = new ArrayList<>();

    private Builder() {}

    /** A service to protect. */
    public Builder addService(BindableService service) {
      services.add(requireNonNull(service, "service").bindService());
      return this;
    }

    /** A service definition to protect (from protoc-generated code). */
    public Builder addService(ServerServiceDefinition service) {
      services.add(requireNonNull(service, "service"));
      return this;
    }

    /** Gated methods trust end-user tokens of {@code idp} for its default audience. */
    public Builder users(TestIdentityProvider idp) {
      this.users = requireNonNull(idp, "idp");
      return this;
    }

    /**
     * This server's own name: the audience service tokens must carry. Default {@code test-service}.
     */
    public Builder serviceName(String serviceName) {
      this.serviceName = requireNonNull(serviceName, "serviceName");
      return this;
    }

    /**
     * Internal methods trust the service tokens {@code caller} signs ({@code signed_token}), with
     * {@code roles} granted; mint them with {@code caller.serviceToken(serviceName)}.
     */
    public Builder serviceCaller(TestIdentityProvider caller, String... roles) {
      serviceCallers.put(requireNonNull(caller, "caller"), List.of(roles));
      return this;
    }

    /**
     * Internal methods trust the mesh identity {@code spiffeId} in {@code x-forwarded-client-cert}
     * (see {@link Xfcc}), with {@code roles}. Every in-process client is taken for the trusted
     * sidecar.
     */
    public Builder meshCaller(String spiffeId, String... roles) {
      meshCallers.put(requireNonNull(spiffeId, "spiffeId"), List.of(roles));
      return this;
    }

    /**
     * Every call appears to come over mTLS with {@code svid} as the client certificate (wire a
     * {@code PeerCertificateTrustSource} with {@link #configure}).
     */
    public Builder peerCertificate(X509Svid svid) {
      this.peer = requireNonNull(svid, "svid");
      return this;
    }

    /** The audit listener; default Gatehouse's logging one. */
    public Builder auditListener(AuditListener listener) {
      this.audit = requireNonNull(listener, "listener");
      return this;
    }

    /** Anything else on the Gatehouse builder: more trust sources, overrides, dry-run. */
    public Builder configure(Consumer<Gatehouse.Builder> customizer) {
      customizers.add(requireNonNull(customizer, "customizer"));
      return this;
    }

    /**
     * Builds the Gatehouse (its startup checks apply) and starts the server.
     *
     * @throws dev.gatehouse.policy.PolicyException on a policy or wiring problem
     */
    public TestServer start() {
      if (services.isEmpty()) {
        throw new IllegalStateException("no service: call addService");
      }
      Gatehouse.Builder gb = Gatehouse.newBuilder();
      services.forEach(gb::addService);
      if (users != null) {
        gb.userAuthenticator(
            UserJwtAuthenticator.newBuilder().addIssuer(users.trustedIssuer()).build());
      }
      if (!serviceCallers.isEmpty()) {
        SignedTokenTrustSource.Builder st =
            SignedTokenTrustSource.newBuilder().serviceName(serviceName);
        serviceCallers.forEach(
            (idp, roles) -> st.addIssuer(idp.serviceTokenIssuer().roles(roles).build()));
        gb.addTrustSource(st.build());
      }
      if (!meshCallers.isEmpty()) {
        MeshIdentityTrustSource.Builder mb =
            MeshIdentityTrustSource.newBuilder()
                .trustedProxies("127.0.0.1/32")
                .allowNonIpPeer(true);
        meshCallers.forEach((id, roles) -> mb.allow(id, roles, List.of()));
        gb.addTrustSource(mb.build());
      }
      if (audit != null) {
        gb.auditListener(audit);
      }
      customizers.forEach(c -> c.accept(gb));
      Gatehouse gatehouse = gb.build();
      String name = InProcessServerBuilder.generateName();
      InProcessServerBuilder sb = InProcessServerBuilder.forName(name).directExecutor();
      if (peer != null) {
        X509Svid svid = peer;
        sb.addTransportFilter(
            new ServerTransportFilter() {
              @Override
              public Attributes transportReady(Attributes attrs) {
                return attrs.toBuilder()
                    .set(Grpc.TRANSPORT_ATTR_SSL_SESSION, svid.asPeerSession())
                    .build();
              }
            });
      }
      Server server;
      try {
        server = gatehouse.addTo(sb).build().start();
      } catch (IOException e) {
        gatehouse.close();
        throw new UncheckedIOException("in-process server did not start", e);
      }
      try {
        gatehouse.verify(server);
      } catch (RuntimeException e) {
        server.shutdownNow();
        gatehouse.close();
        throw e;
      }
      ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
      return new TestServer(gatehouse, server, channel);
    }
  }
}
