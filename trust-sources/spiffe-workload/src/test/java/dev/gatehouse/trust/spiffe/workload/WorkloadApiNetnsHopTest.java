package dev.gatehouse.trust.spiffe.workload;

import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.SERVER_ID;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.TD;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.WORKER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.trust.spiffe.tls.Netns;
import dev.gatehouse.trust.spiffe.tls.Pki;
import dev.gatehouse.trust.spiffe.tls.Pki.Issued;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Two services with SVIDs from fake agents talk mTLS across a real network hop: the server and
 * client run as child JVMs in two network namespaces ({@link Netns}: a veth pair, addresses that
 * exist only inside them), and take their X.509-SVIDs and bundles from fake agents this test runs
 * on Unix sockets in a shared temp dir (a socket path works across network namespaces, the
 * filesystem is shared). While the client calls continuously, the agents rotate every SVID three
 * times: every call succeeds and the server authorizes it by the worker's SPIFFE ID; a workload not
 * on the allow-list is refused. Skipped, with the reason, where namespaces cannot be created.
 */
class WorkloadApiNetnsHopTest {
  private static final String STRANGER = "spiffe://example.org/ns/trips/sa/stranger";

  @Test
  void agentIssuedSvids_rotateWhileCallingAcrossAVethHop_workerAllowedStrangerRefused()
      throws Exception {
    Netns.assumeAvailable();
    // A short path: Unix socket paths are limited to about 100 bytes.
    Path dir = Files.createTempDirectory(Path.of("/tmp"), "gh-wn");
    Issued ca = Pki.ca(TD);
    List<AgentWorkload> agents = new ArrayList<>();
    try {
      for (String[] w :
          List.of(
              new String[] {"server.sock", SERVER_ID},
              new String[] {"worker.sock", WORKER},
              new String[] {"stranger.sock", STRANGER})) {
        agents.add(AgentWorkload.start(dir.resolve(w[0]), w[1], ca, List.of(ca.cert()), Map.of()));
      }
      Netns n = Netns.create();
      try {
        Path serverLog = dir.resolve("server.log");
        Path clientLog = dir.resolve("client.log");
        Process server =
            n.java(n.serverNs, AgentNetnsServerMain.class, dir, serverLog, n.serverAddr);
        Netns.awaitFile(server, dir.resolve("server.ready"), serverLog);
        Process client =
            n.java(
                n.clientNs, AgentNetnsClientMain.class, dir, clientLog, n.serverAddr, n.clientAddr);
        Netns.awaitFile(client, dir.resolve("client.ready"), clientLog);
        for (int i = 0; i < 3; i++) {
          // Pacing of the rotation only; each rotated server SVID is awaited as a condition.
          Thread.sleep(1500);
          X509Certificate serverLeaf = null;
          for (AgentWorkload a : agents) {
            X509Certificate leaf = a.issue(ca, List.of(ca.cert()), Map.of());
            serverLeaf = a == agents.get(0) ? leaf : serverLeaf;
          }
          // The client met it across the hop, however slowly a loaded machine runs its JVM.
          Netns.awaitFile(
              client, dir.resolve("met-" + serverLeaf.getSerialNumber().toString(16)), clientLog);
        }
        Thread.sleep(1500);
        Files.writeString(dir.resolve("stop"), "stop\n");
        assertTrue(
            client.waitFor(60, TimeUnit.SECONDS),
            "client did not finish: " + Netns.read(clientLog));
        String out = Netns.read(clientLog);
        assertEquals(0, client.exitValue(), out + "\nserver:\n" + Netns.read(serverLog));
        assertTrue(out.contains("[agent-netns-client] OK"), out);
        assertTrue(
            out.contains("peer_certificate: " + WORKER + " from /" + n.clientAddr + ","), out);
        Matcher met = Pattern.compile("server certificates met: (\\d+)").matcher(out);
        assertTrue(met.find(), out);
        // The first SVID and at least two rotated ones were presented across the hop.
        assertTrue(Integer.parseInt(met.group(1)) >= 3, out);
      } finally {
        n.close();
      }
      assertTrue(n.deleted(), "cleaned up");
    } finally {
      for (AgentWorkload a : agents) {
        a.close();
      }
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
