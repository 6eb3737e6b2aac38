package dev.gatehouse.trust.insecure;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.IncomingCall;
import dev.gatehouse.spi.Principal;
import dev.gatehouse.spi.Reason;
import dev.gatehouse.spi.TrustSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.logging.Logger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The {@code shared_secret} trust source, for development only: a caller that sends the one
 * configured secret in {@code x-internal-secret} is trusted as a fixed service subject with the
 * configured roles and scopes.
 *
 * <pre>{@code
 * TrustSource secret = InsecureSharedSecretTrustSource.newBuilder()
 *     .devMode(InsecureDevMode.acknowledge())      // required, or build() throws
 *     .secretFile(Path.of("dev-secret.txt"))       // >= 32 bytes, trailing newlines removed
 *     .roles(Set.of("trip-finisher"))
 *     .build();                                    // logs a loud warning
 * }</pre>
 *
 * <p>The comparison is constant-time and does not leak the secret's length: both the presented
 * value and the secret are HMAC-SHA256'd with a random per-process key and the two 32-byte MACs are
 * compared with {@link MessageDigest#isEqual}. Only the secret's MAC is kept in memory. The header
 * is removed from what the application sees. {@link #toString()} never shows the secret.
 */
public final class InsecureSharedSecretTrustSource implements TrustSource {
  /** The trust source name, {@code shared_secret}. */
  public static final String NAME = "shared_secret";

  /** The default header, {@code x-internal-secret}. */
  public static final String DEFAULT_HEADER = "x-internal-secret";

  /** The default subject, {@code dev-shared-secret}. */
  public static final String DEFAULT_SUBJECT = "dev-shared-secret";

  /** The shortest secret accepted, in bytes. */
  public static final int MIN_SECRET_BYTES = 32;

  /** The fewest distinct characters a secret may have. */
  public static final int MIN_DISTINCT_BYTES = 10;

  /** Presented values longer than this are refused without being MAC'd. */
  private static final int MAX_PRESENTED_LENGTH = 4096;

  private static final Logger logger =
      Logger.getLogger(InsecureSharedSecretTrustSource.class.getName());

  private final String header;
  private final String subject;
  private final Set<String> roles;
  private final Set<String> scopes;
  private final SecretKeySpec macKey;
  private final byte[] expectedMac;

  private InsecureSharedSecretTrustSource(Builder b, SecretKeySpec macKey, byte[] expectedMac) {
    this.header = b.header;
    this.subject = b.subject;
    this.roles = Set.copyOf(b.roles);
    this.scopes = Set.copyOf(b.scopes);
    this.macKey = macKey;
    this.expectedMac = expectedMac;
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /** {@code shared_secret}. */
  @Override
  public String name() {
    return NAME;
  }

  /** The configured header. */
  @Override
  public Set<String> credentialHeaders() {
    return Set.of(header);
  }

  /** The configured header: the application never sees the secret. */
  @Override
  public Set<String> headersToRemove() {
    return Set.of(header);
  }

  @Override
  public AuthResult authenticate(IncomingCall request) {
    List<String> values = request.headerValues(header);
    if (values.isEmpty()) {
      return AuthResult.noCredential();
    }
    if (values.size() > 1) {
      return AuthResult.rejected(
          Reason.DUPLICATE_CREDENTIALS, "header " + header + " has several values");
    }
    String presented = values.get(0);
    if (presented.length() > MAX_PRESENTED_LENGTH || !isVisibleAscii(presented)) {
      return AuthResult.rejected(Reason.SECRET_MISMATCH, "shared secret does not match");
    }
    byte[] mac = mac(macKey, presented.getBytes(StandardCharsets.US_ASCII));
    if (!MessageDigest.isEqual(mac, expectedMac)) {
      return AuthResult.rejected(Reason.SECRET_MISMATCH, "shared secret does not match");
    }
    return AuthResult.authenticated(
        Principal.newBuilder().subject(subject).roles(roles).scopes(scopes).build());
  }

  /** Never shows the secret. */
  @Override
  public String toString() {
    return "InsecureSharedSecretTrustSource{header="
        + header
        + ", subject="
        + subject
        + ", roles="
        + roles
        + ", scopes="
        + scopes
        + ", secret=<redacted>}";
  }

  private static boolean isVisibleAscii(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        return false;
      }
    }
    return true;
  }

  private static byte[] mac(SecretKeySpec key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(key);
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /**
   * Builds an {@link InsecureSharedSecretTrustSource}. {@link #devMode}, and a secret from {@link
   * #secret} or {@link #secretFile}, are required.
   */
  public static final class Builder {
    private InsecureDevMode devMode;
    private String header = DEFAULT_HEADER;
    private String subject = DEFAULT_SUBJECT;
    private Set<String> roles = Set.of();
    private Set<String> scopes = Set.of();
    private byte[] secret;
    private Path secretFile;

    private Builder() {}

    /** The dev-mode capability; without it {@link #build()} throws. */
    public Builder devMode(InsecureDevMode devMode) {
      this.devMode = requireNonNull(devMode, "devMode");
      return this;
    }

    /** The header carrying the secret; default {@code x-internal-secret}. */
    public Builder header(String header) {
      this.header = requireNonNull(header, "header").toLowerCase(Locale.ROOT);
      return this;
    }

    /** The subject callers get; default {@code dev-shared-secret}. */
    public Builder subject(String subject) {
      this.subject = requireNonNull(subject, "subject");
      return this;
    }

    /** The roles callers get; default none. */
    public Builder roles(Collection<String> roles) {
      this.roles = Set.copyOf(requireNonNull(roles, "roles"));
      return this;
    }

    /** The scopes callers get; default none. */
    public Builder scopes(Collection<String> scopes) {
      this.scopes = Set.copyOf(requireNonNull(scopes, "scopes"));
      return this;
    }

    /**
     * The secret's bytes (copied): at least 32 visible ASCII characters, since it travels in an
     * ASCII header. Replaces {@link #secretFile}.
     */
    public Builder secret(byte[] secret) {
      this.secret = requireNonNull(secret, "secret").clone();
      this.secretFile = null;
      return this;
    }

    /**
     * A file holding the secret, read at {@link #build()}: its bytes with trailing {@code \n} and
     * {@code \r} removed. Replaces {@link #secret}.
     */
    public Builder secretFile(Path secretFile) {
      this.secretFile = requireNonNull(secretFile, "secretFile");
      this.secret = null;
      return this;
    }

    /**
     * Builds the source and logs a warning that an insecure source is on.
     *
     * @throws IllegalStateException without dev mode or without a secret
     * @throws IllegalArgumentException if the secret is shorter than 32 bytes or not visible ASCII
     * @throws UncheckedIOException if the secret file cannot be read or holds more than 4096 bytes
     *     (the message names the path, never the content)
     */
    public InsecureSharedSecretTrustSource build() {
      if (devMode == null) {
        throw new IllegalStateException(
            "shared_secret is for development only and is refused unless dev mode is explicitly"
                + " on (dev_mode: true, or devMode(InsecureDevMode.acknowledge()) in code)");
      }
      if (!header.matches("[a-z0-9][a-z0-9_.-]*") || header.endsWith("-bin")) {
        throw new IllegalArgumentException(
            "shared_secret header " + header + " is not a valid ASCII gRPC header name");
      }
      if (subject.isBlank()) {
        throw new IllegalArgumentException("shared_secret subject is empty");
      }
      for (String v : roles) {
        if (v.isBlank()) {
          throw new IllegalArgumentException("shared_secret: empty role");
        }
      }
      for (String v : scopes) {
        if (v.isBlank()) {
          throw new IllegalArgumentException("shared_secret: empty scope");
        }
      }
      byte[] bytes;
      if (secretFile != null) {
        try {
          bytes = stripTrailingNewlines(SecretFile.read(secretFile));
        } catch (IOException e) {
          throw new UncheckedIOException(
              new IOException(
                  "shared_secret: cannot read secret file "
                      + secretFile
                      + ": "
                      + e.getClass().getSimpleName()));
        }
      } else if (secret != null) {
        bytes = secret.clone();
      } else {
        throw new IllegalStateException("shared_secret: a secret or a secret file is required");
      }
      try {
        if (bytes.length < MIN_SECRET_BYTES) {
          throw new IllegalArgumentException(
              "shared_secret: the secret is shorter than " + MIN_SECRET_BYTES + " bytes");
        }
        for (byte b : bytes) {
          if (b < 0x21 || b > 0x7e) {
            throw new IllegalArgumentException(
                "shared_secret: the secret must be visible ASCII (it travels in an ASCII header)");
          }
        }
        String weakness = weakness(bytes);
        if (weakness != null) {
          throw new IllegalArgumentException("shared_secret: " + weakness);
        }
        byte[] keyBytes = new byte[32];
        new SecureRandom().nextBytes(keyBytes);
        SecretKeySpec key = new SecretKeySpec(keyBytes, "HmacSHA256");
        Arrays.fill(keyBytes, (byte) 0);
        byte[] expected = mac(key, bytes);
        logger.warning(
            "INSECURE: the dev-only shared_secret trust source is ON. Any caller that knows the"
                + " secret in header "
                + header
                + " is trusted as "
                + subject
                + " with roles "
                + roles
                + ". Never run like this in production.");
        return new InsecureSharedSecretTrustSource(this, key, expected);
      } finally {
        Arrays.fill(bytes, (byte) 0);
      }
    }

    private static byte[] stripTrailingNewlines(byte[] bytes) {
      int end = bytes.length;
      while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) {
        end--;
      }
      byte[] out = Arrays.copyOf(bytes, end);
      Arrays.fill(bytes, (byte) 0);
      return out;
    }
  }

  /**
   * Why {@code secret} is too easy to guess, or null. Refused: fewer than {@value
   * #MIN_DISTINCT_BYTES} distinct characters, or the repetition of a shorter pattern ({@code
   * aaaa…}, {@code abab…}, a 16-character string written twice). Generate the secret, e.g. {@code
   * openssl rand -base64 32}.
   */
  static String weakness(byte[] secret) {
    boolean[] seen = new boolean[256];
    int distinct = 0;
    for (byte b : secret) {
      if (!seen[b & 0xff]) {
        seen[b & 0xff] = true;
        distinct++;
      }
    }
    if (distinct < MIN_DISTINCT_BYTES) {
      return "the secret has fewer than "
          + MIN_DISTINCT_BYTES
          + " distinct characters; generate a random one";
    }
    for (int period = 1; period <= secret.length / 2; period++) {
      boolean repeats = true;
      for (int i = period; i < secret.length && repeats; i++) {
        repeats = secret[i] == secret[i - period];
      }
      if (repeats) {
        return "the secret repeats a shorter pattern; generate a random one";
      }
    }
    return null;
  }
}
