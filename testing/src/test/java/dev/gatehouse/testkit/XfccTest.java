package dev.gatehouse.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.trust.mesh.MeshIdentityTrustSource;
import io.grpc.Metadata;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** XFCC values the kit writes are what the mesh source's strict parser reads. */
class XfccTest {
  private static final String WORKER = "spiffe://cluster.local/ns/trips/sa/worker";
  private static final InetAddress LOOPBACK = loopback();

  private static InetAddress loopback() {
    try {
      return InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private static AuthResult fromSidecar(String xfcc) {
    MeshIdentityTrustSource mesh =
        MeshIdentityTrustSource.newBuilder()
            .trustedProxies("127.0.0.1/32")
            .allow(WORKER, List.of("trip-finisher"), List.of())
            .build();
    Metadata md = new Metadata();
    md.put(Metadata.Key.of(Xfcc.HEADER, Metadata.ASCII_STRING_MARSHALLER), xfcc);
    return mesh.authenticate(
        IncomingCall.of("trips/Finish", md, new InetSocketAddress(LOOPBACK, 15001), null));
  }

  @Test
  void elementWithQuotedValues_isAcceptedByTheMeshSource() {
    String value =
        Xfcc.element()
            .by("spiffe://cluster.local/ns/trips/sa/trips")
            .hash("abc123")
            .subject("CN=worker,O=Example")
            .uri(WORKER)
            .build();
    AuthResult r = fromSidecar(value);
    assertEquals(
        WORKER, r.principal().orElseThrow(() -> new AssertionError(r.toString())).subject());
  }

  @Test
  void join_putsTheLastHopRightmost_whichIsTheOneRead() {
    String value =
        Xfcc.join(
            Xfcc.element().uri("spiffe://cluster.local/ns/other/sa/x").build(),
            Xfcc.element().uri(WORKER).build());
    assertEquals(WORKER, fromSidecar(value).principal().orElseThrow().subject());
  }

  @Test
  void valuesWithSeparators_areQuoted() {
    assertEquals("DNS=\"a;b\"", Xfcc.element().dns("a;b").build());
    assertEquals("Subject=\"CN=a\\\"b\"", Xfcc.element().subject("CN=a\"b").build());
    assertThrows(IllegalStateException.class, () -> Xfcc.element().build());
    assertThrows(IllegalArgumentException.class, () -> Xfcc.element().pair("A=B", "x"));
    assertThrows(IllegalArgumentException.class, Xfcc::join);
  }
}
