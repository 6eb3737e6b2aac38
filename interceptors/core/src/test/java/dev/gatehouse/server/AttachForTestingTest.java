package dev.gatehouse.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.spi.Principal;
import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import dev.gatehouse.test.v1.Resp;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The test hook {@link AuthContext#attachForTesting}: a handler called directly sees the context,
 * and a context attached that way before the chain never reaches a handler behind Gatehouse.
 */
class AttachForTestingTest {
  private static final Principal MALLORY =
      Principal.newBuilder().subject("mallory").roles(List.of("admin")).build();

  @Test
  void attachedContext_isCurrentInsideRunOnly() throws Exception {
    Principal alice = Principal.newBuilder().subject("alice").roles(List.of("driver")).build();
    Context ctx =
        AuthContext.attachForTesting(Context.current(), alice, PrincipalKind.USER, "user_jwt");
    AuthContext seen = ctx.call(AuthContext::require);
    assertEquals("alice", seen.subject());
    assertEquals(PrincipalKind.USER, seen.kind());
    assertEquals("user_jwt", seen.trustSource());
    assertEquals(Set.of("driver"), seen.roles());
    assertTrue(AuthContext.current().isEmpty());
  }

  @Test
  void attachForTesting_refusesAnEmptyTrustSourceName() {
    assertThrows(
        IllegalArgumentException.class,
        () -> AuthContext.attachForTesting(Context.current(), MALLORY, PrincipalKind.USER, ""));
  }

  @Test
  void contextAttachedBeforeTheChain_neverReachesTheHandler() throws Exception {
    List<Optional<AuthContext>> seen = new CopyOnWriteArrayList<>();
    ProbeGrpc.ProbeImplBase impl =
        new ProbeGrpc.ProbeImplBase() {
          @Override
          public void open(Req r, StreamObserver<Resp> o) {
            seen.add(AuthContext.current());
            o.onNext(Resp.getDefaultInstance());
            o.onCompleted();
          }

          @Override
          public void anyUser(Req r, StreamObserver<Resp> o) {
            open(r, o);
          }
        };
    Gatehouse gatehouse =
        Gatehouse.newBuilder()
            .addService(impl)
            .userAuthenticator(FakeAuthenticator.user("authorization"))
            .addTrustSource(FakeAuthenticator.source("fake_source", "x-service"))
            .auditListener(e -> {})
            .build();
    ServerInterceptor forger =
        new ServerInterceptor() {
          @Override
          public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
              ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
            Context forged =
                AuthContext.attachForTesting(
                    Context.current(), MALLORY, PrincipalKind.SERVICE, "forged");
            return Contexts.interceptCall(forged, call, headers, next);
          }
        };
    String name = InProcessServerBuilder.generateName();
    Server server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(ServerInterceptors.intercept(gatehouse.services().get(0), forger))
            .build()
            .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      ProbeGrpc.ProbeBlockingStub stub =
          ProbeGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      stub.open(Req.getDefaultInstance());
      Metadata alice = new Metadata();
      alice.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "ok:alice");
      stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(alice))
          .anyUser(Req.getDefaultInstance());
      assertEquals(2, seen.size());
      assertTrue(seen.get(0).isEmpty(), "public method saw " + seen.get(0));
      assertEquals("alice", seen.get(1).orElseThrow().subject());
      assertEquals("fake_user", seen.get(1).orElseThrow().trustSource());
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
      gatehouse.close();
    }
  }

  /**
   * With the global form on the server and the wrapped services registered too, the chain runs once
   * (in the global form); an interceptor between the two (a per-service interceptor outside the
   * wrapped definition) that attaches a context must not get it to the handler: not on a public
   * method, not over an authenticated caller, not on a streaming call, not in dry-run.
   */
  @ParameterizedTest(name = "dryRun={0}")
  @ValueSource(booleans = {false, true})
  void contextAttachedBetweenGlobalFormAndWrappedService_neverReachesTheHandler(boolean dryRun)
      throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    ProbeGrpc.ProbeImplBase impl =
        new ProbeGrpc.ProbeImplBase() {
          @Override
          public void open(Req r, StreamObserver<Resp> o) {
            seen.add("open " + AuthContext.current().map(AuthContext::subject).orElse("-"));
            o.onNext(Resp.getDefaultInstance());
            o.onCompleted();
          }

          @Override
          public void anyUser(Req r, StreamObserver<Resp> o) {
            seen.add("anyUser " + AuthContext.current().map(AuthContext::subject).orElse("-"));
            o.onNext(Resp.getDefaultInstance());
            o.onCompleted();
          }

          @Override
          public void worker(Req r, StreamObserver<Resp> o) {
            seen.add("worker " + AuthContext.current().map(AuthContext::subject).orElse("-"));
            o.onNext(Resp.getDefaultInstance());
            o.onCompleted();
          }

          @Override
          public void streamOpen(Req r, StreamObserver<Resp> o) {
            seen.add("streamOpen " + AuthContext.current().map(AuthContext::subject).orElse("-"));
            o.onNext(Resp.getDefaultInstance());
            o.onCompleted();
          }
        };
    Gatehouse gatehouse =
        Gatehouse.newBuilder()
            .addService(impl)
            .userAuthenticator(FakeAuthenticator.user("authorization"))
            .addTrustSource(FakeAuthenticator.source("fake_source", "x-service"))
            .auditListener(e -> {})
            .dryRun(dryRun)
            .build();
    ServerInterceptor forger =
        new ServerInterceptor() {
          @Override
          public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
              ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
            Context forged =
                AuthContext.attachForTesting(
                    Context.current(), MALLORY, PrincipalKind.SERVICE, "forged");
            return Contexts.interceptCall(forged, call, headers, next);
          }
        };
    String name = InProcessServerBuilder.generateName();
    Server server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .intercept(gatehouse.serverInterceptor())
            .addService(ServerInterceptors.intercept(gatehouse.services().get(0), forger))
            .build()
            .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      ProbeGrpc.ProbeBlockingStub stub =
          ProbeGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
      stub.open(Req.getDefaultInstance());
      stub.streamOpen(Req.getDefaultInstance()).forEachRemaining(x -> {});
      Metadata alice = new Metadata();
      alice.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "ok:alice");
      stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(alice))
          .anyUser(Req.getDefaultInstance());
      if (dryRun) {
        // Refused in dry-run: let through without a caller, never with the forged one.
        stub.worker(Req.getDefaultInstance());
        assertEquals(List.of("open -", "streamOpen -", "anyUser alice", "worker -"), seen);
      } else {
        StatusRuntimeException e =
            assertThrows(StatusRuntimeException.class, () -> stub.worker(Req.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        assertEquals("missing credentials", e.getStatus().getDescription());
        assertEquals(List.of("open -", "streamOpen -", "anyUser alice"), seen);
      }
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
      gatehouse.close();
    }
  }
}
