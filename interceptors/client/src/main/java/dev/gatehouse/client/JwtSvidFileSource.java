package dev.gatehouse.client;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * JWT-SVIDs read from files that a helper rewrites before they expire, one file per audience, in
 * the layout of spiffe-helper ({@code jwt_svids: [{jwt_audience, jwt_svid_file_name}]}): the file
 * holds the compact token, optionally followed by a line break. The file is read again on every
 * fetch (at half-life of the cached token), bounded to {@value #MAX_BYTES} bytes.
 *
 * <pre>{@code
 * JwtSvidSource svids = JwtSvidFileSource.newBuilder()
 *     .file("trips", Path.of("/run/spiffe/jwt-trips.token"))
 *     .build();
 * }</pre>
 */
public final class JwtSvidFileSource implements JwtSvidSource {
  /** The largest file accepted: 16 KiB. */
  public static final int MAX_BYTES = 16 * 1024;

  private final Map<String, Path> files;

  private JwtSvidFileSource(Map<String, Path> files) {
    this.files = Map.copyOf(files);
  }

  /** A source with one file for every audience (a helper that writes one JWT-SVID). */
  public static JwtSvidFileSource of(String audience, Path file) {
    return newBuilder().file(audience, file).build();
  }

  /** A new builder. */
  public static Builder newBuilder() {
    return new Builder();
  }

  /**
   * Reads the audience's file.
   *
   * @throws IOException if the audience has no file, the file cannot be read, is empty, too large
   *     or not one printable ASCII token
   */
  @Override
  public String fetch(String audience) throws IOException {
    Path file = files.get(audience);
    if (file == null) {
      throw new IOException("no JWT-SVID file is configured for audience " + audience);
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_BYTES + 1);
    }
    if (bytes.length > MAX_BYTES) {
      throw new IOException("JWT-SVID file " + file + " is larger than " + MAX_BYTES + " bytes");
    }
    String token = new String(bytes, StandardCharsets.US_ASCII).strip();
    if (token.isEmpty() || !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IOException("JWT-SVID file " + file + " does not hold one compact JWT");
    }
    return token;
  }

  /** The audiences and their files; never the content. */
  @Override
  public String toString() {
    return "JwtSvidFileSource" + files;
  }

  /** Builds a {@link JwtSvidFileSource}; at least one file is required. */
  public static final class Builder {
    private final Map<String, Path> files = new LinkedHashMap<>();

    private Builder() {}

    /**
     * The file holding the JWT-SVID for {@code audience}.
     *
     * @throws IllegalArgumentException on a blank audience or an audience given twice
     */
    public Builder file(String audience, Path file) {
      requireNonNull(audience, "audience");
      requireNonNull(file, "file");
      if (audience.isBlank()) {
        throw new IllegalArgumentException("JwtSvidFileSource: audience must not be blank");
      }
      if (files.putIfAbsent(audience, file.toAbsolutePath()) != null) {
        throw new IllegalArgumentException(
            "JwtSvidFileSource: audience " + audience + " has two files");
      }
      return this;
    }

    /**
     * Builds.
     *
     * @throws IllegalStateException if no file is configured
     */
    public JwtSvidFileSource build() {
      if (files.isEmpty()) {
        throw new IllegalStateException("JwtSvidFileSource: at least one file is required");
      }
      return new JwtSvidFileSource(files);
    }
  }
}
