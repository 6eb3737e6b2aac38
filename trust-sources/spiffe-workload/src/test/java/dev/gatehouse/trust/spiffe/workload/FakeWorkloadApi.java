package dev.gatehouse.trust.spiffe.workload;

import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.spiffe.workloadapi.grpc.SpiffeWorkloadAPIGrpc;
import io.spiffe.workloadapi.grpc.Workload;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A fake SPIFFE Workload API (the agent side) on a Unix domain socket, serving java-spiffe-core's
 * Workload API service: streams the X.509 context and JWT bundles it is told to, pushes updates to
 * open streams, answers JWT-SVID requests, and can be stopped and started again on the same socket
 * (an agent restart). Requires the {@code workload.spiffe.io: true} header like SPIRE.
 */
@SuppressWarnings("deprecation") // EpollEventLoopGroup: the simplest domain-socket server setup
final class FakeWorkloadApi implements AutoCloseable {
  private final Path socket;
  private final Object pushes = new Object(); // one onNext at a time per stream
  private final EventLoopGroup group = new EpollEventLoopGroup(1);
  private final List<StreamObserver<Workload.X509SVIDResponse>> x509Streams =
      new CopyOnWriteArrayList<>();
  private final List<StreamObserver<Workload.JWTBundlesResponse>> jwtStreams =
      new CopyOnWriteArrayList<>();
  final AtomicInteger x509Subscriptions = new AtomicInteger();
  final AtomicInteger missingHeader = new AtomicInteger();
  private volatile Workload.X509SVIDResponse x509;
  private volatile Workload.JWTBundlesResponse jwt;
  private volatile Function<String, String> jwtSvids = audience -> null;
  private Server server;

  FakeWorkloadApi(Path socket) {
    this.socket = socket;
  }

  void x509(Workload.X509SVIDResponse response) {
    synchronized (pushes) {
      this.x509 = response;
      for (StreamObserver<Workload.X509SVIDResponse> s : x509Streams) {
        s.onNext(response);
      }
    }
  }

  void jwt(Workload.JWTBundlesResponse response) {
    synchronized (pushes) {
      this.jwt = response;
      for (StreamObserver<Workload.JWTBundlesResponse> s : jwtStreams) {
        s.onNext(response);
      }
    }
  }

  void jwtSvids(Function<String, String> byAudience) {
    this.jwtSvids = byAudience;
  }

  synchronized void start() throws IOException {
    Files.deleteIfExists(socket);
    Metadata.Key<String> header =
        Metadata.Key.of("workload.spiffe.io", Metadata.ASCII_STRING_MARSHALLER);
    ServerInterceptor requireHeader =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            if (!"true".equals(headers.get(header))) {
              missingHeader.incrementAndGet();
              call.close(
                  Status.INVALID_ARGUMENT.withDescription("security header missing"),
                  new Metadata());
              return new ServerCall.Listener<>() {};
            }
            return next.startCall(call, headers);
          }
        };
    server =
        NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
            .channelType(EpollServerDomainSocketChannel.class)
            .bossEventLoopGroup(group)
            .workerEventLoopGroup(group)
            .addService(ServerInterceptors.intercept(new Service(), requireHeader))
            .build()
            .start();
  }

  /** Stops the agent: every open stream fails, the socket goes away. */
  synchronized void stop() throws InterruptedException {
    x509Streams.clear();
    jwtStreams.clear();
    server.shutdownNow();
    server.awaitTermination(10, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    try {
      stop();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private final class Service extends SpiffeWorkloadAPIGrpc.SpiffeWorkloadAPIImplBase {
    @Override
    public void fetchX509SVID(
        Workload.X509SVIDRequest request, StreamObserver<Workload.X509SVIDResponse> out) {
      x509Subscriptions.incrementAndGet();
      ((ServerCallStreamObserver<Workload.X509SVIDResponse>) out)
          .setOnCancelHandler(() -> x509Streams.remove(out));
      synchronized (pushes) {
        x509Streams.add(out);
        Workload.X509SVIDResponse now = x509;
        if (now != null) {
          out.onNext(now);
        }
      }
    }

    @Override
    public void fetchJWTBundles(
        Workload.JWTBundlesRequest request, StreamObserver<Workload.JWTBundlesResponse> out) {
      ((ServerCallStreamObserver<Workload.JWTBundlesResponse>) out)
          .setOnCancelHandler(() -> jwtStreams.remove(out));
      synchronized (pushes) {
        jwtStreams.add(out);
        Workload.JWTBundlesResponse now = jwt;
        if (now != null) {
          out.onNext(now);
        }
      }
    }

    @Override
    public void fetchJWTSVID(
        Workload.JWTSVIDRequest request, StreamObserver<Workload.JWTSVIDResponse> out) {
      String token = jwtSvids.apply(request.getAudience(0));
      if (token == null) {
        out.onError(Status.PERMISSION_DENIED.withDescription("no identity issued").asException());
        return;
      }
      out.onNext(
          Workload.JWTSVIDResponse.newBuilder()
              .addSvids(
                  Workload.JWTSVID
                      .newBuilder()
                      .setSpiffeId("spiffe://example.org/worker")
                      .setSvid(token))
              .build());
      out.onCompleted();
    }
  }
}
