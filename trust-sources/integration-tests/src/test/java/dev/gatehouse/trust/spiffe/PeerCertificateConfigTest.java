package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfiguredGatehouse;
import dev.gatehouse.config.TestSections;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import dev.gatehouse.testing.TestTokens;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code internal.peer_certificate} wired from the config file. */
class PeerCertificateConfigTest {
  @TempDir Path dir;

  private final AtomicInteger handlerRuns = new AtomicInteger();

  private Path config(TestPki.Issued ca) throws Exception {
    Files.writeString(
        dir.resolve("ca.pem"),
        PeerCertificateTrustSourceTest.pem(ca.cert()),
        StandardCharsets.US_ASCII);
    Files.writeString(
        dir.resolve("idp.jwks.json"),
        new JWKSet(TestTokens.ecKey("idp-1").toPublicJWK()).toString());
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(
        file,
        "service_name: trips\n"
            + "user_jwt:\n"
            + "  issuers: [{ issuer: \"https://idp.test\", jwks_file: idp.jwks.json,"
            + " audiences: [trips-api] }]\n"
            + "internal:\n"
            + "  peer_certificate:\n"
            + "    trust_bundles: [{ trust_domain: cluster.local, ca_file: ca.pem }]\n"
            + "    allow:\n"
            + "      - { identity: \"spiffe://cluster.local/ns/trips/sa/worker\","
            + " roles: [trip-finisher] }\n");
    return file;
  }

  private Resp call(Path file, Certificate[] presented) throws Exception {
    ConfiguredGatehouse g =
        ConfiguredGatehouse.newBuilder()
            .addSections(TestSections.ALL)
            .configFile(file)
            .addService(
                new ProbeGrpc.ProbeImplBase() {
                  @Override
                  public void workerFinisher(Req r, StreamObserver<Resp> o) {
                    handlerRuns.incrementAndGet();
                    o.onNext(Resp.newBuilder().setText("ok").build());
                    o.onCompleted();
                  }
                })
            .build();
    String name = InProcessServerBuilder.generateName();
    Server server =
        g.addTo(
                InProcessServerBuilder.forName(name)
                    .directExecutor()
                    .addTransportFilter(
                        new ServerTransportFilter() {
                          @Override
                          public Attributes transportReady(Attributes attrs) {
                            return attrs.toBuilder()
                                .set(Grpc.TRANSPORT_ATTR_SSL_SESSION, TestPki.session(presented))
                                .build();
                          }
                        }))
            .build()
            .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      return ProbeGrpc.newBlockingStub(channel)
          .withDeadlineAfter(10, TimeUnit.SECONDS)
          .workerFinisher(Req.getDefaultInstance());
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
      g.close();
    }
  }

  @Test
  void config_peerCertificate_allowedSvidAccepted_otherDomainRefused() throws Exception {
    TestPki.Issued ca = TestPki.rootCa("cluster.local");
    Path file = config(ca);
    TestPki.Issued worker =
        TestPki.leaf(ca, TestPki.Spec.svid("spiffe://cluster.local/ns/trips/sa/worker"));
    assertEquals("ok", call(file, worker.presented()).getText());
    assertEquals(1, handlerRuns.get());

    TestPki.Issued otherCa = TestPki.rootCa("other.domain");
    TestPki.Issued stranger =
        TestPki.leaf(otherCa, TestPki.Spec.svid("spiffe://other.domain/ns/trips/sa/worker"));
    StatusRuntimeException e =
        assertThrows(StatusRuntimeException.class, () -> call(file, stranger.presented()));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
    assertEquals(1, handlerRuns.get());
  }

  @Test
  void config_peerCertificateBundleNotACa_refusedAtStartupNamingSection() throws Exception {
    TestPki.Issued ca = TestPki.rootCa("cluster.local");
    TestPki.Issued leaf =
        TestPki.leaf(ca, TestPki.Spec.svid("spiffe://cluster.local/ns/trips/sa/worker"));
    Path file = config(leaf); // a leaf where the CA belongs
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                ConfiguredGatehouse.newBuilder()
                    .addSections(TestSections.ALL)
                    .configFile(file)
                    .addService(new ProbeGrpc.ProbeImplBase() {})
                    .build());
    assertEquals("internal.peer_certificate", e.field());
  }
}
