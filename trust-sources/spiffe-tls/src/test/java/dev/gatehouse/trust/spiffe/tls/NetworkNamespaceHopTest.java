package dev.gatehouse.trust.spiffe.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.testing.TestTokens;
import dev.gatehouse.trust.spiffe.tls.Pki.Issued;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client and server across a real network hop: two network namespaces this test creates (unique
 * names per run), joined by a veth pair with addresses that exist only inside them ({@code
 * 10.231.N.1/30} and {@code .2/30}); nothing is routed anywhere else. The server and client are
 * child JVMs started with {@code ip netns exec} ({@link Netns}, {@link NetnsServerMain}, {@link
 * NetnsClientMain}) on this test's classpath, exchanging certificates, keys and a JWT-SVID through
 * a temp dir. The namespaces are always deleted.
 *
 * <p>Needs root and {@code ip netns}: otherwise the test is skipped with the reason, and when the
 * environment variable {@code CI} is set a {@code [netns] SKIPPED: <reason>} line goes to stdout.
 */
class NetworkNamespaceHopTest {
  @TempDir Path dir;

  @Test
  void mtlsJwtSvidAndMeshIdentity_acrossAVethHopBetweenNamespaces() throws Exception {
    Netns.assumeAvailable();
    writeMaterial();
    Netns n = Netns.create();
    try {
      Process server =
          n.java(
              n.serverNs,
              NetnsServerMain.class,
              dir,
              dir.resolve("server.log"),
              n.serverAddr,
              n.clientAddr);
      Netns.awaitFile(server, dir.resolve("server.ready"), dir.resolve("server.log"));

      Process client =
          n.java(
              n.clientNs,
              NetnsClientMain.class,
              dir,
              dir.resolve("client.log"),
              n.serverAddr,
              n.clientAddr);
      assertTrue(
          client.waitFor(60, TimeUnit.SECONDS), "client did not finish: " + log("client.log"));
      String out = log("client.log");
      assertEquals(0, client.exitValue(), out + "\nserver:\n" + log("server.log"));
      assertTrue(out.contains("[netns-client] OK"), out);
      assertTrue(
          out.contains("peer_certificate: " + NetnsServerMain.WORKER + " from /" + n.clientAddr),
          out);
      assertTrue(out.contains("spiffe_jwt: " + NetnsServerMain.JWT_CALLER), out);
      assertTrue(out.contains("mesh_identity: " + NetnsServerMain.MESH_CALLER), out);
    } finally {
      n.close();
    }
    assertTrue(n.deleted(), "cleaned up");
  }

  private void writeMaterial() throws IOException {
    Issued ca = Pki.ca(NetnsServerMain.TD);
    Path server = Files.createDirectory(dir.resolve("server"));
    Path client = Files.createDirectory(dir.resolve("client"));
    Pki.writeHelperLayout(server, Pki.svid(ca, NetnsServerMain.SERVER_ID), List.of(ca.cert()));
    Pki.writeHelperLayout(client, Pki.svid(ca, NetnsServerMain.WORKER), List.of(ca.cert()));
    ECKey jwtKey = TestTokens.ecKey("netns-1");
    Files.writeString(
        dir.resolve("jwt-bundle.json"),
        new JWKSet(jwtKey.toPublicJWK()).toString(),
        StandardCharsets.UTF_8);
    Map<String, Object> claims = new LinkedHashMap<>();
    long now = Instant.now().getEpochSecond();
    claims.put("sub", NetnsServerMain.JWT_CALLER);
    claims.put("aud", NetnsServerMain.SERVER_ID);
    claims.put("iat", now);
    claims.put("exp", now + 600);
    Files.writeString(
        dir.resolve("jwt-svid.token"),
        TestTokens.sign(jwtKey, TestTokens.header("ES256", "netns-1"), claims),
        StandardCharsets.US_ASCII);
  }

  private String log(String name) throws IOException {
    return Netns.read(dir.resolve(name));
  }
}
