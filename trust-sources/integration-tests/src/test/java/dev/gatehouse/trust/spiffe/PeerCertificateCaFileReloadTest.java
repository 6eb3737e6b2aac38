package dev.gatehouse.trust.spiffe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.JWKSet;
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
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A change of a {@code peer_certificate} bundle's {@code ca_file} content is picked up by the
 * reload even when the YAML is unchanged, and also by the next applied reload when it arrived
 * together with a refused one: a CA removed from the file is no longer trusted.
 */
class PeerCertificateCaFileReloadTest {
  @TempDir Path dir;

  private final AtomicInteger handlerRuns = new AtomicInteger();

  private void writeConfig(String comment) throws Exception {
    writeConfig(comment, "");
  }

  private void writeConfig(String comment, String extraTopLevel) throws Exception {
    Files.writeString(
        dir.resolve("idp.jwks.json"),
        new JWKSet(TestTokens.ecKey("idp-1").toPublicJWK()).toString());
    Files.writeString(
        dir.resolve("gatehouse.yaml"),
        "# "
            + comment
            + "\nservice_name: trips\n"
            + extraTopLevel
            + "user_jwt:\n"
            + "  issuers: [{ issuer: \"https://idp.test\", jwks_file: idp.jwks.json,"
            + " audiences: [trips-api] }]\n"
            + "internal:\n"
            + "  peer_certificate:\n"
            + "    trust_bundles: [{ trust_domain: cluster.local, ca_file: ca.pem }]\n"
            + "    allow:\n"
            + "      - { identity: \"spiffe://cluster.local/ns/trips/sa/worker\","
            + " roles: [trip-finisher] }\n");
  }

  @Test
  void reload_caRemovedFromCaFile_leafOfRemovedCaRefused() throws Exception {
    TestPki.Issued oldCa = TestPki.rootCa("cluster.local");
    TestPki.Issued newCa = TestPki.rootCa("cluster.local");
    TestPki.Issued oldLeaf =
        TestPki.leaf(oldCa, TestPki.Spec.svid("spiffe://cluster.local/ns/trips/sa/worker"));
    Files.writeString(
        dir.resolve("ca.pem"),
        PeerCertificateTrustSourceTest.pem(oldCa.cert()),
        StandardCharsets.US_ASCII);
    writeConfig("v1");
    AtomicReference<Certificate[]> presented = new AtomicReference<>(oldLeaf.presented());
    ConfiguredGatehouse g =
        ConfiguredGatehouse.newBuilder()
            .addSections(TestSections.ALL)
            .configFile(dir.resolve("gatehouse.yaml"))
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
                                .set(
                                    Grpc.TRANSPORT_ATTR_SSL_SESSION,
                                    TestPki.session(presented.get()))
                                .build();
                          }
                        }))
            .build()
            .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      ProbeGrpc.ProbeBlockingStub stub =
          ProbeGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      assertEquals("ok", stub.workerFinisher(Req.getDefaultInstance()).getText());
      assertEquals(1, handlerRuns.get());

      // Rotation: the old CA is removed from the bundle file, the config file is touched and
      // reloaded.
      Files.writeString(
          dir.resolve("ca.pem"),
          PeerCertificateTrustSourceTest.pem(newCa.cert()),
          StandardCharsets.US_ASCII);
      writeConfig("v2: old CA removed from ca.pem");
      assertTrue(g.reloadNow(), "reload applied");

      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () -> stub.workerFinisher(Req.getDefaultInstance()),
              "a leaf of the CA removed from ca_file is still accepted after the reload");
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
      assertEquals(1, handlerRuns.get());
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
      g.close();
    }
  }

  @Test
  void reload_caRemovedDuringRefusedReloadThenValidReload_leafOfRemovedCaRefused()
      throws Exception {
    TestPki.Issued oldCa = TestPki.rootCa("cluster.local");
    TestPki.Issued newCa = TestPki.rootCa("cluster.local");
    TestPki.Issued oldLeaf =
        TestPki.leaf(oldCa, TestPki.Spec.svid("spiffe://cluster.local/ns/trips/sa/worker"));
    Files.writeString(
        dir.resolve("ca.pem"),
        PeerCertificateTrustSourceTest.pem(oldCa.cert()),
        StandardCharsets.US_ASCII);
    writeConfig("v1");
    AtomicReference<Certificate[]> presented = new AtomicReference<>(oldLeaf.presented());
    ConfiguredGatehouse g =
        ConfiguredGatehouse.newBuilder()
            .addSections(TestSections.ALL)
            .configFile(dir.resolve("gatehouse.yaml"))
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
                                .set(
                                    Grpc.TRANSPORT_ATTR_SSL_SESSION,
                                    TestPki.session(presented.get()))
                                .build();
                          }
                        }))
            .build()
            .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      ProbeGrpc.ProbeBlockingStub stub =
          ProbeGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      assertEquals("ok", stub.workerFinisher(Req.getDefaultInstance()).getText());
      assertEquals(1, handlerRuns.get());

      // Rotation: the old CA is removed from the bundle file while the YAML has an error, so
      // that reload is refused and the last good configuration keeps serving.
      Files.writeString(
          dir.resolve("ca.pem"),
          PeerCertificateTrustSourceTest.pem(newCa.cert()),
          StandardCharsets.US_ASCII);
      writeConfig("v2: old CA removed, typo in the file", "unknown_field: true\n");
      assertFalse(g.reloadNow(), "reload of an invalid file refused");
      // The YAML is fixed; ca.pem still holds only the new CA.
      writeConfig("v3: typo fixed");
      assertTrue(g.reloadNow(), "reload applied");

      StatusRuntimeException e =
          assertThrows(
              StatusRuntimeException.class,
              () -> stub.workerFinisher(Req.getDefaultInstance()),
              "a leaf of the CA removed from ca_file is still accepted after the reload");
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
      assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
      assertEquals(1, handlerRuns.get());
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
      g.close();
    }
  }
}
