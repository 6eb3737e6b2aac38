package dev.gatehouse.faults;

import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real grpc-java server (Netty, 127.0.0.1, a free port) serving the {@code Probe} test service
 * behind a Gatehouse chain, and a plaintext channel to it. Handlers count their runs; the server
 * runs calls on its own cached thread pool (like grpc-java's default executor), whose largest size
 * the flood test reads as the server's thread growth.
 */
final class ProbeServer implements AutoCloseable {
  private final AtomicInteger handlerRuns = new AtomicInteger();
  private final AtomicInteger threadIds = new AtomicInteger();
  private final ThreadPoolExecutor executor =
      new ThreadPoolExecutor(
          0,
          Integer.MAX_VALUE,
          60,
          TimeUnit.SECONDS,
          new SynchronousQueue<>(),
          r -> {
            Thread t = new Thread(r, "probe-server-" + threadIds.incrementAndGet());
            t.setDaemon(true);
            return t;
          });
  private final Gatehouse gatehouse;
  private final Server server;
  private final ManagedChannel channel;
  private final ManagedChannel secondChannel;

  private final boolean ownsChain;

  private ProbeServer(Function<BindableService, Gatehouse> chain, boolean ownsChain)
      throws Exception {
    this.ownsChain = ownsChain;
    gatehouse = chain.apply(new Impl());
    NettyServerBuilder sb =
        NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
            .executor(executor);
    server = gatehouse.addTo(sb).build().start();
    gatehouse.verify(server);
    int port = ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    secondChannel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  /**
   * Starts a server whose chain {@code chain} builds around the given service; {@link #close()}
   * closes the chain.
   */
  static ProbeServer start(Function<BindableService, Gatehouse> chain) throws Exception {
    return new ProbeServer(chain, true);
  }

  /** Same, for a chain whose owner (a ConfiguredGatehouse) the test closes itself. */
  static ProbeServer startUnowned(Function<BindableService, Gatehouse> chain) throws Exception {
    return new ProbeServer(chain, false);
  }

  /** A blocking stub sending {@code headers}, with a generous deadline. */
  ProbeGrpc.ProbeBlockingStub stub(Metadata headers) {
    return ProbeGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  /**
   * A blocking stub like {@link #stub(Metadata)} on a second connection (a client other than the
   * one flooding the first).
   */
  ProbeGrpc.ProbeBlockingStub otherClientStub(Metadata headers) {
    return ProbeGrpc.newBlockingStub(secondChannel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  /** An async stub sending {@code headers}, with a generous deadline. */
  ProbeGrpc.ProbeStub asyncStub(Metadata headers) {
    return ProbeGrpc.newStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** How many handlers ran. */
  int handlerRuns() {
    return handlerRuns.get();
  }

  /** The most threads the server's call executor ever had at once. */
  int largestPoolSize() {
    return executor.getLargestPoolSize();
  }

  /** Threads the server's call executor has now. */
  int poolSize() {
    return executor.getPoolSize();
  }

  /** Whether the server is still serving. */
  boolean serving() {
    return !server.isShutdown() && !server.isTerminated();
  }

  /** A header set with one ASCII header. */
  static Metadata headers(String name, String value) {
    Metadata md = new Metadata();
    md.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
    return md;
  }

  /** {@code authorization: Bearer token}. */
  static Metadata bearer(String token) {
    return headers("authorization", "Bearer " + token);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    secondChannel.shutdownNow();
    server.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
      secondChannel.awaitTermination(5, TimeUnit.SECONDS);
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    executor.shutdownNow();
    if (ownsChain) {
      gatehouse.close();
    }
  }

  private final class Impl extends ProbeGrpc.ProbeImplBase {
    private void answer(String method, StreamObserver<Resp> out) {
      handlerRuns.incrementAndGet();
      out.onNext(Resp.newBuilder().setText(method).build());
      out.onCompleted();
    }

    @Override
    public void open(Req r, StreamObserver<Resp> o) {
      answer("Open", o);
    }

    @Override
    public void worker(Req r, StreamObserver<Resp> o) {
      answer("Worker", o);
    }

    @Override
    public void anyUser(Req r, StreamObserver<Resp> o) {
      answer("AnyUser", o);
    }

    @Override
    public void driver(Req r, StreamObserver<Resp> o) {
      answer("Driver", o);
    }
  }
}
