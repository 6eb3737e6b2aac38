package dev.gatehouse.config;

import static dev.gatehouse.testing.ProbeHarness.expectFailure;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.server.AuditEvent;
import dev.gatehouse.server.AuthStatus;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.testing.ProbeHarness;
import dev.gatehouse.testkit.TestIdentityProvider;
import dev.gatehouse.testkit.Xfcc;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A chain wired from the configuration file runs every configured source's screen on every checked
 * call, as the chain built in code does: a forwarded identity from a peer that is not a trusted
 * proxy stops the call even when another credential on it would be accepted.
 */
class ConfiguredChainScreensEveryCallTest {
  private static final InetSocketAddress STRANGER = new InetSocketAddress("192.0.2.7", 4000);

  @TempDir Path dir;

  @RegisterExtension
  static final TestIdentityProvider idp =
      TestIdentityProvider.newBuilder("https://idp.test").audience("trips-api").build();

  @Test
  void gatedCall_validUserJwtAndMeshHeaderFromUntrustedPeer_refusedUntrustedProxyHandlerNotRun()
      throws Exception {
    Files.writeString(dir.resolve("idp.jwks.json"), idp.publicKeys().toString());
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(
        file,
        "service_name: trips\n"
            + "user_jwt:\n"
            + "  issuers:\n"
            + "    - { issuer: \""
            + idp.issuer()
            + "\", jwks_file: idp.jwks.json, audiences: [trips-api] }\n"
            + "internal:\n"
            + "  mesh_identity:\n"
            + "    trusted_proxies: [\"127.0.0.1/32\"]\n"
            + "    allow:\n"
            + "      - { identity: \"spiffe://cluster.local/ns/trips/sa/worker\" }\n");
    String user = idp.userToken("alice").sign();
    List<AuditEvent> events = new CopyOnWriteArrayList<>();
    ConfiguredGatehouse[] built = new ConfiguredGatehouse[1];
    try (ProbeHarness h =
        ProbeHarness.start(
            hh -> {
              built[0] =
                  ConfiguredGatehouse.newBuilder(file)
                      .addSections(TestSections.ALL)
                      .addService(hh.service())
                      .auditListener(events::add)
                      .build();
              return built[0].gatehouse();
            },
            STRANGER)) {
      try {
        Metadata md = new Metadata();
        md.put(
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + user);
        md.put(
            Metadata.Key.of(Xfcc.HEADER, Metadata.ASCII_STRING_MARSHALLER),
            Xfcc.element().uri("spiffe://cluster.local/ns/trips/sa/worker").build());
        StatusRuntimeException e =
            expectFailure(() -> h.stub(md).anyUser(Req.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        assertEquals(AuthStatus.INVALID_TEXT, e.getStatus().getDescription());
        assertEquals(0, h.handlerRuns(), "handler must not run");
        assertEquals(Reason.UNTRUSTED_PROXY, events.get(events.size() - 1).reason());
      } finally {
        built[0].close();
      }
    }
  }
}
