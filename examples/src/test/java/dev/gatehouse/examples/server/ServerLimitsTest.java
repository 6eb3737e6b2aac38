package dev.gatehouse.examples.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The example servers' transport limits hold on a real Netty server on loopback. */
class ServerLimitsTest {
  @Test
  void silentConnection_noHttp2Preface_closedWithinHandshakeTimeout() throws Exception {
    Server server =
        ServerLimits.apply(
                NettyServerBuilder.forAddress(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
            .build()
            .start();
    try (Socket silent = new Socket()) {
      int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
      silent.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      silent.setSoTimeout((int) Duration.ofSeconds(30).toMillis());
      long start = System.nanoTime();
      InputStream in = silent.getInputStream();
      // Read until the server closes: a silent client must be dropped, not kept forever.
      int read;
      try {
        do {
          read = in.read();
        } while (read != -1);
      } catch (SocketException reset) {
        read = -1;
      }
      Duration waited = Duration.ofNanos(System.nanoTime() - start);
      assertEquals(-1, read);
      assertTrue(waited.compareTo(Duration.ofSeconds(30)) < 0, waited::toString);
    } finally {
      server.shutdownNow();
    }
  }
}
