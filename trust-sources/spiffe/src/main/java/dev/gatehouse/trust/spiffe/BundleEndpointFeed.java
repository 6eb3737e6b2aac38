package dev.gatehouse.trust.spiffe;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A federated trust domain's bundle from its SPIFFE bundle endpoint, {@code https_web} profile:
 * fetched over HTTPS authenticated with web PKI (the JDK's default trust store) or with configured
 * CA certificates, in the SPIFFE bundle JSON format ({@link SpiffeBundle}), into a {@link
 * TrustBundleSet} that {@code peer_certificate} and {@code spiffe_jwt} read.
 *
 * <pre>{@code
 * BundleEndpointFeed partner = BundleEndpointFeed.newBuilder()
 *     .trustDomain("partner.example")
 *     .url("https://bundle.partner.example/bundle.json")
 *     .build();                                   // starts fetching
 * PeerCertificateTrustSource certs = PeerCertificateTrustSource.newBuilder()
 *     .addBundle("partner.example", partner.bundles())
 *     .allow("spiffe://partner.example/billing", Set.of("invoicer"), Set.of())
 *     .build();
 * }</pre>
 *
 * <p>The bundle is fetched at once and then again after the endpoint's {@code spiffe_refresh_hint}
 * (default {@link #DEFAULT_REFRESH} without one), bounded to [{@link Builder#minRefresh}, {@link
 * Builder#maxRefresh}]. A failed fetch (unreachable, not HTTP 200, not a bundle, larger than 1 MiB)
 * keeps the last good bundle and is retried after 1 s doubling up to the minimum refresh; until the
 * first success every identity of the trust domain is refused. Redirects are not followed. Only
 * {@code https} URLs are accepted. Close it to stop fetching.
 */
public final class BundleEndpointFeed implements AutoCloseable {
  private static final Logger logger = Logger.getLogger(BundleEndpointFeed.class.getName());

  /** The refresh interval without a hint: 5 minutes. */
  public static final Duration DEFAULT_REFRESH = Duration.ofMinutes(5);

  /** The default lower bound on the refresh interval: 30 seconds. */
  public static final Duration DEFAULT_MIN_REFRESH = Duration.ofSeconds(30);

  /** The default upper bound on the refresh interval: 1 hour. */
  public static final Duration DEFAULT_MAX_REFRESH = Duration.ofHours(1);

  private static final Duration INITIAL_RETRY = Duration.ofSeconds(1);

  private final TrustDomain trustDomain;
  private final URI url;
  private final HttpClient http;
  private final Duration minRefresh;
  private final Duration maxRefresh;
  private final Duration fetchTimeout;
  private final TrustBundleSet bundles;
  private final ScheduledExecutorService scheduler;
  private Duration retry = INITIAL_RETRY; // scheduler thread only
  private volatile boolean closed;

  private BundleEndpointFeed(Builder b, TrustDomain td, URI url, SSLContext tls) {
    this.trustDomain = td;
    this.url = url;
    this.minRefresh = b.minRefresh;
    this.maxRefresh = b.maxRefresh;
    this.fetchTimeout = b.fetchTimeout;
    this.bundles = b.into != null ? b.into : TrustBundleSet.create();
    HttpClient.Builder hb =
        HttpClient.newBuilder()
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(fetchTimeout);
    if (tls != null) {
      hb.sslContext(tls);
    }
    this.http = hb.build();
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "gatehouse-bundle-endpoint-" + td);
              t.setDaemon(true);
              return t;
            });
    scheduler.execute(this::fetchAndSchedule);
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The set the bundle is put in. */
  public TrustBundleSet bundles() {
    return bundles;
  }

  /** The trust domain whose bundle this feed fetches. */
  public TrustDomain trustDomain() {
    return trustDomain;
  }

  private void fetchAndSchedule() {
    if (closed) {
      return;
    }
    Duration next;
    try {
      SpiffeBundle bundle = fetch();
      bundles.put(bundle);
      retry = INITIAL_RETRY;
      next = clamp(bundle.refreshHint().orElse(DEFAULT_REFRESH));
      logger.fine("bundle of trust domain " + trustDomain + " fetched from " + url);
    } catch (IOException | RuntimeException e) {
      if (e instanceof InterruptedIOException || closed) {
        return;
      }
      next = retry;
      Duration doubled = retry.multipliedBy(2);
      retry = doubled.compareTo(minRefresh) > 0 ? minRefresh : doubled;
      logger.warning(
          "bundle endpoint "
              + url
              + " of trust domain "
              + trustDomain
              + ": fetch failed ("
              + e.getClass().getSimpleName()
              + (e.getMessage() == null ? "" : ": " + e.getMessage())
              + "); keeping the last bundle, retrying in "
              + next.toMillis()
              + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    if (!closed) {
      long jitter = (long) (next.toMillis() * ThreadLocalRandom.current().nextDouble(0, 0.1));
      try {
        var unused =
            scheduler.schedule(
                this::fetchAndSchedule, next.toMillis() - jitter, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        // closed meanwhile
      }
    }
  }

  private Duration clamp(Duration hint) {
    if (hint.compareTo(minRefresh) < 0) {
      return minRefresh;
    }
    return hint.compareTo(maxRefresh) > 0 ? maxRefresh : hint;
  }

  private SpiffeBundle fetch() throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(url)
            .timeout(fetchTimeout)
            .header("accept", "application/json")
            .GET()
            .build();
    // The request timeout bounds only the wait for the response headers; the whole exchange,
    // body included, is bounded here, so an endpoint that stalls mid-body cannot freeze the feed
    // (and with it the last bundle) forever.
    CompletableFuture<HttpResponse<byte[]>> exchange =
        http.sendAsync(request, info -> new BoundedBody(SpiffeBundle.MAX_BYTES));
    HttpResponse<byte[]> response;
    try {
      response = exchange.get(fetchTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      exchange.cancel(true);
      throw new IOException("no complete answer within " + fetchTimeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException(cause == null ? "fetch failed" : cause.getClass().getSimpleName());
    }
    if (response.statusCode() != 200) {
      throw new IOException("HTTP " + response.statusCode());
    }
    return SpiffeBundle.parse(trustDomain, new String(response.body(), StandardCharsets.UTF_8));
  }

  /** Collects a body of at most {@code max} bytes; a longer one fails the exchange. */
  private static final class BoundedBody implements HttpResponse.BodySubscriber<byte[]> {
    private final int max;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private Flow.Subscription subscription;

    BoundedBody(int max) {
      this.max = max;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      this.subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      for (ByteBuffer b : buffers) {
        if (out.size() + b.remaining() > max) {
          subscription.cancel();
          result.completeExceptionally(new IOException("bundle larger than " + max + " bytes"));
          return;
        }
        byte[] chunk = new byte[b.remaining()];
        b.get(chunk);
        out.write(chunk, 0, chunk.length);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(out.toByteArray());
    }
  }

  /** Stops fetching; the set keeps the last bundle. */
  @Override
  public void close() {
    closed = true;
    scheduler.shutdownNow();
  }

  @Override
  public String toString() {
    return "BundleEndpointFeed{" + trustDomain + ", " + url + "}";
  }

  /** Builds and starts a {@link BundleEndpointFeed}. */
  public static final class Builder {
    private String trustDomain;
    private String url;
    private Path caFile;
    private Collection<? extends Certificate> caCertificates;
    private Duration minRefresh = DEFAULT_MIN_REFRESH;
    private Duration maxRefresh = DEFAULT_MAX_REFRESH;
    private Duration fetchTimeout = Duration.ofSeconds(5);
    private TrustBundleSet into;

    private Builder() {}

    /** The federated trust domain (required). */
    public Builder trustDomain(String trustDomain) {
      this.trustDomain = requireNonNull(trustDomain, "trustDomain");
      return this;
    }

    /** The bundle endpoint URL (required), {@code https}. */
    public Builder url(String url) {
      this.url = requireNonNull(url, "url");
      return this;
    }

    /**
     * PEM file of the CA certificates that authenticate the endpoint's TLS certificate instead of
     * the JDK's default trust store (web PKI).
     */
    public Builder caFile(Path caFile) {
      this.caFile = requireNonNull(caFile, "caFile");
      return this;
    }

    /**
     * The CA certificates that authenticate the endpoint's TLS certificate (instead of web PKI).
     */
    public Builder caCertificates(Collection<? extends Certificate> caCertificates) {
      this.caCertificates = java.util.List.copyOf(requireNonNull(caCertificates, "caCertificates"));
      return this;
    }

    /** Lower bound on the refresh interval; default 30 s, at least 1 s. */
    public Builder minRefresh(Duration minRefresh) {
      this.minRefresh = requireNonNull(minRefresh, "minRefresh");
      return this;
    }

    /** Upper bound on the refresh interval; default 1 h. */
    public Builder maxRefresh(Duration maxRefresh) {
      this.maxRefresh = requireNonNull(maxRefresh, "maxRefresh");
      return this;
    }

    /** Bound on connecting and on one fetch; default 5 s. */
    public Builder fetchTimeout(Duration fetchTimeout) {
      this.fetchTimeout = requireNonNull(fetchTimeout, "fetchTimeout");
      return this;
    }

    /** Puts the bundle into this set instead of a new one. */
    public Builder into(TrustBundleSet set) {
      this.into = requireNonNull(set, "set");
      return this;
    }

    /**
     * Validates and starts fetching in the background.
     *
     * @throws IllegalArgumentException naming the problem: no or invalid trust domain, a URL that
     *     is not https with a host (or carries user info or a fragment), both CA options, an
     *     unreadable CA file, refresh bounds out of order or below 1 s, a fetch timeout not
     *     positive
     */
    public BundleEndpointFeed build() {
      if (trustDomain == null) {
        throw new IllegalArgumentException("bundle endpoint: trustDomain is required");
      }
      TrustDomain td;
      try {
        td = TrustDomain.parse(trustDomain);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "bundle endpoint: trust domain " + trustDomain + ": " + e.getMessage(), e);
      }
      if (url == null) {
        throw new IllegalArgumentException("bundle endpoint of " + td + ": url is required");
      }
      URI uri = httpsUrl(url, td);
      if (caFile != null && caCertificates != null) {
        throw new IllegalArgumentException(
            "bundle endpoint of " + td + ": set caFile or caCertificates, not both");
      }
      if (minRefresh.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException(
            "bundle endpoint of " + td + ": minRefresh must be at least 1 second");
      }
      if (maxRefresh.compareTo(minRefresh) < 0) {
        throw new IllegalArgumentException(
            "bundle endpoint of " + td + ": maxRefresh must not be below minRefresh");
      }
      if (fetchTimeout.isZero() || fetchTimeout.isNegative()) {
        throw new IllegalArgumentException(
            "bundle endpoint of " + td + ": fetchTimeout must be positive");
      }
      SSLContext tls = null;
      Collection<? extends Certificate> cas = caCertificates;
      if (caFile != null) {
        try (InputStream in = Files.newInputStream(caFile)) {
          cas = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException | GeneralSecurityException e) {
          throw new IllegalArgumentException(
              "bundle endpoint of " + td + ": cannot read CA certificates from " + caFile, e);
        }
        if (cas.isEmpty()) {
          throw new IllegalArgumentException(
              "bundle endpoint of " + td + ": no certificate in " + caFile);
        }
      }
      if (cas != null) {
        tls = sslContext(cas, td);
      }
      return new BundleEndpointFeed(this, td, uri, tls);
    }

    private static URI httpsUrl(String url, TrustDomain td) {
      URI uri;
      try {
        uri = new URI(url);
      } catch (java.net.URISyntaxException e) {
        throw new IllegalArgumentException("bundle endpoint of " + td + ": url is not a URI", e);
      }
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("https") || uri.getHost() == null || uri.getHost().isEmpty()) {
        throw new IllegalArgumentException(
            "bundle endpoint of " + td + ": url must be https with a host (https_web profile)");
      }
      if (uri.getRawUserInfo() != null || uri.getRawFragment() != null) {
        throw new IllegalArgumentException(
            "bundle endpoint of " + td + ": url must not carry user info or a fragment");
      }
      return uri;
    }

    private static SSLContext sslContext(Collection<? extends Certificate> cas, TrustDomain td) {
      try {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (Certificate c : cas) {
          ks.setCertificateEntry("ca-" + i++, c);
        }
        TrustManagerFactory tmf =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
      } catch (GeneralSecurityException | IOException e) {
        throw new IllegalArgumentException(
            "bundle endpoint of " + td + ": cannot build a TLS context from the CA certificates",
            e);
      }
    }
  }
}
