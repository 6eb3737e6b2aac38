package dev.gatehouse.trust.spiffe.tls;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.trust.spiffe.TrustDomain;
import dev.gatehouse.trust.spiffe.X509SvidLeafRules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A workload's X.509-SVID, private key and bundle read from the PEM files a helper keeps rewriting,
 * reloaded when they change.
 *
 * <pre>{@code
 * SvidFiles svid = SvidFiles.spiffeHelper(Path.of("/run/spiffe/certs")).build();  // svid.pem, svid_key.pem, svid_bundle.pem
 * SvidFiles svid = SvidFiles.certManagerCsi(Path.of("/var/run/secrets/spiffe.io")).build(); // tls.crt, tls.key, ca.crt
 * }</pre>
 *
 * <p>The files are polled (default every second): all three are read, and when any content changed
 * a new {@link X509Material} is built from them; the bundle belongs to the trust domain of the
 * workload's own SPIFFE ID. Helpers write the certificate and the key as separate files, so a poll
 * may see a new certificate with the old key, or a file cut short: such a set is refused (the key
 * must sign for the leaf's public key, every PEM block must be complete), a WARNING names the files
 * and the problem (never key material), and the previous material stays in use until a consistent
 * set is read. {@link Builder#build()} fails if the first read is not consistent: a server never
 * starts without an identity.
 *
 * <p>Thread-safe. {@link #close()} stops polling; the last material stays current.
 */
public final class SvidFiles implements X509MaterialSource, AutoCloseable {
  /** SPIRE's spiffe-helper default file names. */
  public static final String HELPER_CERTIFICATE = "svid.pem";

  /** SPIRE's spiffe-helper default private key file name. */
  public static final String HELPER_KEY = "svid_key.pem";

  /** SPIRE's spiffe-helper default bundle file name. */
  public static final String HELPER_BUNDLE = "svid_bundle.pem";

  /** cert-manager csi-driver-spiffe certificate file name. */
  public static final String CSI_CERTIFICATE = "tls.crt";

  /** cert-manager csi-driver-spiffe private key file name. */
  public static final String CSI_KEY = "tls.key";

  /** cert-manager csi-driver-spiffe CA bundle file name. */
  public static final String CSI_BUNDLE = "ca.crt";

  /** The default poll interval. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(1);

  private static final Logger logger = Logger.getLogger(SvidFiles.class.getName());

  private final Path certificate;
  private final Path key;
  private final Path bundle;
  private final List<Consumer<X509Material>> listeners = new CopyOnWriteArrayList<>();
  private final ScheduledExecutorService poller;
  private final ScheduledFuture<?> polling;
  private volatile X509Material current;
  private byte[][] lastRead;

  private SvidFiles(Builder b) throws IOException {
    this.certificate = b.certificate;
    this.key = b.key;
    this.bundle = b.bundle;
    byte[][] read = readAll();
    try {
      this.current = load(read);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalStateException(describe() + ": " + e.getMessage(), e);
    }
    this.lastRead = read;
    long millis = b.pollInterval.toMillis();
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "gatehouse-svid-files");
              t.setDaemon(true);
              return t;
            });
    this.polling = poller.scheduleWithFixedDelay(this::poll, millis, millis, TimeUnit.MILLISECONDS);
  }

  /** Files named as SPIRE's spiffe-helper writes them into {@code certDir}. */
  public static Builder spiffeHelper(Path certDir) {
    requireNonNull(certDir, "certDir");
    return files(
        certDir.resolve(HELPER_CERTIFICATE),
        certDir.resolve(HELPER_KEY),
        certDir.resolve(HELPER_BUNDLE));
  }

  /** Files named as cert-manager's csi-driver-spiffe mounts them into {@code volumeDir}. */
  public static Builder certManagerCsi(Path volumeDir) {
    requireNonNull(volumeDir, "volumeDir");
    return files(
        volumeDir.resolve(CSI_CERTIFICATE),
        volumeDir.resolve(CSI_KEY),
        volumeDir.resolve(CSI_BUNDLE));
  }

  /**
   * Explicit files: the certificate chain (leaf first), its private key, and the CA bundle of the
   * workload's trust domain.
   */
  public static Builder files(Path certificate, Path privateKey, Path bundle) {
    return new Builder(
        requireNonNull(certificate, "certificate"),
        requireNonNull(privateKey, "privateKey"),
        requireNonNull(bundle, "bundle"));
  }

  @Override
  public X509Material current() {
    return current;
  }

  @Override
  public AutoCloseable subscribe(Consumer<X509Material> listener) {
    requireNonNull(listener, "listener");
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Stops polling. */
  @Override
  public void close() {
    polling.cancel(false);
    poller.shutdownNow();
  }

  /** Reads the files now, as a poll does; for tests and for callers reacting to a signal. */
  public void reloadNow() throws InterruptedException {
    try {
      poller.submit(this::poll).get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  private void poll() {
    byte[][] read;
    try {
      read = readAll();
    } catch (IOException e) {
      // A file briefly missing while a helper replaces it; retried on the next poll.
      warn("cannot read " + e.getClass().getSimpleName());
      lastRead = null;
      return;
    }
    if (lastRead != null && Arrays.deepEquals(read, lastRead)) {
      return;
    }
    lastRead = read;
    X509Material next;
    try {
      next = load(read);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      warn(e.getMessage());
      return;
    }
    current = next;
    X509Certificate leaf = next.chain().get(0);
    logger.info(
        () ->
            describe()
                + ": loaded the X.509-SVID of "
                + next.spiffeId()
                + " (valid until "
                + leaf.getNotAfter().toInstant()
                + ") with "
                + next.bundles().values().iterator().next().size()
                + " bundle CA certificate(s)");
    for (Consumer<X509Material> listener : listeners) {
      try {
        listener.accept(next);
      } catch (RuntimeException e) {
        logger.log(Level.WARNING, describe() + ": a material listener failed", e);
      }
    }
  }

  private void warn(String problem) {
    X509Material keep = current;
    logger.warning(
        () ->
            describe()
                + ": "
                + problem
                + "; keeping the X.509-SVID of "
                + keep.spiffeId()
                + " until a consistent set is read");
  }

  private byte[][] readAll() throws IOException {
    return new byte[][] {
      Files.readAllBytes(certificate), Files.readAllBytes(key), Files.readAllBytes(bundle)
    };
  }

  private X509Material load(byte[][] read) throws GeneralSecurityException {
    List<X509Certificate> chain = Pem.certificates(read[0], "certificate file");
    PrivateKey privateKey = Pem.privateKey(read[1], "private key file");
    List<X509Certificate> cas = Pem.certificates(read[2], "bundle file");
    TrustDomain own = X509SvidLeafRules.spiffeId(chain.get(0)).trustDomain();
    return X509Material.of(chain, privateKey, Map.of(own, cas));
  }

  private String describe() {
    return "SVID files " + certificate + ", " + key + ", " + bundle;
  }

  @Override
  public String toString() {
    return describe();
  }

  /** Builds {@link SvidFiles}. */
  public static final class Builder {
    private final Path certificate;
    private final Path key;
    private final Path bundle;
    private Duration pollInterval = DEFAULT_POLL_INTERVAL;

    private Builder(Path certificate, Path key, Path bundle) {
      this.certificate = certificate;
      this.key = key;
      this.bundle = bundle;
    }

    /** How often the files are read; at least 10 ms. Default {@link #DEFAULT_POLL_INTERVAL}. */
    public Builder pollInterval(Duration pollInterval) {
      requireNonNull(pollInterval, "pollInterval");
      if (pollInterval.toMillis() < 10) {
        throw new IllegalArgumentException("pollInterval: at least 10 ms");
      }
      this.pollInterval = pollInterval;
      return this;
    }

    /**
     * Reads the files once and starts polling.
     *
     * @throws IOException if a file cannot be read
     * @throws IllegalStateException if the files do not hold a consistent X.509-SVID, key and
     *     bundle; the message names the files and the problem
     */
    public SvidFiles build() throws IOException {
      return new SvidFiles(this);
    }
  }
}
