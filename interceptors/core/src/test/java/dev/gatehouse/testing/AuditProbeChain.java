package dev.gatehouse.testing;

import dev.gatehouse.server.AuditListener;
import dev.gatehouse.server.Gatehouse;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.spi.TrustSource;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real in-process server (shared by the metrics and tracing listener tests) with the Gatehouse
 * chain in its global form in front of the {@code Probe} test service and of one service the chain
 * does not know ({@code Unlisted}). Test authenticators read {@value #USER_HEADER} (the user
 * authenticator {@code test_user}) and {@value #SERVICE_HEADER} (the trust source {@code
 * test_service}): {@code ok:SUBJECT[:role,role]} authenticates, {@code bad} is refused as a bad
 * signature, {@code down} is unavailable, {@code boom} throws.
 */
public final class AuditProbeChain implements AutoCloseable {
  public static final String USER_HEADER = "x-test-user";
  public static final String SERVICE_HEADER = "x-test-service";
  public static final String UNLISTED = "gatehouse.test.v1.Unlisted/Call";

  private static final MethodDescriptor<Req, Resp> UNLISTED_METHOD =
      MethodDescriptor.<Req, Resp>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(UNLISTED)
          .setRequestMarshaller(ProtoUtils.marshaller(Req.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(Resp.getDefaultInstance()))
          .build();

  private final Server server;
  private final ManagedChannel channel;
  private final AtomicInteger handlerRuns = new AtomicInteger();

  /**
   * Starts the server.
   *
   * @param outer an interceptor run before the chain (e.g. one opening a server span), or null
   */
  public AuditProbeChain(boolean dryRun, AuditListener listener, ServerInterceptor outer)
      throws Exception {
    Gatehouse gatehouse =
        Gatehouse.newBuilder()
            .addService(probe())
            .userAuthenticator(new Fake("test_user", USER_HEADER))
            .addTrustSource(new FakeSource("test_service", SERVICE_HEADER))
            .auditListener(listener)
            .dryRun(dryRun)
            .build();
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder sb =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(probe())
            .addService(unlisted())
            .intercept(gatehouse.serverInterceptor());
    if (outer != null) {
      sb.intercept(outer); // the last one added runs first
    }
    server = sb.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  /**
   * Calls {@code method} (a Probe method name, or {@link #UNLISTED}) with the given header values
   * (null: absent) and returns the status the client saw.
   */
  public Status.Code call(String method, String user, String service) {
    Metadata md = new Metadata();
    if (user != null) {
      md.put(Metadata.Key.of(USER_HEADER, Metadata.ASCII_STRING_MARSHALLER), user);
    }
    if (service != null) {
      md.put(Metadata.Key.of(SERVICE_HEADER, Metadata.ASCII_STRING_MARSHALLER), service);
    }
    ProbeGrpc.ProbeBlockingStub stub =
        ProbeGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
            .withDeadlineAfter(10, TimeUnit.SECONDS);
    Req req = Req.getDefaultInstance();
    try {
      switch (method) {
        case "Open" -> stub.open(req);
        case "AnyUser" -> stub.anyUser(req);
        case "Worker" -> stub.worker(req);
        case "Driver" -> stub.driver(req);
        case "Denied" -> stub.denied(req);
        case UNLISTED ->
            ClientCalls.blockingUnaryCall(
                channel.newCall(
                    UNLISTED_METHOD, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS)),
                req);
        default -> throw new IllegalArgumentException(method);
      }
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  /** How many handlers ran. */
  public int handlerRuns() {
    return handlerRuns.get();
  }

  private ProbeGrpc.ProbeImplBase probe() {
    return new ProbeGrpc.ProbeImplBase() {
      @Override
      public void open(Req r, StreamObserver<Resp> o) {
        answer(o);
      }

      @Override
      public void anyUser(Req r, StreamObserver<Resp> o) {
        answer(o);
      }

      @Override
      public void worker(Req r, StreamObserver<Resp> o) {
        answer(o);
      }

      @Override
      public void driver(Req r, StreamObserver<Resp> o) {
        answer(o);
      }

      @Override
      public void denied(Req r, StreamObserver<Resp> o) {
        answer(o);
      }
    };
  }

  private ServerServiceDefinition unlisted() {
    return ServerServiceDefinition.builder("gatehouse.test.v1.Unlisted")
        .addMethod(UNLISTED_METHOD, ServerCalls.asyncUnaryCall((r, o) -> answer(o)))
        .build();
  }

  private void answer(StreamObserver<Resp> o) {
    handlerRuns.incrementAndGet();
    o.onNext(Resp.getDefaultInstance());
    o.onCompleted();
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

  /** A header-driven test authenticator. */
  static class Fake implements Authenticator {
    private final String name;
    private final String header;

    Fake(String name, String header) {
      this.name = name;
      this.header = header;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public Set<String> credentialHeaders() {
      return Set.of(header);
    }

    @Override
    public AuthResult authenticate(IncomingCall request) {
      String v = request.header(header).orElse(null);
      if (v == null) {
        return AuthResult.noCredential();
      }
      switch (v) {
        case "bad" -> {
          return AuthResult.rejected(Reason.BAD_SIGNATURE, "test rejection");
        }
        case "down" -> {
          return AuthResult.unavailable("test outage");
        }
        case "boom" -> throw new IllegalStateException("test failure");
        default -> {}
      }
      String[] parts = v.split(":", 3);
      Principal.Builder b = Principal.newBuilder().subject(parts[1]);
      if (parts.length > 2) {
        b.roles(List.of(parts[2].split(",")));
      }
      return AuthResult.authenticated(b.build());
    }
  }

  /** The trust-source flavour. */
  static final class FakeSource extends Fake implements TrustSource {
    FakeSource(String name, String header) {
      super(name, header);
    }
  }
}
