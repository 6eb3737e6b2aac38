package dev.gatehouse.config;

import static java.util.Objects.requireNonNull;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * One YAML mapping of the configuration file, being read by a section parser. Every typed getter
 * names the full field path (for example {@code internal.mesh_identity.trusted_proxies[1]}) in the
 * {@link ConfigException} it throws, and records the key as read; {@link #finish()} then refuses
 * every key that was not read as an {@code unknown field}.
 *
 * <p>Not thread-safe: one parser reads one node. Relative file names resolve against {@link
 * #baseDir()}, the directory of the configuration file.
 */
public final class ConfigNode {
  private final String path;
  private final Map<String, Object> map;
  private final Path baseDir;
  private final Set<String> consumed = new LinkedHashSet<>();

  private ConfigNode(String path, Map<String, Object> map, Path baseDir) {
    this.path = path;
    this.map = map;
    this.baseDir = baseDir;
  }

  /**
   * A node for a parsed YAML value, which must be a mapping with string keys.
   *
   * @param path the dotted path of the value ({@code ""} for the document root)
   * @param value the value as the YAML loader produced it
   * @param baseDir the directory relative file names resolve against
   * @throws ConfigException if the value is not a mapping with string keys
   */
  public static ConfigNode of(String path, Object value, Path baseDir) {
    requireNonNull(path, "path");
    requireNonNull(baseDir, "baseDir");
    if (!(value instanceof Map<?, ?> m)) {
      throw new ConfigException(path, "expected a mapping, got " + typeName(value));
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<?, ?> e : m.entrySet()) {
      if (!(e.getKey() instanceof String k)) {
        throw new ConfigException(path, "keys must be strings");
      }
      out.put(k, e.getValue());
    }
    return new ConfigNode(path, out, baseDir);
  }

  /** The dotted path of this node ({@code ""} for the root). */
  public String path() {
    return path;
  }

  /** The dotted path of {@code key} in this node; {@code ""} gives the node's own path. */
  public String path(String key) {
    if (key.isEmpty()) {
      return path;
    }
    return path.isEmpty() ? key : path + "." + key;
  }

  /** The directory relative file names resolve against. */
  public Path baseDir() {
    return baseDir;
  }

  /** Whether {@code key} is present (does not mark it as read). */
  public boolean has(String key) {
    return map.containsKey(key);
  }

  /** The keys present, in file order (does not mark them as read). */
  public Set<String> keys() {
    return java.util.Collections.unmodifiableSet(new LinkedHashSet<>(map.keySet()));
  }

  /** Marks {@code key} as read without reading it (a key a caller handles itself). */
  public void markRead(String key) {
    consumed.add(key);
  }

  private Object take(String key) {
    consumed.add(key);
    return map.get(key);
  }

  /**
   * The error for a required {@code key} that is absent: when a present key is a likely typo of it
   * (at most two edits away, e.g. {@code service_nmae}, {@code jwks_url}), the error names that
   * unknown field and suggests {@code key}; otherwise {@code key} with {@code message}.
   */
  public ConfigException missing(String key, String message) {
    for (String present : map.keySet()) {
      if (!consumed.contains(present) && !present.equals(key) && editDistance(present, key) <= 2) {
        return new ConfigException(path(present), "unknown field (did you mean " + key + "?)");
      }
    }
    return new ConfigException(path(key), message);
  }

  /** Levenshtein distance, for short field names only. */
  private static int editDistance(String a, String b) {
    if (Math.abs(a.length() - b.length()) > 2 || a.length() > 64 || b.length() > 64) {
      return Integer.MAX_VALUE;
    }
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /** A required, non-blank string. */
  public String requiredString(String key) {
    if (!map.containsKey(key)) {
      throw missing(key, "is required");
    }
    String s = string(key, null);
    if (s.isBlank()) {
      throw new ConfigException(path(key), "must not be empty");
    }
    return s;
  }

  /** An optional string, {@code def} when absent; never empty or padded with whitespace. */
  public String string(String key, String def) {
    Object v = take(key);
    if (v == null && !map.containsKey(key)) {
      return def;
    }
    if (!(v instanceof String s)) {
      throw new ConfigException(path(key), "expected a string, got " + typeName(v));
    }
    if (!s.strip().equals(s) || s.isEmpty()) {
      throw new ConfigException(path(key), "must not be empty or padded with whitespace");
    }
    return s;
  }

  /** An optional string, empty when absent. */
  public Optional<String> optionalString(String key) {
    return has(key) ? Optional.of(requiredString(key)) : Optional.empty();
  }

  /** {@code true} or {@code false} only (YAML 1.1 {@code yes}/{@code on} are refused). */
  public boolean bool(String key, boolean def) {
    if (!map.containsKey(key)) {
      consumed.add(key);
      return def;
    }
    Object v = take(key);
    if (!(v instanceof Boolean b)) {
      throw new ConfigException(path(key), "expected true or false, got " + typeName(v));
    }
    return b;
  }

  /** An optional boolean, empty when absent. */
  public Optional<Boolean> optionalBool(String key) {
    return has(key) ? Optional.of(bool(key, false)) : Optional.empty();
  }

  /** An integer in {@code [min, max]}, {@code def} when absent. */
  public long integer(String key, long def, long min, long max) {
    if (!map.containsKey(key)) {
      consumed.add(key);
      return def;
    }
    Object v = take(key);
    long n;
    if (v instanceof Integer i) {
      n = i;
    } else if (v instanceof Long l) {
      n = l;
    } else if (v instanceof BigInteger) {
      throw new ConfigException(path(key), "must be between " + min + " and " + max);
    } else {
      throw new ConfigException(path(key), "expected an integer, got " + typeName(v));
    }
    if (n < min || n > max) {
      throw new ConfigException(path(key), "must be between " + min + " and " + max);
    }
    return n;
  }

  /** A nested mapping, empty when absent. */
  public Optional<ConfigNode> optionalNode(String key) {
    if (!map.containsKey(key)) {
      return Optional.empty();
    }
    return Optional.of(of(path(key), take(key), baseDir));
  }

  /** A list of mappings, each read by {@code item}; empty when absent. */
  public <T> List<T> list(String key, Function<ConfigNode, T> item) {
    return rawList(key, (p, v) -> item.apply(of(p, v, baseDir)));
  }

  /** A list of distinct, non-blank strings; empty when absent. */
  public List<String> stringList(String key) {
    List<String> out =
        rawList(
            key,
            (p, v) -> {
              if (!(v instanceof String s) || s.isBlank() || !s.strip().equals(s)) {
                throw new ConfigException(p, "expected a non-empty string, got " + typeName(v));
              }
              return s;
            });
    if (new HashSet<>(out).size() != out.size()) {
      throw new ConfigException(path(key), "lists a value twice");
    }
    return out;
  }

  /**
   * A credential header name, {@code def} when absent: lower-case ASCII, not {@code -bin}, not
   * {@code grpc-}.
   */
  public String header(String key, String def) {
    String h = string(key, def);
    if (!h.matches("[a-z0-9][a-z0-9_.-]*") || h.endsWith("-bin") || h.startsWith("grpc-")) {
      throw new ConfigException(
          path(key), "must be a lower-case ASCII header name (not -bin, not grpc-)");
    }
    return h;
  }

  /** A required file name, resolved against {@link #baseDir()} and normalised (not read). */
  public Path file(String key) {
    return baseDir.resolve(requiredString(key)).normalize();
  }

  /** A required file name that must name a readable file. */
  public Path readableFile(String key) {
    Path p = file(key);
    if (!Files.isReadable(p)) {
      throw new ConfigException(path(key), "cannot read " + p);
    }
    return p;
  }

  private <T> List<T> rawList(String key, BiFunction<String, Object, T> item) {
    if (!map.containsKey(key)) {
      consumed.add(key);
      return List.of();
    }
    Object v = take(key);
    if (!(v instanceof List<?> l)) {
      throw new ConfigException(path(key), "expected a list, got " + typeName(v));
    }
    List<T> out = new ArrayList<>();
    for (int i = 0; i < l.size(); i++) {
      out.add(item.apply(path(key) + "[" + i + "]", l.get(i)));
    }
    return out;
  }

  /**
   * Refuses the first key that was never read.
   *
   * @throws ConfigException {@code unknown field}, naming it
   */
  public void finish() {
    for (String k : map.keySet()) {
      if (!consumed.contains(k)) {
        throw new ConfigException(path(k), "unknown field");
      }
    }
  }

  /**
   * Refuses the value at {@code index} of {@code values} that repeats an earlier one.
   *
   * @param field the path of the element's field, given its index (e.g. {@code i ->
   *     node.path("issuers[" + i + "].issuer")})
   * @param what the noun for the message, e.g. {@code "issuer"} gives {@code issuer listed twice:
   *     X}
   */
  public static void requireDistinct(
      List<String> values, java.util.function.IntFunction<String> field, String what) {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < values.size(); i++) {
      if (!seen.add(values.get(i))) {
        throw new ConfigException(field.apply(i), what + " listed twice: " + values.get(i));
      }
    }
  }

  static String typeName(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof String) {
      return "a string";
    }
    if (v instanceof Boolean) {
      return "a boolean";
    }
    if (v instanceof Number) {
      return "a number";
    }
    if (v instanceof List) {
      return "a list";
    }
    if (v instanceof Map) {
      return "a mapping";
    }
    return v.getClass().getSimpleName().toLowerCase(Locale.ROOT);
  }
}
