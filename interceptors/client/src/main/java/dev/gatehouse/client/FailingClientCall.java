package dev.gatehouse.client;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import java.util.concurrent.Executor;

/** A call that never reaches the transport: it closes with a fixed status when started. */
final class FailingClientCall<ReqT, RespT> extends ClientCall<ReqT, RespT> {
  private final Status status;
  private final Executor executor;

  FailingClientCall(Status status, Executor executor) {
    this.status = status;
    this.executor = executor;
  }

  @Override
  public void start(Listener<RespT> listener, Metadata headers) {
    Runnable close = () -> listener.onClose(status, new Metadata());
    if (executor != null) {
      executor.execute(close);
    } else {
      close.run();
    }
  }

  @Override
  public void request(int numMessages) {}

  @Override
  public void cancel(String message, Throwable cause) {}

  @Override
  public void halfClose() {}

  @Override
  public void sendMessage(ReqT message) {}
}
