package dev.gatehouse.client;

import static java.util.Objects.requireNonNull;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.CompositeCallCredentials;
import io.grpc.MethodDescriptor;

/**
 * Adds a service token to every call on a channel, <b>next to</b> any credentials the call already
 * carries.
 *
 * <pre>{@code
 * Channel channel = ClientInterceptors.intercept(managedChannel,
 *     ServiceTokenClientInterceptor.create(credentials));
 * }</pre>
 *
 * <p>grpc's {@code CallOptions.withCallCredentials} (and {@code stub.withCallCredentials})
 * <em>replaces</em> the credentials on a call. This interceptor composes instead: a call that
 * already has credentials gets both (ours first, then theirs, as {@link CompositeCallCredentials});
 * either failing fails the call. Two credentials writing the same header send it twice, which a
 * Gatehouse server refuses as duplicate credentials: never silently "first wins".
 *
 * <p>A call to a service without an audience mapping fails here with {@link
 * ClientStatus#noAudience(String)} ({@code FAILED_PRECONDITION}) before it reaches the transport.
 *
 * <p>Credentials set on a stub are in the {@code CallOptions} this interceptor sees only when the
 * stub is built over the intercepted channel, which is the usual way.
 */
public final class ServiceTokenClientInterceptor implements ClientInterceptor {
  private final ServiceTokenCallCredentials credentials;

  private ServiceTokenClientInterceptor(ServiceTokenCallCredentials credentials) {
    this.credentials = credentials;
  }

  /** An interceptor attaching tokens from {@code credentials}. */
  public static ServiceTokenClientInterceptor create(ServiceTokenCallCredentials credentials) {
    return new ServiceTokenClientInterceptor(requireNonNull(credentials, "credentials"));
  }

  /**
   * Fails a call to an unmapped service at once; otherwise passes it on with our credentials
   * composed with the call's own (or ours alone when it has none, or already has ours).
   */
  @Override
  public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions callOptions, Channel next) {
    String service = method.getServiceName();
    if (credentials.audienceFor(service).isEmpty()) {
      // Checked here too: a failure from CallCredentials with this code would reach the
      // application as INTERNAL (grpc restricts control-plane codes from credentials).
      return new FailingClientCall<>(ClientStatus.noAudience(service), callOptions.getExecutor());
    }
    CallCredentials existing = callOptions.getCredentials();
    CallCredentials combined;
    if (existing == null || existing == credentials) {
      combined = credentials;
    } else {
      combined = new CompositeCallCredentials(credentials, existing);
    }
    return next.newCall(method, callOptions.withCallCredentials(combined));
  }
}
