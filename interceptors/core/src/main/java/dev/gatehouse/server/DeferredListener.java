package dev.gatehouse.server;

import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The listener of a call whose decision runs off the transport thread (see {@link
 * DeferredDecisions}). Until the decision completes it buffers every listener event the transport
 * delivers, in order; then either the decision starts the next handler and the buffered events are
 * replayed into the handler's listener, in order, before it passes events straight through, or the
 * call is closed with the decision's status and every event is dropped (the handler never runs).
 *
 * <p>Threading. {@code ServerCall} and its listener may be used from any thread but never
 * concurrently. Until the switch to pass-through the transport thread only appends to the buffer
 * under the lock; the completing thread alone starts the handler and replays, and it switches to
 * pass-through under the lock only once the buffer is empty, so no event is ever delivered
 * concurrently with another or with the handler's start (the pattern of grpc-java's delayed calls).
 * The lock hand-off orders every write of the completing thread before any later event.
 *
 * <p>Flow control. Nothing here calls {@code ServerCall.request}: no message is read from the
 * transport before the handler's own {@code startCall} asks for it, so messages sent before the
 * decision stay in the transport and arrive in order after it. Before the handler starts only
 * events the transport sends unrequested ({@code onReady}, {@code onCancel}, a half-close of a
 * stream without messages) can arrive; messages the handler asks for while the replay still runs
 * queue behind it and are delivered, in order, by the same thread (so a deferred call's first
 * callbacks, a unary handler's body included, may run on a Gatehouse thread).
 *
 * <p>Cancellation. A cancellation (client cancel, deadline, disconnect) that arrives before the
 * handler starts means the handler never starts and the call is not closed again.
 */
final class DeferredListener<ReqT> extends ServerCall.Listener<ReqT> {
  private static final Logger logger = Logger.getLogger(DeferredListener.class.getName());

  private final ServerCall<ReqT, ?> call;
  private final Context context;
  private final Object lock = new Object();

  /** Buffered events; null once dropped (guarded by lock). */
  private List<Consumer<ServerCall.Listener<ReqT>>> pending = new ArrayList<>();

  private boolean cancelled; // guarded by lock
  private ServerCall.Listener<ReqT> delegate; // written before passThrough is set
  private volatile boolean passThrough;

  DeferredListener(ServerCall<ReqT, ?> call, Context context) {
    this.call = call;
    this.context = context;
  }

  @Override
  public void onMessage(ReqT message) {
    event(l -> l.onMessage(message));
  }

  @Override
  public void onHalfClose() {
    event(ServerCall.Listener::onHalfClose);
  }

  @Override
  public void onCancel() {
    if (!passThrough) {
      synchronized (lock) {
        cancelled = true;
      }
    }
    event(ServerCall.Listener::onCancel);
  }

  @Override
  public void onComplete() {
    event(ServerCall.Listener::onComplete);
  }

  @Override
  public void onReady() {
    event(ServerCall.Listener::onReady);
  }

  private void event(Consumer<ServerCall.Listener<ReqT>> e) {
    if (!passThrough) {
      synchronized (lock) {
        if (!passThrough) {
          if (pending != null) {
            pending.add(e);
          }
          return;
        }
      }
    }
    e.accept(delegate);
  }

  /** Whether the call was cancelled before its handler started (it then never starts). */
  boolean cancelled() {
    synchronized (lock) {
      return cancelled || context.isCancelled();
    }
  }

  /**
   * Completes a call that may go on: unless it was cancelled meanwhile, starts the handler with
   * {@code start} and replays the buffered events into its listener.
   */
  void proceed(Supplier<ServerCall.Listener<ReqT>> start) {
    if (cancelled()) {
      abandon();
      return;
    }
    ServerCall.Listener<ReqT> started;
    try {
      started = start.get();
    } catch (RuntimeException | Error e) {
      // What grpc-java does when a handler's startCall throws: the call ends.
      drop();
      closeQuietly(Status.fromThrowable(e));
      if (e instanceof VirtualMachineError vme) {
        throw vme;
      }
      logger.log(Level.WARNING, "gatehouse: handler threw starting a deferred call", e);
      return;
    }
    synchronized (lock) {
      delegate = started;
    }
    while (true) {
      List<Consumer<ServerCall.Listener<ReqT>>> batch;
      synchronized (lock) {
        if (pending == null) {
          return;
        }
        if (pending.isEmpty()) {
          pending = null;
          passThrough = true;
          return;
        }
        batch = pending;
        pending = new ArrayList<>();
      }
      for (Consumer<ServerCall.Listener<ReqT>> e : batch) {
        try {
          e.accept(started);
        } catch (RuntimeException | Error t) {
          // As grpc-java does for a listener that throws: the call ends, later events are dropped.
          drop();
          closeQuietly(Status.UNKNOWN.withDescription("Application error processing RPC"));
          if (t instanceof VirtualMachineError vme) {
            throw vme;
          }
          logger.log(Level.WARNING, "gatehouse: handler listener threw on a deferred call", t);
          return;
        }
      }
    }
  }

  /** Completes a denied call: drops every event and, unless cancelled, closes it with status. */
  void deny(Status status) {
    if (cancelled()) {
      abandon();
      return;
    }
    drop();
    call.close(status, new Metadata());
  }

  /** Drops a call cancelled before its decision completed: no handler, no close. */
  void abandon() {
    drop();
    logger.fine(ABANDONED);
  }

  /** The FINE line logged when a held call is dropped because it was cancelled. */
  static final String ABANDONED =
      "gatehouse: call cancelled before its deferred decision completed; handler not started";

  /** Drops every buffered and later event (the handler never starts; the call is not closed). */
  void drop() {
    synchronized (lock) {
      pending = null;
    }
  }

  private void closeQuietly(Status status) {
    try {
      call.close(status, new Metadata());
    } catch (RuntimeException e) {
      // already closed
    }
  }
}
