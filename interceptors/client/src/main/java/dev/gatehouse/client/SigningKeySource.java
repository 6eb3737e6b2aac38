package dev.gatehouse.client;

import static java.util.Objects.requireNonNull;

import com.nimbusds.jose.jwk.JWK;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The calling service's own signing key: from a PEM file, a private-JWK file, or memory.
 *
 * <pre>{@code
 * SigningKeySource key = SigningKeySource.fromPemFile(Path.of("/var/run/keys/worker.pem"));
 * }</pre>
 *
 * <p><b>Files.</b> A PEM file holds one unencrypted PKCS#8 {@code PRIVATE KEY} (EC P-256 for ES256,
 * RSA of at least 2048 bits for RS256/PS256) and, for an EC key whose PKCS#8 does not embed its
 * public key (the JDK's own encoding), a {@code PUBLIC KEY} block. Its {@code kid} is the RFC 7638
 * thumbprint of the public key unless {@link Builder#kid(String)} gives one. A JWK file holds one
 * private JWK with a {@code kid}. The key must fit the {@link SigningAlgorithm} (default ES256),
 * and the public part must match the private part; {@link Builder#build()} checks all of this and
 * throws if the file cannot be used.
 *
 * <p><b>Rotation.</b> The file is checked at most once per {@link Builder#checkInterval(Duration)}
 * (default 10 s): its bytes are hashed, and only a changed hash is parsed, so a Kubernetes secret's
 * symlink swap is seen. A new {@code kid} is a rotation: the new key is published at once (see
 * {@link JwksPublisher}) and signs from {@link Builder#activationDelay(Duration)} later (default at
 * once); the previous key stays published for {@link Builder#previousKeyRetention(Duration)}
 * (default 65 min, longer than the longest token lifetime). A file that cannot be read or parsed,
 * or that changes key material but keeps the {@code kid}, is ignored with a warning naming the file
 * and the {@code kid} still in use (never key material), and the old key keeps serving.
 *
 * <p>Thread-safe. The checks run on whichever thread asks for the key when the interval has passed
 * (the credentials do that on the call's executor, never inline on a transport thread).
 */
public final class SigningKeySource {
  private static final Logger logger = Logger.getLogger(SigningKeySource.class.getName());
  static final int MAX_FILE_BYTES = 64 * 1024;

  private enum Format {
    PEM,
    JWK,
    MEMORY
  }

  /** What is published and what signs; replaced whole under {@link #lock}. */
  private record Keys(
      LoadedKey current,
      LoadedKey pending,
      Instant pendingFrom,
      LoadedKey previous,
      Instant previousUntil) {}

  private final Format format;
  private final Path path;
  private final String configuredKid;
  private final SigningAlgorithm algorithm;
  private final Duration checkInterval;
  private final Duration activationDelay;
  private final Duration previousKeyRetention;
  private final Clock clock;
  private final Object lock = new Object();
  private final AtomicInteger fileReads = new AtomicInteger();

  private volatile Keys keys;
  private volatile Instant nextCheck;
  // guarded by lock
  private byte[] lastHash;
  private String lastProblem;

  private SigningKeySource(Builder b, LoadedKey initial, byte[] initialHash) {
    this.format = b.format;
    this.path = b.path;
    this.configuredKid = b.kid;
    this.algorithm = b.algorithm;
    this.checkInterval = b.checkInterval;
    this.activationDelay = b.activationDelay;
    this.previousKeyRetention = b.previousKeyRetention;
    this.clock = b.clock;
    this.keys = new Keys(initial, null, null, null, null);
    this.lastHash = initialHash;
    this.nextCheck = format == Format.MEMORY ? Instant.MAX : clock.instant().plus(b.checkInterval);
  }

  /** A source reading an ES256 PEM file with the default settings. */
  public static SigningKeySource fromPemFile(Path pemFile) {
    return newBuilder().pemFile(pemFile).build();
  }

  /** A source reading an ES256 private-JWK file with the default settings. */
  public static SigningKeySource fromJwkFile(Path jwkFile) {
    return newBuilder().jwkFile(jwkFile).build();
  }

  /**
   * A fixed in-memory EC P-256 key pair (ES256) whose {@code kid} is its thumbprint; for tests and
   * for keys held by a secret manager.
   */
  public static SigningKeySource of(KeyPair keyPair) {
    return newBuilder().keyPair(keyPair).build();
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** The algorithm every key of this source signs with. */
  public SigningAlgorithm algorithm() {
    return algorithm;
  }

  /** The {@code kid} that signs now (does not check the file). */
  public String currentKid() {
    return signingKey(clock.instant()).kid();
  }

  /**
   * Checks the file now if the check interval has passed (a no-op for in-memory keys). Never
   * throws; problems are logged.
   */
  public void refreshIfDue() {
    refreshIfDue(clock.instant());
  }

  boolean refreshDue(Instant now) {
    return !now.isBefore(nextCheck);
  }

  /** How many times the file was read; for tests. */
  int fileReads() {
    return fileReads.get();
  }

  /** The key to sign with at {@code now}, promoting a pending key whose time has come. */
  LoadedKey signingKey(Instant now) {
    Keys k = keys;
    if (k.pending() == null || now.isBefore(k.pendingFrom())) {
      return k.current();
    }
    synchronized (lock) {
      k = keys;
      if (k.pending() != null && !now.isBefore(k.pendingFrom())) {
        logger.info(
            "service-token signing key rotated: kid "
                + k.current().kid()
                + " -> kid "
                + k.pending().kid());
        k =
            new Keys(
                /* current= */ k.pending(),
                /* pending= */ null,
                /* pendingFrom= */ null,
                /* previous= */ k.current(),
                /* previousUntil= */ now.plus(previousKeyRetention));
        keys = k;
      }
      return k.current();
    }
  }

  /** The public keys to publish at {@code now}: current, pending, and unexpired previous. */
  List<JWK> publicKeys(Instant now) {
    signingKey(now);
    Keys k = keys;
    List<JWK> out = new ArrayList<>(3);
    out.add(k.current().publicJwk());
    if (k.pending() != null) {
      out.add(k.pending().publicJwk());
    }
    if (k.previous() != null && now.isBefore(k.previousUntil())) {
      out.add(k.previous().publicJwk());
    }
    return out;
  }

  Clock clock() {
    return clock;
  }

  void refreshIfDue(Instant now) {
    if (!refreshDue(now)) {
      return;
    }
    synchronized (lock) {
      if (!refreshDue(now)) {
        return;
      }
      nextCheck = now.plus(checkInterval);
      try {
        reload(now);
      } catch (RuntimeException e) {
        problem("checking the signing key file failed (" + e.getClass().getSimpleName() + ")");
      }
    }
  }

  // holds lock
  private void reload(Instant now) {
    byte[] content;
    try {
      content = readFile(path);
      fileReads.incrementAndGet();
    } catch (IOException e) {
      problem("cannot read the signing key file (" + e.getClass().getSimpleName() + ")");
      return;
    }
    byte[] hash = sha256(content);
    if (MessageDigest.isEqual(hash, lastHash)) {
      lastProblem = null;
      return;
    }
    lastHash = hash;
    LoadedKey loaded;
    try {
      loaded = load(format, content, configuredKid, algorithm);
    } catch (KeyLoadException e) {
      problem("the changed signing key file is unusable: " + e.getMessage());
      return;
    } finally {
      java.util.Arrays.fill(content, (byte) 0);
    }
    Keys k = keys;
    LoadedKey newest = k.pending() != null ? k.pending() : k.current();
    if (loaded.kid().equals(newest.kid())) {
      if (!loaded.thumbprint().equals(newest.thumbprint())) {
        problem("the signing key file changed key material but kept kid " + loaded.kid());
      } else {
        lastProblem = null;
      }
      return;
    }
    lastProblem = null;
    if (activationDelay.isZero()) {
      logger.info(
          "service-token signing key rotated: kid "
              + k.current().kid()
              + " -> kid "
              + loaded.kid()
              + " ("
              + path
              + ")");
      keys = new Keys(loaded, null, null, k.current(), now.plus(previousKeyRetention));
    } else {
      logger.info(
          "new service-token signing key kid "
              + loaded.kid()
              + " published; it signs from "
              + now.plus(activationDelay)
              + " ("
              + path
              + ")");
      keys =
          new Keys(k.current(), loaded, now.plus(activationDelay), k.previous(), k.previousUntil());
    }
  }

  // holds lock; logs each distinct problem once
  private void problem(String what) {
    String message = what + "; keeping kid " + keys.current().kid() + " (" + path + ")";
    if (!message.equals(lastProblem)) {
      lastProblem = message;
      logger.log(Level.WARNING, message);
    }
  }

  private static LoadedKey load(Format format, byte[] content, String kid, SigningAlgorithm alg)
      throws KeyLoadException {
    return format == Format.PEM
        ? KeyLoader.fromPem(content, kid, alg)
        : KeyLoader.fromJwk(content, alg);
  }

  private static byte[] readFile(Path path) throws IOException {
    try (InputStream in = Files.newInputStream(path)) {
      byte[] content = in.readNBytes(MAX_FILE_BYTES + 1);
      if (content.length > MAX_FILE_BYTES) {
        throw new IOException("key file larger than " + MAX_FILE_BYTES + " bytes");
      }
      return content;
    }
  }

  private static byte[] sha256(byte[] content) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(content);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "SigningKeySource["
        + format
        + (path != null ? " " + path : "")
        + ", kid="
        + keys.current().kid()
        + "]";
  }

  /** Builds a {@link SigningKeySource}; {@link #build()} loads the key or throws. */
  public static final class Builder {
    private Format format;
    private Path path;
    private KeyPair keyPair;
    private String kid;
    private SigningAlgorithm algorithm = SigningAlgorithm.ES256;
    private Duration checkInterval = Duration.ofSeconds(10);
    private Duration activationDelay = Duration.ZERO;
    private Duration previousKeyRetention = Duration.ofMinutes(65);
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** Reads the key from a PEM file (PKCS#8 private key, optional public key). */
    public Builder pemFile(Path pemFile) {
      return source(Format.PEM, requireNonNull(pemFile, "pemFile"), null);
    }

    /** Reads the key from a private-JWK file that carries a {@code kid}. */
    public Builder jwkFile(Path jwkFile) {
      return source(Format.JWK, requireNonNull(jwkFile, "jwkFile"), null);
    }

    /** Uses a fixed in-memory key pair; never re-read. */
    public Builder keyPair(KeyPair keyPair) {
      return source(Format.MEMORY, null, requireNonNull(keyPair, "keyPair"));
    }

    private Builder source(Format format, Path path, KeyPair keyPair) {
      if (this.format != null) {
        throw new IllegalStateException("the key source is already set to " + this.format);
      }
      this.format = format;
      this.path = path;
      this.keyPair = keyPair;
      return this;
    }

    /**
     * The {@code kid} of a PEM or in-memory key; default the RFC 7638 thumbprint. A fixed kid means
     * a PEM file cannot rotate (a new key under the same kid is refused): prefer the default.
     */
    public Builder kid(String kid) {
      this.kid = requireNonNull(kid, "kid");
      return this;
    }

    /** The signing algorithm; default ES256. */
    public Builder algorithm(SigningAlgorithm algorithm) {
      this.algorithm = requireNonNull(algorithm, "algorithm");
      return this;
    }

    /** How often the file is checked for a change, at most; default 10 s. */
    public Builder checkInterval(Duration checkInterval) {
      this.checkInterval = requireNonNull(checkInterval, "checkInterval");
      return this;
    }

    /**
     * How long a newly found key is published before it signs; default zero (signs at once). Set it
     * above the verifiers' JWKS cache time to rotate without relying on their unknown-{@code kid}
     * refetch. At most one hour.
     */
    public Builder activationDelay(Duration activationDelay) {
      this.activationDelay = requireNonNull(activationDelay, "activationDelay");
      return this;
    }

    /** How long the previous key stays published after a rotation; default 65 minutes. */
    public Builder previousKeyRetention(Duration previousKeyRetention) {
      this.previousKeyRetention = requireNonNull(previousKeyRetention, "previousKeyRetention");
      return this;
    }

    /** The clock; default the system UTC clock. */
    public Builder clock(Clock clock) {
      this.clock = requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Loads and checks the key.
     *
     * @throws IllegalArgumentException if no source is set, a setting is out of range, or the key
     *     cannot be loaded or does not fit the algorithm (the message never holds key material)
     */
    public SigningKeySource build() {
      if (format == null) {
        throw new IllegalArgumentException(
            "no signing key: set pemFile(...), jwkFile(...) or keyPair(...)");
      }
      if (checkInterval.isNegative() || checkInterval.isZero()) {
        throw new IllegalArgumentException("checkInterval must be positive");
      }
      if (activationDelay.isNegative() || activationDelay.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("activationDelay must be between 0 and 1 hour");
      }
      if (previousKeyRetention.isNegative()) {
        throw new IllegalArgumentException("previousKeyRetention must not be negative");
      }
      if (kid != null && format == Format.JWK) {
        throw new IllegalArgumentException("the kid of a JWK file comes from the file");
      }
      try {
        if (kid != null) {
          KeyLoader.checkKid(kid);
        }
        if (format == Format.MEMORY) {
          return new SigningKeySource(this, KeyLoader.fromKeyPair(keyPair, kid, algorithm), null);
        }
        byte[] content;
        try {
          content = readFile(path);
        } catch (IOException e) {
          throw new IllegalArgumentException(
              "cannot read the signing key file "
                  + path
                  + " ("
                  + e.getClass().getSimpleName()
                  + ")");
        }
        try {
          LoadedKey key = load(format, content, kid, algorithm);
          return new SigningKeySource(this, key, sha256(content));
        } finally {
          java.util.Arrays.fill(content, (byte) 0);
        }
      } catch (KeyLoadException e) {
        throw new IllegalArgumentException(
            "unusable signing key" + (path != null ? " in " + path : "") + ": " + e.getMessage());
      }
    }
  }
}
