package dev.gatehouse.testkit;

import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A {@link StreamObserver} for handler unit tests: records what the handler sent. Not thread-safe;
 * for handlers that answer on the calling thread.
 *
 * <pre>{@code
 * RecordingObserver<Trip> out = new RecordingObserver<>();
 * TestCaller.user("bob").run(() -> service.startTrip(request, out));
 * Trip trip = out.single();
 * }</pre>
 */
public final class RecordingObserver<T> implements StreamObserver<T> {
  private final List<T> values = new ArrayList<>();
  private Throwable error;
  private boolean completed;

  /** An empty recorder. */
  public RecordingObserver() {}

  @Override
  public void onNext(T value) {
    if (completed || error != null) {
      throw new IllegalStateException("onNext after the call ended");
    }
    values.add(value);
  }

  @Override
  public void onError(Throwable t) {
    error = t;
  }

  @Override
  public void onCompleted() {
    completed = true;
  }

  /** Every value sent, in order. */
  public List<T> values() {
    return List.copyOf(values);
  }

  /** The error the handler ended with, if it did. */
  public Optional<Throwable> error() {
    return Optional.ofNullable(error);
  }

  /** Whether the handler completed the call. */
  public boolean completed() {
    return completed;
  }

  /**
   * The one value of a completed unary call.
   *
   * @throws AssertionError if the handler failed, did not complete or sent another number of values
   */
  public T single() {
    if (error != null) {
      throw new AssertionError("the handler failed: " + error, error);
    }
    if (!completed || values.size() != 1) {
      throw new AssertionError(
          "expected one value and completion, got "
              + values.size()
              + " value(s), completed="
              + completed);
    }
    return values.get(0);
  }
}
