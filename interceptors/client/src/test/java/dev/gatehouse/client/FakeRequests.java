package dev.gatehouse.client;

import io.grpc.Attributes;
import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.io.InputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Drives {@link CallCredentials} directly, without a channel. */
final class FakeRequests {
  private FakeRequests() {}

  static final MethodDescriptor.Marshaller<Object> NO_MARSHALLER =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(Object value) {
          throw new UnsupportedOperationException();
        }

        @Override
        public Object parse(InputStream stream) {
          throw new UnsupportedOperationException();
        }
      };

  static CallCredentials.RequestInfo request(String fullServiceName, SecurityLevel level) {
    MethodDescriptor<Object, Object> method =
        MethodDescriptor.newBuilder(NO_MARSHALLER, NO_MARSHALLER)
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(fullServiceName, "Call"))
            .build();
    return new CallCredentials.RequestInfo() {
      @Override
      public MethodDescriptor<?, ?> getMethodDescriptor() {
        return method;
      }

      @Override
      public SecurityLevel getSecurityLevel() {
        return level;
      }

      @Override
      public String getAuthority() {
        return "trips.test";
      }

      @Override
      public Attributes getTransportAttrs() {
        return Attributes.EMPTY;
      }
    };
  }

  static CallCredentials.RequestInfo secure(String fullServiceName) {
    return request(fullServiceName, SecurityLevel.PRIVACY_AND_INTEGRITY);
  }

  /** Records what the credentials did with one call. */
  static final class Applier extends CallCredentials.MetadataApplier {
    private final CountDownLatch done = new CountDownLatch(1);
    private volatile Metadata headers;
    private volatile Status status;

    @Override
    public void apply(Metadata headers) {
      this.headers = headers;
      done.countDown();
    }

    @Override
    public void fail(Status status) {
      this.status = status;
      done.countDown();
    }

    boolean isDone() {
      return done.getCount() == 0;
    }

    Applier await() throws InterruptedException {
      if (!done.await(10, TimeUnit.SECONDS)) {
        throw new AssertionError("credentials never completed the call");
      }
      return this;
    }

    Metadata headers() {
      return headers;
    }

    Status status() {
      return status;
    }

    /** The JWT from {@code authorization: Bearer <jwt>}; fails if the call failed. */
    String jwt() throws InterruptedException {
      await();
      if (status != null) {
        throw new AssertionError("call failed: " + status);
      }
      String value =
          headers.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER));
      if (value == null || !value.startsWith("Bearer ")) {
        throw new AssertionError("no bearer token");
      }
      return value.substring("Bearer ".length());
    }
  }

  /** Applies {@code creds} to one secure call and returns the token. */
  static String token(CallCredentials creds, String fullServiceName) throws InterruptedException {
    Applier a = new Applier();
    creds.applyRequestMetadata(secure(fullServiceName), Runnable::run, a);
    return a.jwt();
  }
}
