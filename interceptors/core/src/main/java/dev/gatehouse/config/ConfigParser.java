package dev.gatehouse.config;

import dev.gatehouse.config.GatehouseConfig.OverrideConfig;
import dev.gatehouse.config.GatehouseConfig.OverrideMode;
import dev.gatehouse.policy.Preset;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.DuplicateKeyException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.schema.JsonSchema;

/**
 * Strict reader of the configuration document: the top level here, each section by its registered
 * provider, then the cross-section claims.
 */
final class ConfigParser {
  private final ConfigSections providers;

  private ConfigParser(ConfigSections providers) {
    this.providers = providers;
  }

  static GatehouseConfig parse(String text, Path baseDir, ConfigSections providers) {
    if (text.length() > GatehouseConfig.MAX_FILE_BYTES) {
      throw new ConfigException("", "config is larger than " + GatehouseConfig.MAX_FILE_BYTES);
    }
    LoadSettings settings =
        LoadSettings.builder()
            .setLabel("gatehouse config")
            // YAML 1.2 JSON schema: `on`, `no`, `yes` stay strings and then fail the type check
            // of a boolean field instead of silently becoming booleans.
            .setSchema(new JsonSchema())
            .setAllowDuplicateKeys(false)
            .setAllowRecursiveKeys(false)
            .setMaxAliasesForCollections(10)
            .setCodePointLimit(GatehouseConfig.MAX_FILE_BYTES)
            .setDefaultMap(LinkedHashMap::new)
            .build();
    Object root;
    try {
      Iterable<Object> docs = new Load(settings).loadAllFromString(text);
      List<Object> all = new ArrayList<>();
      docs.forEach(all::add);
      if (all.size() != 1) {
        throw new ConfigException("", "expected exactly one YAML document, found " + all.size());
      }
      root = all.get(0);
    } catch (DuplicateKeyException e) {
      throw new ConfigException("", "duplicate key " + firstLine(e.getMessage()));
    } catch (YamlEngineException e) {
      throw new ConfigException("", "not valid YAML: " + firstLine(e.getMessage()));
    } catch (StackOverflowError e) {
      // The YAML library walks nesting recursively; a few KB of nested collections exhaust the
      // stack. That is a bad file like any other, never an Error that escapes.
      throw new ConfigException("", NESTED_TOO_DEEPLY);
    }
    if (root == null) {
      throw new ConfigException("", "config is empty");
    }
    if (depth(root) > MAX_DEPTH) {
      throw new ConfigException("", NESTED_TOO_DEEPLY);
    }
    return new ConfigParser(providers).config(ConfigNode.of("", root, baseDir));
  }

  /** Deeper than any documented field (the deepest, an allow entry's roles, is six) with room. */
  static final int MAX_DEPTH = 16;

  static final String NESTED_TOO_DEEPLY =
      "config is nested more than " + MAX_DEPTH + " levels deep";

  /** The nesting depth of a loaded document, walked with an explicit stack. */
  private static int depth(Object root) {
    int max = 0;
    java.util.Deque<Object[]> stack = new java.util.ArrayDeque<>();
    stack.push(new Object[] {root, 1});
    while (!stack.isEmpty()) {
      Object[] top = stack.pop();
      int d = (Integer) top[1];
      max = Math.max(max, d);
      if (d > MAX_DEPTH) {
        return d;
      }
      Iterable<?> children =
          top[0] instanceof Map<?, ?> map
              ? map.values()
              : top[0] instanceof List<?> list ? list : List.of();
      for (Object child : children) {
        if (child instanceof Map || child instanceof List) {
          stack.push(new Object[] {child, d + 1});
        }
      }
    }
    return max;
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    String line = message.strip();
    int nl = line.indexOf('\n');
    line = nl < 0 ? line : line.substring(0, nl);
    return line.length() > 200 ? line.substring(0, 200) : line;
  }

  private GatehouseConfig config(ConfigNode root) {
    String serviceName = root.requiredString("service_name");
    boolean devMode = root.bool("dev_mode", false);
    boolean dryRun = root.bool("dry_run", false);
    long skew = root.integer("clock_skew_seconds", 30, 0, 120);
    List<OverrideConfig> overrides = root.list("overrides", ConfigParser::override);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < overrides.size(); i++) {
      if (!seen.add(overrides.get(i).method())) {
        throw new ConfigException(
            root.path("overrides[" + i + "].method"),
            "declared twice: " + overrides.get(i).method());
      }
    }
    List<Preset> presets = presets(root);
    GatehouseConfig top =
        GatehouseConfig.topLevel(
            serviceName, devMode, dryRun, Duration.ofSeconds(skew), overrides, presets);

    // Which sections are present: user_jwt and each key under internal.
    Map<String, ConfigNode> present = new LinkedHashMap<>();
    if (root.has(KnownSections.USER_JWT) && sectionWanted(KnownSections.USER_JWT)) {
      present.put(KnownSections.USER_JWT, root.optionalNode(KnownSections.USER_JWT).orElseThrow());
    }
    Optional<ConfigNode> internal = root.optionalNode(KnownSections.INTERNAL);
    if (internal.isPresent()) {
      ConfigNode in = internal.get();
      for (String key : parseOrder(in.keys(), providers)) {
        String path = KnownSections.INTERNAL + "." + key;
        if (sectionWanted(path)) {
          present.put(path, in.optionalNode(key).orElseThrow());
        }
      }
    }
    Map<String, ConfigSection> parsed = new HashMap<>();
    for (Map.Entry<String, ConfigNode> e : present.entrySet()) {
      parsed.put(e.getKey(), parseSection(providers.provider(e.getKey()).orElseThrow(), e, top));
    }
    List<String> chain = KnownSections.chainOrder(new ArrayList<>(present.keySet()));
    checkHeaders(chain, parsed);
    internal.ifPresent(ConfigNode::finish);
    root.finish();
    checkIssuers(chain, parsed);
    Map<String, ConfigSection> ordered = new LinkedHashMap<>();
    chain.forEach(p -> ordered.put(p, parsed.get(p)));
    return top.withSections(ordered);
  }

  /**
   * Whether the section at {@code path} (present in the file) has a provider. A documented section
   * without one is refused; an undocumented one is left for {@link ConfigNode#finish()} to refuse
   * as an unknown field.
   */
  private boolean sectionWanted(String path) {
    if (providers.provider(path).isPresent()) {
      return true;
    }
    if (KnownSections.isKnown(path)) {
      throw KnownSections.noProvider(path);
    }
    return false;
  }

  /**
   * The keys under {@code internal}: the documented ones in their fixed order, then those of other
   * registered providers in registration order, then the rest (refused as unknown fields).
   */
  private static List<String> parseOrder(Set<String> keys, ConfigSections providers) {
    List<String> out = new ArrayList<>();
    for (String path : KnownSections.PARSE_ORDER) {
      String key = path.substring(path.indexOf('.') + 1);
      if (path.startsWith(KnownSections.INTERNAL + ".") && keys.contains(key)) {
        out.add(key);
      }
    }
    for (ConfigSectionProvider<?> p : providers.providers()) {
      String key = p.path().substring(p.path().indexOf('.') + 1);
      if (p.path().startsWith(KnownSections.INTERNAL + ".")
          && keys.contains(key)
          && !out.contains(key)) {
        out.add(key);
      }
    }
    keys.stream().filter(k -> !out.contains(k)).sorted().forEach(out::add);
    return out;
  }

  private static <S extends ConfigSection> ConfigSection parseSection(
      ConfigSectionProvider<S> provider, Map.Entry<String, ConfigNode> e, GatehouseConfig top) {
    S value = provider.parse(e.getValue(), top);
    if (value == null || !provider.sectionType().isInstance(value)) {
      throw new IllegalStateException(
          "the provider of " + e.getKey() + " returned no " + provider.sectionType().getName());
    }
    return value;
  }

  /** Two trust sources reading one header: the first in chain order would shadow the other. */
  private static void checkHeaders(List<String> chain, Map<String, ConfigSection> parsed) {
    Map<String, ConfigClaim> byHeader = new HashMap<>();
    Map<String, String> owner = new HashMap<>();
    for (String path : chain) {
      if (!path.startsWith(KnownSections.INTERNAL + ".")) {
        continue;
      }
      for (ConfigClaim c : parsed.get(path).claims()) {
        if (c.kind() != ConfigClaim.Kind.CREDENTIAL_HEADER) {
          continue;
        }
        ConfigClaim first = byHeader.putIfAbsent(c.value(), c);
        if (first != null && !owner.get(c.value()).equals(path)) {
          throw new ConfigException(
              first.field(),
              name(owner.get(c.value()))
                  + " and "
                  + name(path)
                  + " both read "
                  + c.value()
                  + "; give one of them its own header (a credential one source refuses would"
                  + " never reach the other)");
        }
        owner.putIfAbsent(c.value(), path);
      }
    }
  }

  /** One issuer trusted by two sections (an end-user and a service issuer) is refused. */
  private static void checkIssuers(List<String> chain, Map<String, ConfigSection> parsed) {
    Map<String, String> owner = new HashMap<>();
    for (String path : chain) {
      for (ConfigClaim c : parsed.get(path).claims()) {
        if (c.kind() != ConfigClaim.Kind.ISSUER) {
          continue;
        }
        String first = owner.putIfAbsent(c.value(), path);
        if (first != null && !first.equals(path)) {
          throw new ConfigException(
              c.field(),
              "issuer "
                  + c.value()
                  + " is also a "
                  + name(first)
                  + " issuer; one issuer cannot be both");
        }
      }
    }
  }

  private static String name(String path) {
    return path.substring(path.lastIndexOf('.') + 1);
  }

  /** {@code presets}: distinct known preset names; empty when absent. */
  private static List<Preset> presets(ConfigNode root) {
    List<String> names = root.stringList("presets");
    List<Preset> out = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      int index = i;
      out.add(
          Preset.fromConfigName(name)
              .orElseThrow(
                  () ->
                      new ConfigException(
                          root.path("presets[" + index + "]"),
                          "unknown preset " + name + "; known presets: " + Preset.configNames())));
    }
    return out;
  }

  private static OverrideConfig override(ConfigNode o) {
    String method = o.requiredString("method");
    String mode = o.requiredString("mode");
    OverrideMode m =
        switch (mode) {
          case "public" -> OverrideMode.PUBLIC;
          case "internal" -> OverrideMode.INTERNAL;
          default -> throw new ConfigException(o.path("mode"), "must be public or internal");
        };
    if (!method.matches("[A-Za-z_][A-Za-z0-9_.]*/(\\*|[A-Za-z_][A-Za-z0-9_]*)")) {
      throw new ConfigException(
          o.path("method"), "must be package.Service/Method or package.Service/*");
    }
    o.finish();
    return new OverrideConfig(method, m);
  }
}
