package dev.gatehouse.testing;

import dev.gatehouse.server.AuthContext;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerTransportFilter;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.SocketAddress;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * In-process test server for the {@code Probe} test service: records whether each handler ran,
 * which {@link AuthContext} it saw, and lets the test set the peer address the chain sees.
 */
public final class ProbeHarness implements AutoCloseable {
  /** What one handler invocation saw. */
  public record Seen(String method, Optional<AuthContext> context, Metadata headers) {}

  private final Server server;
  private final ManagedChannel channel;
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final AtomicInteger handlerRuns = new AtomicInteger();

  private ProbeHarness(
      Function<ProbeHarness, Gatehouse> gatehouse, SocketAddress peer, Executor executor)
      throws Exception {
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder sb = InProcessServerBuilder.forName(name);
    if (executor == null) {
      sb.directExecutor();
    } else {
      sb.executor(executor);
    }
    if (peer != null) {
      sb.addTransportFilter(
          new ServerTransportFilter() {
            @Override
            public Attributes transportReady(Attributes attrs) {
              return attrs.toBuilder().set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, peer).build();
            }
          });
    }
    gatehouse.apply(this).addTo(sb);
    server = sb.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  /** Starts a harness whose chain is built by {@code gatehouse} from {@link #service()}. */
  public static ProbeHarness start(Function<ProbeHarness, Gatehouse> gatehouse) throws Exception {
    return new ProbeHarness(gatehouse, null, null);
  }

  /**
   * Same, with the server running handlers on {@code executor} (for concurrency tests) instead of
   * the calling thread.
   */
  public static ProbeHarness start(Function<ProbeHarness, Gatehouse> gatehouse, Executor executor)
      throws Exception {
    return new ProbeHarness(gatehouse, null, executor);
  }

  /** Same, with the chain seeing {@code peer} as the remote address. */
  public static ProbeHarness start(Function<ProbeHarness, Gatehouse> gatehouse, SocketAddress peer)
      throws Exception {
    return new ProbeHarness(gatehouse, peer, null);
  }

  private static final io.grpc.Context.Key<Metadata> HEADERS = io.grpc.Context.key("test-headers");

  /**
   * The recording service to protect. An inner interceptor records the headers the application sees
   * (after the chain removed what it removes).
   */
  public io.grpc.ServerServiceDefinition service() {
    io.grpc.ServerInterceptor capture =
        new io.grpc.ServerInterceptor() {
          @Override
          public <ReqT, RespT> io.grpc.ServerCall.Listener<ReqT> interceptCall(
              io.grpc.ServerCall<ReqT, RespT> call,
              Metadata headers,
              io.grpc.ServerCallHandler<ReqT, RespT> next) {
            return io.grpc.Contexts.interceptCall(
                io.grpc.Context.current().withValue(HEADERS, headers), call, headers, next);
          }
        };
    return io.grpc.ServerInterceptors.intercept(impl(), capture);
  }

  private ProbeGrpc.ProbeImplBase impl() {
    return new ProbeGrpc.ProbeImplBase() {
      private void unary(String m, StreamObserver<Resp> out) {
        record(m);
        out.onNext(Resp.newBuilder().setText(m).build());
        out.onCompleted();
      }

      @Override
      public void open(Req r, StreamObserver<Resp> o) {
        unary("Open", o);
      }

      @Override
      public void worker(Req r, StreamObserver<Resp> o) {
        unary("Worker", o);
      }

      @Override
      public void workerFinisher(Req r, StreamObserver<Resp> o) {
        unary("WorkerFinisher", o);
      }

      @Override
      public void anyUser(Req r, StreamObserver<Resp> o) {
        unary("AnyUser", o);
      }

      @Override
      public void driver(Req r, StreamObserver<Resp> o) {
        unary("Driver", o);
      }

      @Override
      public void denied(Req r, StreamObserver<Resp> o) {
        unary("Denied", o);
      }

      @Override
      public void streamAnyUser(Req r, StreamObserver<Resp> o) {
        stream("StreamAnyUser", o);
      }

      private void stream(String m, StreamObserver<Resp> o) {
        record(m);
        String subject = AuthContext.current().map(AuthContext::subject).orElse("none");
        for (int i = 0; i < 3; i++) {
          o.onNext(Resp.newBuilder().setText(subject).build());
        }
        o.onCompleted();
      }

      @Override
      public void streamOpen(Req r, StreamObserver<Resp> o) {
        stream("StreamOpen", o);
      }

      @Override
      public void streamWorkerFinisher(Req r, StreamObserver<Resp> o) {
        stream("StreamWorkerFinisher", o);
      }

      @Override
      public void streamDriver(Req r, StreamObserver<Resp> o) {
        stream("StreamDriver", o);
      }

      @Override
      public void streamDenied(Req r, StreamObserver<Resp> o) {
        stream("StreamDenied", o);
      }

      @Override
      public void streamWorker(Req r, StreamObserver<Resp> o) {
        stream("StreamWorker", o);
      }
    };
  }

  private void record(String method) {
    handlerRuns.incrementAndGet();
    seen.add(new Seen(method, AuthContext.current(), HEADERS.get()));
  }

  /** A blocking stub that sends {@code headers}. */
  public ProbeGrpc.ProbeBlockingStub stub(Metadata headers) {
    return ProbeGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** A blocking stub with no extra headers. */
  public ProbeGrpc.ProbeBlockingStub stub() {
    return stub(new Metadata());
  }

  /** The channel. */
  public ManagedChannel channel() {
    return channel;
  }

  /** How many handler invocations ran. */
  public int handlerRuns() {
    return handlerRuns.get();
  }

  /** What handlers saw, in order. */
  public List<Seen> seen() {
    return seen;
  }

  /** Drains a server stream into its texts. */
  public static List<String> drain(Iterator<Resp> it) {
    List<String> out = new java.util.ArrayList<>();
    it.forEachRemaining(r -> out.add(r.getText()));
    return out;
  }

  /** Calls and returns the thrown status exception (fails if the call succeeds). */
  public static StatusRuntimeException expectFailure(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e;
    }
    throw new AssertionError("call succeeded but was expected to fail");
  }

  /** A header set with one ASCII header. */
  public static Metadata headers(String name, String... values) {
    Metadata md = new Metadata();
    Metadata.Key<String> key = Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER);
    for (String v : values) {
      md.put(key, v);
    }
    return md;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
