package dev.gatehouse.trust.mesh;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One element of an {@code x-forwarded-client-cert} header: the details of one client certificate,
 * as {@code key=value} pairs with the quoting removed. Immutable.
 */
final class XfccElement {
  /** The keys Envoy writes. Matched case-insensitively. */
  enum Key {
    /** The SAN URI of the proxy that added the element (its own identity). */
    BY(true),
    /** SHA-256 of the client certificate, hex. */
    HASH(true),
    /** The URL-encoded PEM client certificate. */
    CERT(true),
    /** The URL-encoded PEM client certificate chain. */
    CHAIN(true),
    /** The certificate's subject DN, always quoted. */
    SUBJECT(true),
    /** A URI SAN of the client certificate; a SPIFFE ID in a mesh. */
    URI(false),
    /** A DNS SAN of the client certificate. */
    DNS(false),
    /** Legacy name of URI in old Envoy releases: parsed, never read as an identity. */
    SAN(false);

    final boolean single;

    Key(boolean single) {
      this.single = single;
    }

    static Key of(String name) {
      String upper = name.toUpperCase(Locale.ROOT);
      for (Key k : values()) {
        if (k.name().equals(upper)) {
          return k;
        }
      }
      return null;
    }
  }

  private final Map<Key, List<String>> values;

  private XfccElement(Map<Key, List<String>> values) {
    this.values = values;
  }

  /** Every value of {@code key} in this element, in order; empty if absent. */
  List<String> values(Key key) {
    return values.getOrDefault(key, List.of());
  }

  /** The value of a single-valued key. */
  Optional<String> value(Key key) {
    List<String> v = values(key);
    return v.isEmpty() ? Optional.empty() : Optional.of(v.get(0));
  }

  /** The keys present, for diagnostics (never the values). */
  @Override
  public String toString() {
    return "XfccElement" + values.keySet();
  }

  /** Collects the pairs of one element. */
  static final class Builder {
    private final Map<Key, List<String>> values = new EnumMap<>(Key.class);

    /** Adds a pair; false if a single-valued key is repeated. */
    boolean add(Key key, String value) {
      List<String> list = values.computeIfAbsent(key, k -> new ArrayList<>());
      if (key.single && !list.isEmpty()) {
        return false;
      }
      list.add(value);
      return true;
    }

    XfccElement build() {
      Map<Key, List<String>> copy = new EnumMap<>(Key.class);
      values.forEach((k, v) -> copy.put(k, List.copyOf(v)));
      return new XfccElement(Collections.unmodifiableMap(copy));
    }
  }
}
