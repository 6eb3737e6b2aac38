package dev.gatehouse.examples.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 rapid reset (CVE-2023-44487) against a Netty server with the {@link ServerLimits}: one
 * connection sends HEADERS for a gRPC call immediately followed by RST_STREAM, pair after pair. The
 * server must answer GOAWAY after about {@value ServerLimits#MAX_RST_PER_WINDOW} resets, long
 * before 20,000 pairs. The client is a few lines of raw HTTP/2 framing over a plain socket (HPACK
 * literals, no Huffman), so nothing in a client library can coalesce or skip the resets.
 */
class RapidResetFloodTest {
  static final int MAX_PAIRS = 20_000;

  /** Generous against the 200-per-10-s limit; unlimited servers took 100,000 without GOAWAY. */
  static final int GOAWAY_BOUND = 2_000;

  private static final int TYPE_HEADERS = 0x1;
  private static final int TYPE_RST_STREAM = 0x3;
  private static final int TYPE_SETTINGS = 0x4;
  private static final int TYPE_GOAWAY = 0x7;
  private static final int ENHANCE_YOUR_CALM = 0xb;
  private static final int BATCH = 20;
  private static final int FLAG_END_HEADERS = 0x4;
  private static final int FLAG_ACK = 0x1;
  private static final int CANCEL = 0x8;

  /** A unary method whose handler waits for a request that never comes: streams stay open. */
  private static ServerServiceDefinition sink() {
    MethodDescriptor.Marshaller<byte[]> bytes =
        new MethodDescriptor.Marshaller<>() {
          @Override
          public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
          }

          @Override
          public byte[] parse(InputStream stream) {
            try {
              return stream.readAllBytes();
            } catch (IOException e) {
              throw new IllegalStateException(e);
            }
          }
        };
    MethodDescriptor<byte[], byte[]> hold =
        MethodDescriptor.newBuilder(bytes, bytes)
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("faults.Sink/Hold")
            .build();
    return ServerServiceDefinition.builder("faults.Sink")
        .addMethod(
            hold,
            (ServerCall<byte[], byte[]> call, io.grpc.Metadata headers) -> {
              call.request(1);
              return new ServerCall.Listener<>() {};
            })
        .build();
  }

  @Test
  void rapidReset_headersAndRstPairsOnOneConnection_goAwayLongBefore20000Pairs() throws Exception {
    Server server =
        ServerLimits.apply(
                NettyServerBuilder.forAddress(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)))
            .addService(sink())
            .build()
            .start();
    int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    long start = System.nanoTime();
    AtomicLong goAwayLastStream = new AtomicLong(-1);
    AtomicLong goAwayError = new AtomicLong(-1);
    AtomicReference<String> goAwayDebug = new AtomicReference<>("");
    AtomicInteger pairsWhenGoAwaySeen = new AtomicInteger(-1);
    AtomicInteger pairsSent = new AtomicInteger();
    CountDownLatch goAway = new CountDownLatch(1);
    BlockingQueue<Long> acks = new LinkedBlockingQueue<>();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
      socket.setSoTimeout(30_000);
      OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
      Object writeLock = new Object();
      synchronized (writeLock) {
        out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        frame(out, TYPE_SETTINGS, 0, 0, new byte[0]);
        out.flush();
      }
      Thread reader =
          new Thread(
              () -> {
                try {
                  DataInputStream in = new DataInputStream(socket.getInputStream());
                  while (true) {
                    int length = (in.readUnsignedShort() << 8) | in.readUnsignedByte();
                    int type = in.readUnsignedByte();
                    int flags = in.readUnsignedByte();
                    in.readFully(new byte[4]); // stream id
                    byte[] payload = new byte[length];
                    in.readFully(payload);
                    if (type == TYPE_SETTINGS && (flags & FLAG_ACK) == 0) {
                      synchronized (writeLock) {
                        frame(out, TYPE_SETTINGS, FLAG_ACK, 0, new byte[0]);
                        out.flush();
                      }
                    } else if (type == TYPE_SETTINGS) {
                      acks.add(1L);
                    } else if (type == TYPE_GOAWAY) {
                      DataInputStream p = new DataInputStream(new ByteArrayInputStream(payload));
                      goAwayLastStream.set(p.readInt() & 0x7fffffffL);
                      goAwayError.set(p.readInt() & 0xffffffffL);
                      goAwayDebug.set(new String(p.readAllBytes(), StandardCharsets.UTF_8));
                      pairsWhenGoAwaySeen.set(pairsSent.get());
                      goAway.countDown();
                      acks.add(-1L);
                      return;
                    }
                  }
                } catch (IOException e) {
                  // connection closed
                }
              },
              "rapid-reset-reader");
      reader.setDaemon(true);
      reader.start();

      byte[] block = requestHeaders("127.0.0.1:" + port, "/faults.Sink/Hold");
      byte[] cancel = {0, 0, 0, CANCEL};
      // Pairs go out in batches of 20, each followed by an empty SETTINGS frame: its ACK proves the
      // server has read the whole batch, so the count at GOAWAY is what the server took, not what
      // sat in socket buffers. (Not PING: grpc-java answers frequent PINGs with GOAWAY
      // too_many_pings, which would end the test for another reason.)
      try {
        assertEquals(1L, acks.poll(30, TimeUnit.SECONDS), "ACK of the preface SETTINGS");
        for (int i = 0; i < MAX_PAIRS && goAway.getCount() > 0; ) {
          synchronized (writeLock) {
            for (int j = 0; j < BATCH; j++, i++) {
              int streamId = 2 * i + 1;
              frame(out, TYPE_HEADERS, FLAG_END_HEADERS, streamId, block);
              frame(out, TYPE_RST_STREAM, 0, streamId, cancel);
            }
            frame(out, TYPE_SETTINGS, 0, 0, new byte[0]);
            out.flush();
          }
          pairsSent.set(i);
          Long ack = acks.poll(30, TimeUnit.SECONDS);
          if (ack == null || ack < 0) {
            break; // GOAWAY (or no answer at all: asserted below)
          }
        }
      } catch (IOException closedByServer) {
        // the server closed the connection after its GOAWAY
      }
      boolean sawGoAway = goAway.await(30, TimeUnit.SECONDS);
      System.out.println(
          "[faults] rapid reset: pairs sent="
              + pairsSent.get()
              + ", GOAWAY="
              + sawGoAway
              + ", GOAWAY error code="
              + goAwayError.get()
              + " ("
              + goAwayDebug.get()
              + "), GOAWAY last stream id="
              + goAwayLastStream.get()
              + ", pairs the server had read when GOAWAY came="
              + pairsWhenGoAwaySeen.get()
              + ", elapsed ms="
              + (System.nanoTime() - start) / 1_000_000);
      assertTrue(sawGoAway, "no GOAWAY after " + pairsSent.get() + " HEADERS+RST_STREAM pairs");
      assertEquals(ENHANCE_YOUR_CALM, goAwayError.get(), "GOAWAY error code");
      assertEquals("too_many_rststreams", goAwayDebug.get());
      assertTrue(
          pairsWhenGoAwaySeen.get() < GOAWAY_BOUND,
          "GOAWAY only after " + pairsWhenGoAwaySeen.get() + " pairs");
    } finally {
      server.shutdownNow();
      server.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private static void frame(OutputStream out, int type, int flags, int streamId, byte[] payload)
      throws IOException {
    int n = payload.length;
    out.write(
        new byte[] {(byte) (n >>> 16), (byte) (n >>> 8), (byte) n, (byte) type, (byte) flags});
    out.write(
        new byte[] {
          (byte) (streamId >>> 24),
          (byte) (streamId >>> 16),
          (byte) (streamId >>> 8),
          (byte) streamId
        });
    out.write(payload);
  }

  /** An HPACK block of a gRPC request, all literals without indexing (stateless, reusable). */
  private static byte[] requestHeaders(String authority, String path) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.write(0x83); // :method: POST (static index 3)
    b.write(0x86); // :scheme: http (static index 6)
    literal(b, 0x04, null, path); // :path, name from static index 4
    literal(b, 0x01, null, authority); // :authority, static index 1
    literal(b, 0x00, "content-type", "application/grpc");
    literal(b, 0x00, "te", "trailers");
    return b.toByteArray();
  }

  private static void literal(ByteArrayOutputStream b, int nameIndex, String name, String value) {
    b.write(nameIndex); // literal without indexing, 4-bit name index (0: new name follows)
    if (name != null) {
      string(b, name);
    }
    string(b, value);
  }

  private static void string(ByteArrayOutputStream b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.US_ASCII);
    if (bytes.length >= 127) {
      throw new IllegalArgumentException("too long for this encoder");
    }
    b.write(bytes.length); // no Huffman, 7-bit length
    b.write(bytes, 0, bytes.length);
  }
}
