package dev.gatehouse.testing;

import com.google.common.net.InetAddresses;
import com.nimbusds.jose.util.JSONObjectUtils;
import dev.gatehouse.spi.AuthResult;
import dev.gatehouse.spi.Authenticator;
import dev.gatehouse.spi.IncomingCall;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Shared helpers for trust-source tests: vectors, peers, a user authenticator, log capture. */
public final class TestSupport {
  private TestSupport() {}

  /** The shared vectors directory (set by surefire). */
  public static Path vectors() {
    String dir = System.getProperty("gatehouse.vectors");
    if (dir == null) {
      throw new IllegalStateException("system property gatehouse.vectors is not set");
    }
    return Path.of(dir);
  }

  /** The {@code cases} array of a vector file. */
  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> cases(String relativePath) throws Exception {
    String json = Files.readString(vectors().resolve(relativePath), StandardCharsets.UTF_8);
    Map<String, Object> root = JSONObjectUtils.parse(json, -1);
    return (List<Map<String, Object>>) root.get("cases");
  }

  /** A peer at a literal IP address (never resolved). */
  public static InetSocketAddress peer(String literal) {
    return new InetSocketAddress(InetAddresses.forString(literal), 40000);
  }

  /** A peer whose address is an IPv4-mapped IPv6 address object, as a dual-stack socket shows. */
  public static InetSocketAddress mappedPeer(String ipv4) throws Exception {
    byte[] v4 = InetAddresses.forString(ipv4).getAddress();
    byte[] v6 = new byte[16];
    v6[10] = (byte) 0xff;
    v6[11] = (byte) 0xff;
    System.arraycopy(v4, 0, v6, 12, 4);
    InetAddress mapped = java.net.Inet6Address.getByAddress(null, v6, -1);
    return new InetSocketAddress(mapped, 40000);
  }

  /**
   * A user authenticator that never finds a credential in {@code authorization}; the Probe service
   * has gated methods, so the chain needs one.
   */
  public static Authenticator noUsers() {
    return new Authenticator() {
      @Override
      public String name() {
        return "test_user";
      }

      @Override
      public Set<String> credentialHeaders() {
        return Set.of("authorization");
      }

      @Override
      public AuthResult authenticate(IncomingCall request) {
        return AuthResult.noCredential();
      }
    };
  }

  /** Captures log records of one logger while open. */
  public static final class LogCapture extends Handler implements AutoCloseable {
    private final Logger logger;
    private final List<LogRecord> records = new CopyOnWriteArrayList<>();

    public LogCapture(Class<?> type) {
      this.logger = Logger.getLogger(type.getName());
      logger.addHandler(this);
    }

    public List<LogRecord> records() {
      return records;
    }

    /** Every message, formatted with its parameters. */
    public String text() {
      StringBuilder sb = new StringBuilder();
      for (LogRecord r : records) {
        sb.append(r.getLevel()).append(' ').append(r.getMessage()).append('\n');
      }
      return sb.toString();
    }

    @Override
    public void publish(LogRecord record) {
      records.add(record);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      logger.removeHandler(this);
    }
  }
}
