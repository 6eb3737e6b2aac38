package dev.gatehouse.trust.spiffe.workload;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import com.nimbusds.jose.jwk.JWKSet;
import dev.gatehouse.trust.spiffe.SpiffeId;
import dev.gatehouse.trust.spiffe.TrustBundleSet;
import dev.gatehouse.trust.spiffe.TrustDomain;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.spiffe.workloadapi.grpc.SpiffeWorkloadAPIGrpc;
import io.spiffe.workloadapi.grpc.Workload;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Logger;

/**
 * A connection to the SPIFFE Workload API (the local SPIRE agent) on a Unix domain socket: it
 * watches the X.509 context (the workload's own X.509-SVID, its trust domain's bundle and the
 * federated bundles) and the JWT bundles, keeps them in a {@link TrustBundleSet} for {@code
 * peer_certificate} and {@code spiffe_jwt}, exposes the own SVID with change listeners, and fetches
 * JWT-SVIDs.
 *
 * <pre>{@code
 * WorkloadApiFeed agent = WorkloadApiFeed.connect("unix:/run/spire/agent.sock");
 * PeerCertificateTrustSource certs = PeerCertificateTrustSource.newBuilder()
 *     .addBundle("example.org", agent.bundles())
 *     .addBundle("partner.example", agent.bundles())       // federated through the agent
 *     .allowTrustDomain("example.org", Set.of("internal"), Set.of())
 *     .build();
 * ServerCredentials tls = SpiffeTls.server(WorkloadX509Material.of(agent, Duration.ofSeconds(30)))
 *     .build();                                            // rotating mTLS material
 * }</pre>
 *
 * <p>Only java-spiffe-core's generated Workload API stubs are used; nothing the agent sends is
 * validated here, and nothing here decides on a call: Gatehouse's verifiers validate chains and
 * tokens against the bundles. When the agent goes away (restart, upgrade) the streams are retried
 * every {@value #INITIAL_RETRY_MILLIS} ms doubling to {@value #MAX_RETRY_MILLIS} ms while the last
 * bundles and SVID stay in use; a response that cannot be read is skipped with a warning and the
 * previous state kept. Thread-safe. Close it to stop.
 */
public final class WorkloadApiFeed implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(WorkloadApiFeed.class.getName());

  /** The first retry delay after a stream ends, in milliseconds. */
  public static final long INITIAL_RETRY_MILLIS = 100;

  /** The longest retry delay, in milliseconds. */
  public static final long MAX_RETRY_MILLIS = 5_000;

  private static final Metadata.Key<String> SECURITY_HEADER =
      Metadata.Key.of("workload.spiffe.io", Metadata.ASCII_STRING_MARSHALLER);

  private final String socket;
  private final ManagedChannel channel;
  private final SpiffeWorkloadAPIGrpc.SpiffeWorkloadAPIStub async;
  private final SpiffeWorkloadAPIGrpc.SpiffeWorkloadAPIBlockingStub blocking;
  private final TrustBundleSet bundles = TrustBundleSet.create();
  private final ScheduledExecutorService retries;
  private final List<Consumer<WorkloadSvid>> svidListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<X509Context>> contextListeners = new CopyOnWriteArrayList<>();
  private final Duration jwtFetchTimeout;
  private volatile X509Context context;
  private volatile boolean closed;
  private long x509Retry = INITIAL_RETRY_MILLIS; // retries thread and stream callbacks, serial
  private long jwtRetry = INITIAL_RETRY_MILLIS;

  private WorkloadApiFeed(String socket, String target, Duration jwtFetchTimeout) {
    this.socket = socket;
    this.jwtFetchTimeout = jwtFetchTimeout;
    this.channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    Metadata headers = new Metadata();
    headers.put(SECURITY_HEADER, "true");
    this.async =
        SpiffeWorkloadAPIGrpc.newStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    this.blocking =
        SpiffeWorkloadAPIGrpc.newBlockingStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    this.retries =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "gatehouse-workload-api");
              t.setDaemon(true);
              return t;
            });
    retries.execute(this::watchX509);
    retries.execute(this::watchJwtBundles);
  }

  /**
   * Connects to the Workload API at {@code socket} and starts watching.
   *
   * @param socket {@code unix:/path}, {@code unix:///path}, or an absolute path
   * @throws IllegalArgumentException if the address is not a Unix socket path
   */
  public static WorkloadApiFeed connect(String socket) {
    return new WorkloadApiFeed(socket, target(socket), Duration.ofSeconds(5));
  }

  /** The socket this feed connects to. */
  public String socket() {
    return socket;
  }

  /** The trust bundles delivered so far: the own trust domain's and the federated ones. */
  public TrustBundleSet bundles() {
    return bundles;
  }

  /** The workload's current X.509-SVID, once the first X.509 context arrived. */
  public Optional<WorkloadSvid> svid() {
    X509Context now = context;
    return Optional.ofNullable(now == null ? null : now.svid());
  }

  /**
   * Runs {@code listener} with every new X.509-SVID (on the feed's thread; it must not block), and
   * at once with the current one if there is one.
   */
  public void addSvidListener(Consumer<WorkloadSvid> listener) {
    requireNonNull(listener, "listener");
    svidListeners.add(listener);
    X509Context now = context;
    if (now != null) {
      listener.accept(now.svid());
    }
  }

  /**
   * The own SVID together with every X.509 bundle of the same response (own and federated trust
   * domains), as one value: what TLS material is built from.
   */
  record X509Context(WorkloadSvid svid, Map<TrustDomain, List<X509Certificate>> bundles) {
    X509Context {
      requireNonNull(svid, "svid");
      bundles = Map.copyOf(bundles);
    }
  }

  /** The current X.509 context, once the first one arrived. */
  Optional<X509Context> x509Context() {
    return Optional.ofNullable(context);
  }

  /**
   * Runs {@code listener} with every new X.509 context on the feed's thread (it must not block),
   * after {@link #svid()} and {@link #bundles()} reflect it; closing the handle removes it.
   */
  AutoCloseable addX509ContextListener(Consumer<X509Context> listener) {
    requireNonNull(listener, "listener");
    contextListeners.add(listener);
    return () -> contextListeners.remove(listener);
  }

  /**
   * Fetches a JWT-SVID for {@code audience} (the first SVID the agent returns for this workload).
   *
   * @throws IOException when the Workload API cannot be reached or returns no SVID; the message
   *     names the status code only
   */
  public String fetchJwtSvid(String audience) throws IOException {
    requireNonNull(audience, "audience");
    try {
      Workload.JWTSVIDResponse r =
          blocking
              .withDeadlineAfter(jwtFetchTimeout.toMillis(), TimeUnit.MILLISECONDS)
              .fetchJWTSVID(Workload.JWTSVIDRequest.newBuilder().addAudience(audience).build());
      if (r.getSvidsCount() == 0 || r.getSvids(0).getSvid().isEmpty()) {
        throw new IOException("the Workload API returned no JWT-SVID for audience " + audience);
      }
      return r.getSvids(0).getSvid();
    } catch (StatusRuntimeException e) {
      throw new IOException(
          "the Workload API at "
              + socket
              + " failed the JWT-SVID fetch: "
              + e.getStatus().getCode());
    }
  }

  private void watchX509() {
    if (closed) {
      return;
    }
    async.fetchX509SVID(
        Workload.X509SVIDRequest.getDefaultInstance(),
        new StreamObserver<>() {
          @Override
          public void onNext(Workload.X509SVIDResponse response) {
            applyX509(response);
            x509Retry = INITIAL_RETRY_MILLIS;
          }

          @Override
          public void onError(Throwable t) {
            x509Retry = retry(WorkloadApiFeed.this::watchX509, x509Retry, "X.509 context", t);
          }

          @Override
          public void onCompleted() {
            x509Retry = retry(WorkloadApiFeed.this::watchX509, x509Retry, "X.509 context", null);
          }
        });
  }

  private void watchJwtBundles() {
    if (closed) {
      return;
    }
    async.fetchJWTBundles(
        Workload.JWTBundlesRequest.getDefaultInstance(),
        new StreamObserver<>() {
          @Override
          public void onNext(Workload.JWTBundlesResponse response) {
            applyJwt(response);
            jwtRetry = INITIAL_RETRY_MILLIS;
          }

          @Override
          public void onError(Throwable t) {
            jwtRetry = retry(WorkloadApiFeed.this::watchJwtBundles, jwtRetry, "JWT bundles", t);
          }

          @Override
          public void onCompleted() {
            jwtRetry = retry(WorkloadApiFeed.this::watchJwtBundles, jwtRetry, "JWT bundles", null);
          }
        });
  }

  /** Schedules {@code watch} again; returns the next delay. */
  private long retry(Runnable watch, long delay, String what, Throwable error) {
    if (closed) {
      return delay;
    }
    logger.fine(
        "Workload API "
            + socket
            + ": "
            + what
            + " stream ended ("
            + (error == null ? "completed" : Status.fromThrowable(error).getCode())
            + "); keeping the last state, retrying in "
            + delay
            + " ms");
    try {
      var unused =
          retries.schedule(
              () -> {
                channel.resetConnectBackoff();
                watch.run();
              },
              delay,
              TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closed meanwhile
    }
    return Math.min(delay * 2, MAX_RETRY_MILLIS);
  }

  private void applyX509(Workload.X509SVIDResponse response) {
    try {
      if (response.getSvidsCount() == 0) {
        throw new IllegalArgumentException("no X.509-SVID in the response");
      }
      Workload.X509SVID first = response.getSvids(0);
      SpiffeId id = SpiffeId.parse(first.getSpiffeId());
      List<X509Certificate> chain = certificates(first.getX509Svid(), "x509_svid");
      PrivateKey key = privateKey(first.getX509SvidKey().toByteArray());
      List<X509Certificate> own = certificates(first.getBundle(), "bundle");
      Map<TrustDomain, List<X509Certificate>> all = new LinkedHashMap<>();
      all.put(id.trustDomain(), own);
      for (Map.Entry<String, ByteString> e : response.getFederatedBundlesMap().entrySet()) {
        all.put(trustDomain(e.getKey()), certificates(e.getValue(), "federated_bundles"));
      }
      WorkloadSvid next = new WorkloadSvid(id, chain, key, own);
      X509Context nextContext = new X509Context(next, all);
      bundles.replaceX509Authorities(all);
      context = nextContext;
      for (Consumer<X509Context> l : contextListeners) {
        try {
          l.accept(nextContext);
        } catch (RuntimeException ex) {
          logger.warning(
              "an X.509 context listener failed (" + ex.getClass().getSimpleName() + ")");
        }
      }
      for (Consumer<WorkloadSvid> l : svidListeners) {
        try {
          l.accept(next);
        } catch (RuntimeException ex) {
          logger.warning("an X.509-SVID listener failed (" + ex.getClass().getSimpleName() + ")");
        }
      }
    } catch (GeneralSecurityException | RuntimeException e) {
      logger.warning(
          "Workload API "
              + socket
              + ": an X.509 context was skipped ("
              + e.getClass().getSimpleName()
              + (e instanceof IllegalArgumentException ? ": " + e.getMessage() : "")
              + "); keeping the previous one");
    }
  }

  private void applyJwt(Workload.JWTBundlesResponse response) {
    try {
      Map<TrustDomain, JWKSet> all = new LinkedHashMap<>();
      for (Map.Entry<String, ByteString> e : response.getBundlesMap().entrySet()) {
        all.put(
            trustDomain(e.getKey()), JWKSet.parse(e.getValue().toString(StandardCharsets.UTF_8)));
      }
      bundles.replaceJwtAuthorities(all);
    } catch (ParseException | RuntimeException e) {
      logger.warning(
          "Workload API "
              + socket
              + ": a JWT bundles response was skipped ("
              + e.getClass().getSimpleName()
              + "); keeping the previous one");
    }
  }

  /** A trust domain named either {@code example.org} or {@code spiffe://example.org}. */
  private static TrustDomain trustDomain(String key) {
    return TrustDomain.parse(
        key.startsWith("spiffe://") ? key.substring("spiffe://".length()) : key);
  }

  private static List<X509Certificate> certificates(ByteString der, String field)
      throws GeneralSecurityException {
    List<X509Certificate> out = new ArrayList<>();
    for (Certificate c :
        CertificateFactory.getInstance("X.509")
            .generateCertificates(new ByteArrayInputStream(der.toByteArray()))) {
      out.add((X509Certificate) c);
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException(field + " holds no certificate");
    }
    return List.copyOf(out);
  }

  private static PrivateKey privateKey(byte[] pkcs8) throws GeneralSecurityException {
    GeneralSecurityException last = null;
    for (String alg : List.of("EC", "RSA", "Ed25519")) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
      } catch (GeneralSecurityException e) {
        last = e;
      }
    }
    throw last;
  }

  static String target(String socket) {
    requireNonNull(socket, "socket");
    String path;
    if (socket.startsWith("unix://")) {
      path = socket.substring("unix://".length());
    } else if (socket.startsWith("unix:")) {
      path = socket.substring("unix:".length());
    } else {
      path = socket;
    }
    if (!path.startsWith("/") || path.contains("?") || path.contains("#")) {
      throw new IllegalArgumentException(
          "Workload API socket "
              + socket
              + " is not a Unix socket path (unix:/path/to/agent.sock)"
              + (socket.toLowerCase(Locale.ROOT).startsWith("tcp:")
                  ? "; tcp is not supported"
                  : ""));
    }
    return "unix://" + path;
  }

  /** Stops watching and closes the connection; the bundles and SVID keep their last state. */
  @Override
  public void close() {
    closed = true;
    retries.shutdownNow();
    channel.shutdownNow();
  }

  @Override
  public String toString() {
    return "WorkloadApiFeed{" + socket + ", trustDomains=" + bundles.trustDomains() + "}";
  }
}
