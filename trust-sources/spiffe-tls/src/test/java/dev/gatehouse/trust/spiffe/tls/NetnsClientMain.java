package dev.gatehouse.trust.spiffe.tls;

import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.JWT_CALLER;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.MESH_CALLER;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.PEER;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.SERVER_ID;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.SOURCE;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.SUBJECT;
import static dev.gatehouse.trust.spiffe.tls.NetnsServerMain.WORKER;

import dev.gatehouse.test.v1.ProbeGrpc;
import dev.gatehouse.test.v1.Req;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The client of {@link NetworkNamespaceHopTest}, run in the other network namespace. Checks, over
 * the veth hop: mTLS identity (peer_certificate), a pinned server SPIFFE ID that does not match
 * (refused at handshake), a JWT-SVID without mTLS (spiffe_jwt), an XFCC header from the trusted
 * proxy address (mesh_identity), and no credentials (refused). Exits 0 printing {@code OK}, or 1
 * with the first mismatch.
 *
 * <p>Arguments: work dir, server address, own address.
 */
public final class NetnsClientMain {
  private NetnsClientMain() {}

  public static void main(String[] args) throws Exception {
    try {
      run(Path.of(args[0]), args[1], args[2]);
      System.out.println("[netns-client] OK");
      System.exit(0);
    } catch (Exception | AssertionError e) {
      System.err.println("[netns-client] MISMATCH: " + e);
      System.exit(1);
    }
  }

  private static void run(Path dir, String server, String self) throws Exception {
    SvidFiles svid = SvidFiles.spiffeHelper(dir.resolve("client")).build();
    String jwt = Files.readString(dir.resolve("jwt-svid.token"), StandardCharsets.US_ASCII).trim();

    seen(
        NetnsServerMain.MTLS_PORT,
        server,
        SpiffeTls.client(svid).expectServer(SERVER_ID).build(),
        new Metadata(),
        WORKER,
        "peer_certificate",
        self);

    StatusRuntimeException pinned =
        expectFailure(
            server,
            NetnsServerMain.MTLS_PORT,
            SpiffeTls.client(svid).expectServer("spiffe://example.org/ns/trips/sa/billing").build(),
            new Metadata());
    check(pinned.getStatus().getCode() == Status.Code.UNAVAILABLE, "pinned other ID: " + pinned);

    Metadata bearer = new Metadata();
    bearer.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + jwt);
    seen(
        NetnsServerMain.PLAIN_PORT,
        server,
        InsecureChannelCredentials.create(),
        bearer,
        JWT_CALLER,
        "spiffe_jwt",
        self);

    Metadata xfcc = new Metadata();
    xfcc.put(
        Metadata.Key.of("x-forwarded-client-cert", Metadata.ASCII_STRING_MARSHALLER),
        "By=" + SERVER_ID + ";URI=" + MESH_CALLER);
    seen(
        NetnsServerMain.PLAIN_PORT,
        server,
        InsecureChannelCredentials.create(),
        xfcc,
        MESH_CALLER,
        "mesh_identity",
        self);

    StatusRuntimeException none =
        expectFailure(
            server,
            NetnsServerMain.PLAIN_PORT,
            InsecureChannelCredentials.create(),
            new Metadata());
    check(none.getStatus().getCode() == Status.Code.UNAUTHENTICATED, "no credentials: " + none);
    svid.close();
  }

  private static void seen(
      int port,
      String server,
      ChannelCredentials creds,
      Metadata headers,
      String subject,
      String source,
      String self)
      throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress(server, port, creds).build();
    try {
      AtomicReference<Metadata> response = new AtomicReference<>();
      AtomicReference<Metadata> trailers = new AtomicReference<>();
      ProbeGrpc.newBlockingStub(channel)
          .withInterceptors(
              MetadataUtils.newAttachHeadersInterceptor(headers),
              MetadataUtils.newCaptureMetadataInterceptor(response, trailers))
          .withDeadlineAfter(20, TimeUnit.SECONDS)
          .worker(Req.getDefaultInstance());
      Metadata seen = response.get();
      check(subject.equals(seen.get(SUBJECT)), source + " subject: " + seen.get(SUBJECT));
      check(source.equals(seen.get(SOURCE)), source + " source: " + seen.get(SOURCE));
      String peer = String.valueOf(seen.get(PEER));
      check(peer.startsWith("/" + self + ":"), source + " peer address: " + peer);
      System.out.println("[netns-client] " + source + ": " + subject + " from " + peer);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static StatusRuntimeException expectFailure(
      String server, int port, ChannelCredentials creds, Metadata headers) throws Exception {
    ManagedChannel channel = NettyChannelBuilder.forAddress(server, port, creds).build();
    try {
      ProbeGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
          .withDeadlineAfter(20, TimeUnit.SECONDS)
          .worker(Req.getDefaultInstance());
      throw new AssertionError("call on port " + port + " succeeded where it must fail");
    } catch (StatusRuntimeException e) {
      return e;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError(what);
    }
  }
}
