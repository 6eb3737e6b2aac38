package dev.gatehouse.replay.redis;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * A parsed {@code redis://[[user]:password@]host[:port][/db]} (or {@code rediss://} for TLS) URI.
 * Its {@link #toString()} is the redacted form {@code redis://host:port/db}: the only form that may
 * appear in a log line or an error. Parse errors never quote the URI.
 */
final class RedisEndpoint {
  static final int DEFAULT_PORT = 6379;

  private final boolean tls;
  private final String host;
  private final int port;
  private final int database;
  private final Optional<String> user;
  private final char[] password;

  private RedisEndpoint(
      boolean tls, String host, int port, int database, Optional<String> user, char[] password) {
    this.tls = tls;
    this.host = host;
    this.port = port;
    this.database = database;
    this.user = user;
    this.password = password;
  }

  /**
   * Parses {@code uri}.
   *
   * @throws IllegalArgumentException with a message that does not quote the URI
   */
  static RedisEndpoint parse(String uri) {
    URI u;
    try {
      u = new URI(uri);
    } catch (URISyntaxException e) {
      // Not chained: the parser's message quotes the input, which may hold a password.
      throw new IllegalArgumentException("not a valid URI (redis://host:port)");
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("redis") && !scheme.equals("rediss")) {
      throw new IllegalArgumentException("scheme must be redis or rediss (redis://host:port)");
    }
    if (u.getHost() == null || u.getHost().isEmpty()) {
      throw new IllegalArgumentException("host is missing (redis://host:port)");
    }
    int port = u.getPort() < 0 ? DEFAULT_PORT : u.getPort();
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be between 1 and 65535");
    }
    if (u.getRawQuery() != null || u.getRawFragment() != null) {
      throw new IllegalArgumentException("query and fragment are not supported");
    }
    int database = 0;
    String path = u.getPath() == null ? "" : u.getPath();
    if (!path.isEmpty() && !path.equals("/")) {
      if (!path.matches("/[0-9]{1,5}")) {
        throw new IllegalArgumentException("path must be empty or /DATABASE (a number)");
      }
      database = Integer.parseInt(path.substring(1));
    }
    Optional<String> user = Optional.empty();
    char[] password = null;
    String info = u.getUserInfo();
    if (info != null) {
      int colon = info.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException(
            "credentials must be written user:password@ or :password@");
      }
      if (colon > 0) {
        user = Optional.of(info.substring(0, colon));
      }
      password = info.substring(colon + 1).toCharArray();
      if (password.length == 0) {
        throw new IllegalArgumentException("the password is empty");
      }
    }
    return new RedisEndpoint(scheme.equals("rediss"), u.getHost(), port, database, user, password);
  }

  boolean tls() {
    return tls;
  }

  String host() {
    return host;
  }

  int port() {
    return port;
  }

  int database() {
    return database;
  }

  Optional<String> user() {
    return user;
  }

  /** A copy of the password, if any. */
  Optional<char[]> password() {
    return password == null ? Optional.empty() : Optional.of(password.clone());
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RedisEndpoint e
        && e.tls == tls
        && e.host.equals(host)
        && e.port == port
        && e.database == database
        && e.user.equals(user)
        && Arrays.equals(e.password, password);
  }

  @Override
  public int hashCode() {
    return host.hashCode() * 31 + port;
  }

  /** The redacted form, without user or password. */
  @Override
  public String toString() {
    String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    return (tls ? "rediss://" : "redis://") + h + ":" + port + "/" + database;
  }
}
