package dev.gatehouse.trust.insecure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads a shared-secret file with a bound: a secret is a few dozen bytes, so a file name that
 * points at something endless ({@code /dev/zero}) or huge is refused after {@value #MAX_BYTES} + 1
 * bytes instead of being read into memory whole.
 */
final class SecretFile {
  /** The longest secret file accepted, trailing newlines included. */
  static final int MAX_BYTES = 4096;

  private SecretFile() {}

  /** A file longer than {@link #MAX_BYTES}; the message names the bound, never content. */
  static final class TooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeException() {
      super("larger than " + MAX_BYTES + " bytes");
    }
  }

  /**
   * The file's bytes.
   *
   * @throws TooLargeException if it holds more than {@link #MAX_BYTES} bytes (what was read is
   *     zeroed)
   * @throws IOException if it cannot be read
   */
  static byte[] read(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(MAX_BYTES + 1);
      if (bytes.length > MAX_BYTES) {
        Arrays.fill(bytes, (byte) 0);
        throw new TooLargeException();
      }
      return bytes;
    }
  }
}
