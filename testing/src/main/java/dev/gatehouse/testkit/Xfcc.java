package dev.gatehouse.testkit;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * Builds Envoy {@code x-forwarded-client-cert} header values, as a sidecar writes them: one element
 * per hop, each a {@code ;}-separated list of {@code key=value} pairs, elements joined by {@code
 * ,}. Values with separators or quotes are quoted and escaped.
 *
 * <pre>{@code
 * String xfcc = Xfcc.element()
 *     .by("spiffe://cluster.local/ns/trips/sa/trips")
 *     .uri("spiffe://cluster.local/ns/trips/sa/worker")
 *     .build();
 * String twoHops = Xfcc.join(upstream, xfcc);     // rightmost = the last hop
 * }</pre>
 */
public final class Xfcc {
  /** The header name, {@code x-forwarded-client-cert}. */
  public static final String HEADER = "x-forwarded-client-cert";

  private final List<String> pairs = new ArrayList<>();

  private Xfcc() {}

  /** A new element. */
  public static Xfcc element() {
    return new Xfcc();
  }

  /** Elements joined into one header value, leftmost first. */
  public static String join(String... elements) {
    if (elements.length == 0) {
      throw new IllegalArgumentException("at least one element is required");
    }
    for (String e : elements) {
      requireNonNull(e, "element");
    }
    return String.join(",", elements);
  }

  /** {@code "By"}: the identity of the proxy that wrote the element. */
  public Xfcc by(String by) {
    return pair("By", by);
  }

  /** {@code "Hash"}: the hex SHA-256 of the client certificate. */
  public Xfcc hash(String hash) {
    return pair("Hash", hash);
  }

  /** {@code "URI"}: a URI SAN of the client certificate (the SPIFFE ID). */
  public Xfcc uri(String uri) {
    return pair("URI", uri);
  }

  /** {@code "DNS"}: a DNS SAN of the client certificate. */
  public Xfcc dns(String dns) {
    return pair("DNS", dns);
  }

  /** {@code "Subject"}: the client certificate's subject DN (always quoted). */
  public Xfcc subject(String subject) {
    pairs.add("Subject=" + quote(requireNonNull(subject, "subject")));
    return this;
  }

  /** Any pair, quoted when needed. */
  public Xfcc pair(String key, String value) {
    requireNonNull(key, "key");
    requireNonNull(value, "value");
    if (!key.matches("[A-Za-z]+")) {
      throw new IllegalArgumentException("XFCC key must be letters only");
    }
    pairs.add(key + "=" + (value.matches("[^,;=\"\\\\\\s]*") ? value : quote(value)));
    return this;
  }

  private static String quote(String value) {
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /** The element, {@code By=...;URI=...}. */
  public String build() {
    if (pairs.isEmpty()) {
      throw new IllegalStateException("an XFCC element needs at least one pair");
    }
    return String.join(";", pairs);
  }

  @Override
  public String toString() {
    return "Xfcc{" + String.join(";", pairs) + "}";
  }
}
