package dev.gatehouse.trust.spiffe.workload;

import com.google.protobuf.ByteString;
import dev.gatehouse.trust.spiffe.tls.Pki;
import dev.gatehouse.trust.spiffe.tls.Pki.Issued;
import io.spiffe.workloadapi.grpc.Workload;
import java.nio.file.Path;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One workload as a test sees it: its own fake agent on its own Unix socket (a real agent attests
 * each workload separately), the workload's feed, and the TLS material following that feed. {@link
 * #issue} hands the workload a new X.509-SVID and the bundles to trust, as the agent does on
 * rotation.
 */
final class AgentWorkload implements AutoCloseable {
  final String id;
  final FakeWorkloadApi agent;
  final WorkloadApiFeed feed;
  private volatile WorkloadX509Material material;

  private AgentWorkload(String id, FakeWorkloadApi agent, WorkloadApiFeed feed) {
    this.id = id;
    this.agent = agent;
    this.feed = feed;
  }

  /** Starts an agent at {@code socket} serving an SVID for {@code id} issued by {@code ca}. */
  static AgentWorkload start(
      Path socket,
      String id,
      Issued ca,
      List<X509Certificate> ownBundle,
      Map<String, List<X509Certificate>> federated)
      throws Exception {
    FakeWorkloadApi agent = new FakeWorkloadApi(socket);
    agent.start();
    AgentWorkload w = new AgentWorkload(id, agent, WorkloadApiFeed.connect("unix:" + socket));
    w.issue(ca, ownBundle, federated);
    w.material = WorkloadX509Material.of(w.feed, Duration.ofSeconds(20));
    return w;
  }

  WorkloadX509Material material() {
    return material;
  }

  /**
   * Pushes a new X.509 context: a fresh SVID from {@code ca}, the own trust domain's bundle and the
   * federated bundles (keyed by trust domain name). Returns the new leaf.
   */
  X509Certificate issue(
      Issued ca, List<X509Certificate> ownBundle, Map<String, List<X509Certificate>> federated)
      throws Exception {
    Issued svid = Pki.svid(ca, id);
    agent.x509(context(id, svid, ownBundle, federated));
    return svid.cert();
  }

  static Workload.X509SVIDResponse context(
      String id,
      Issued svid,
      List<X509Certificate> ownBundle,
      Map<String, List<X509Certificate>> federated)
      throws CertificateEncodingException {
    Workload.X509SVIDResponse.Builder b =
        Workload.X509SVIDResponse.newBuilder()
            .addSvids(
                Workload.X509SVID
                    .newBuilder()
                    .setSpiffeId(id)
                    .setX509Svid(der(svid.chain()))
                    .setX509SvidKey(ByteString.copyFrom(svid.key().getEncoded()))
                    .setBundle(der(ownBundle)));
    for (Map.Entry<String, List<X509Certificate>> e : federated.entrySet()) {
      b.putFederatedBundles("spiffe://" + e.getKey(), der(e.getValue()));
    }
    return b.build();
  }

  static ByteString der(List<X509Certificate> certs) throws CertificateEncodingException {
    ByteString out = ByteString.EMPTY;
    for (X509Certificate c : certs) {
      out = out.concat(ByteString.copyFrom(c.getEncoded()));
    }
    return out;
  }

  @Override
  public void close() {
    WorkloadX509Material m = material;
    if (m != null) {
      m.close();
    }
    feed.close();
    agent.close();
  }

  @Override
  public String toString() {
    return id;
  }
}
