package dev.gatehouse.trust.mesh;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One element of an {@code x-forwarded-client-cert} header: the details of one client certificate,
 * as {@code key=value} pairs with the quoting removed. Immutable.
 */
final class XfccElement {
  /** The keys Envoy writes. Matched case-insensitively. */
  enum Key {
    /** The SAN URI of the proxy that added the element (its own identity). */
    BY(0, true),
    /** SHA-256 of the client certificate, hex. */
    HASH(1, true),
    /** The URL-encoded PEM client certificate. */
    CERT(2, true),
    /** The URL-encoded PEM client certificate chain. */
    CHAIN(3, true),
    /** The certificate's subject DN, always quoted. */
    SUBJECT(4, true),
    /** A URI SAN of the client certificate; a SPIFFE ID in a mesh. */
    URI(5, false),
    /** A DNS SAN of the client certificate. */
    DNS(6, false),
    /** Legacy name of URI in old Envoy releases: parsed, never read as an identity. */
    SAN(7, false);

    final int slot;
    final boolean single;

    Key(int slot, boolean single) {
      this.slot = slot;
      this.single = single;
    }

    private static final Key[] ALL = values();

    static Key of(String name) {
      return of(name, 0, name.length());
    }

    /** The key spelled by {@code text[from, to)}, case-insensitively; null if none. No copy. */
    static Key of(String text, int from, int to) {
      int len = to - from;
      for (Key k : ALL) {
        String n = k.name();
        if (n.length() == len && text.regionMatches(true, from, n, 0, len)) {
          return k;
        }
      }
      return null;
    }
  }

  /** By key slot: null (absent), a String (one value) or an unmodifiable List of them. */
  private final Object[] values;

  private XfccElement(Object[] values) {
    this.values = values;
  }

  /** Every value of {@code key} in this element, in order; empty if absent. */
  @SuppressWarnings("unchecked")
  List<String> values(Key key) {
    Object v = values[key.slot];
    if (v == null) {
      return List.of();
    }
    return v instanceof String one ? List.of(one) : (List<String>) v;
  }

  /** The value of a single-valued key. */
  Optional<String> value(Key key) {
    Object v = values[key.slot];
    if (v == null) {
      return Optional.empty();
    }
    return Optional.of(v instanceof String one ? one : values(key).get(0));
  }

  /** The keys present, for diagnostics (never the values). */
  @Override
  public String toString() {
    List<Key> present = new ArrayList<>();
    for (Key k : Key.ALL) {
      if (values[k.slot] != null) {
        present.add(k);
      }
    }
    return "XfccElement" + present;
  }

  /** Collects the pairs of one element; {@link #build()} ends its use. */
  static final class Builder {
    private Object[] values = new Object[Key.ALL.length];

    /** Adds a pair; false if a single-valued key is repeated. */
    boolean add(Key key, String value) {
      int k = key.slot;
      Object v = values[k];
      if (v == null) {
        values[k] = value;
        return true;
      }
      if (key.single) {
        return false;
      }
      List<String> list;
      if (v instanceof String one) {
        list = new ArrayList<>();
        list.add(one);
      } else {
        @SuppressWarnings("unchecked")
        List<String> more = (List<String>) v;
        list = more;
      }
      list.add(value);
      values[k] = list;
      return true;
    }

    XfccElement build() {
      Object[] out = values;
      if (out == null) {
        throw new IllegalStateException("builder already used");
      }
      values = null;
      for (int k = 0; k < out.length; k++) {
        if (out[k] instanceof List<?> list) {
          out[k] = List.copyOf(list);
        }
      }
      return new XfccElement(out);
    }
  }
}
