package dev.gatehouse.examples.issuer;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.server.AuditListener;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.spi.TrustSource;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The example issuer, assembled: {@link TokenIssuerService} behind a Gatehouse chain (the trust
 * sources that authenticate callers: mesh identity or X.509-SVID) on a gRPC server, the JWKS on
 * HTTP, both on 127.0.0.1, and the registration file watched for changes.
 *
 * <pre>{@code
 * IssuerServer issuer = IssuerServer.newBuilder()
 *     .issuer("https://issuer.internal")
 *     .registrationFile(Path.of("registrations.yaml"))
 *     .addTrustSource(meshIdentity)
 *     .start();
 * }</pre>
 */
public final class IssuerServer implements AutoCloseable {
  private final RegistrationFile registrations;
  private final IssuerKeys keys;
  private final JwksEndpoint jwks;
  private final Gatehouse gatehouse;
  private final Server server;

  private IssuerServer(Builder b) throws IOException {
    RegistrationFile reg = RegistrationFile.open(b.registrationFile, b.reloadInterval);
    IssuerKeys ring = new IssuerKeys(b.clock, b.keyGrace);
    JwksEndpoint endpoint = null;
    Gatehouse chain = null;
    try {
      endpoint = JwksEndpoint.start(ring, b.jwksPort);
      Gatehouse.Builder gb =
          Gatehouse.newBuilder()
              .addService(
                  new TokenIssuerService(b.issuer, reg::current, ring, b.tokenLifetime, b.clock))
              .auditListener(b.auditListener);
      b.trustSources.forEach(gb::addTrustSource);
      chain = gb.build();
      this.server =
          chain
              .addTo(
                  NettyServerBuilder.forAddress(
                      new InetSocketAddress(
                          InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), b.port)))
              .build()
              .start();
      chain.verify(server);
    } catch (IOException | RuntimeException e) {
      if (chain != null) {
        chain.close();
      }
      if (endpoint != null) {
        endpoint.close();
      }
      reg.close();
      throw e;
    }
    this.registrations = reg;
    this.keys = ring;
    this.jwks = endpoint;
    this.gatehouse = chain;
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The gRPC port on 127.0.0.1. */
  public int port() {
    return server.getPort();
  }

  /** The JWKS URL, for the verifiers' {@code jwks_uri}. */
  public String jwksUrl() {
    return jwks.url();
  }

  /** The signing keys (to rotate them). */
  public IssuerKeys keys() {
    return keys;
  }

  /** The registration file (to reload it now). */
  public RegistrationFile registrations() {
    return registrations;
  }

  /** Stops the gRPC server, the JWKS endpoint and the file watcher. */
  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    gatehouse.close();
    jwks.close();
    registrations.close();
  }

  /** Builds and starts an {@link IssuerServer}. */
  public static final class Builder {
    private String issuer;
    private Path registrationFile;
    private final List<TrustSource> trustSources = new ArrayList<>();
    private Duration tokenLifetime = Duration.ofMinutes(5);
    private Duration reloadInterval = Duration.ofSeconds(1);
    private Duration keyGrace = Duration.ofSeconds(30);
    private Clock clock = Clock.systemUTC();
    private AuditListener auditListener = e -> {};
    private int port;
    private int jwksPort;

    private Builder() {}

    /** The {@code iss} of every token (required). */
    public Builder issuer(String issuer) {
      this.issuer = requireNonNull(issuer, "issuer");
      return this;
    }

    /** The registration file (required); see {@link Registrations}. */
    public Builder registrationFile(Path file) {
      this.registrationFile = requireNonNull(file, "file");
      return this;
    }

    /** A trust source that authenticates callers (at least one). */
    public Builder addTrustSource(TrustSource source) {
      trustSources.add(requireNonNull(source, "source"));
      return this;
    }

    /** Token lifetime, default 5 minutes (1 minute to 1 hour). */
    public Builder tokenLifetime(Duration lifetime) {
      this.tokenLifetime = requireNonNull(lifetime, "lifetime");
      return this;
    }

    /** How often the registration file is checked, default 1 s. */
    public Builder reloadInterval(Duration interval) {
      this.reloadInterval = requireNonNull(interval, "interval");
      return this;
    }

    /** How long past its last token's expiry a retired key stays published, default 30 s. */
    public Builder keyGrace(Duration grace) {
      this.keyGrace = requireNonNull(grace, "grace");
      return this;
    }

    /** The clock (tests). */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /** Where Gatehouse's decisions on IssueToken go; default nowhere. */
    public Builder auditListener(AuditListener listener) {
      this.auditListener = requireNonNull(listener, "listener");
      return this;
    }

    /** The gRPC port on 127.0.0.1, default 0 (ephemeral). */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** The JWKS port on 127.0.0.1, default 0 (ephemeral). */
    public Builder jwksPort(int port) {
      this.jwksPort = port;
      return this;
    }

    /**
     * Validates, loads the registration file and starts serving.
     *
     * @throws IOException if the registration file cannot be read or a port cannot be bound
     * @throws IllegalArgumentException on a missing issuer, file or trust source
     */
    public IssuerServer start() throws IOException {
      if (issuer == null || issuer.isBlank()) {
        throw new IllegalArgumentException("issuer must be set");
      }
      if (registrationFile == null) {
        throw new IllegalArgumentException("registrationFile must be set");
      }
      if (trustSources.isEmpty()) {
        throw new IllegalArgumentException("at least one trust source must authenticate callers");
      }
      return new IssuerServer(this);
    }
  }
}
