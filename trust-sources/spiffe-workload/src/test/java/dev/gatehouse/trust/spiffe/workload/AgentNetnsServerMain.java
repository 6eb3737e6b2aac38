package dev.gatehouse.trust.spiffe.workload;

import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.MTLS_PORT;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.TD;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.WORKER;

import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testing.TestSupport;
import dev.gatehouse.trust.spiffe.PeerCertificateTrustSource;
import dev.gatehouse.trust.spiffe.tls.NetnsServerMain;
import dev.gatehouse.trust.spiffe.tls.SpiffeTls;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The server of {@link WorkloadApiNetnsHopTest}, run in its own network namespace: its SVID and
 * bundle come from the fake agent on {@code server.sock} in the shared work dir (a Unix socket path
 * works across network namespaces); the Probe service behind Gatehouse with {@code
 * peer_certificate} on the agent's bundles, allowing the worker's SPIFFE ID. Responses carry what
 * Gatehouse saw ({@link NetnsServerMain.SeenHeaders}).
 *
 * <p>Arguments: work dir, own address. Writes {@code server.ready} once it listens; runs until
 * killed.
 */
public final class AgentNetnsServerMain {
  private AgentNetnsServerMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    InetAddress self = InetAddress.getByName(args[1]);
    WorkloadApiFeed agent = WorkloadApiFeed.connect("unix:" + dir.resolve("server.sock"));
    WorkloadX509Material svid = WorkloadX509Material.of(agent, Duration.ofSeconds(30));
    PeerCertificateTrustSource certs =
        PeerCertificateTrustSource.newBuilder()
            .addBundle(TD, agent.bundles())
            .allow(WORKER, Set.of(), Set.of())
            .build();
    AtomicReference<Gatehouse> gatehouse = new AtomicReference<>();
    ProbeHarness h =
        ProbeHarness.start(
            x -> {
              gatehouse.set(
                  Gatehouse.newBuilder()
                      .addService(
                          ServerInterceptors.intercept(
                              x.service(), new NetnsServerMain.SeenHeaders()))
                      .userAuthenticator(TestSupport.noUsers())
                      .addTrustSource(certs)
                      .build());
              return gatehouse.get();
            });
    Server mtls =
        gatehouse
            .get()
            .addTo(
                NettyServerBuilder.forAddress(
                    new InetSocketAddress(self, MTLS_PORT), SpiffeTls.server(svid).build()))
            .build()
            .start();
    Files.writeString(dir.resolve("server.ready"), "ready\n");
    System.out.println("[agent-netns-server] listening on " + self + " port " + MTLS_PORT);
    mtls.awaitTermination();
    h.close();
  }
}
