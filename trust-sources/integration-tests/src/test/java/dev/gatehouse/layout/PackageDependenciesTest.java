package dev.gatehouse.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layout rules of the library's main code, read from its sources: no package cycles, and the
 * {@code internal} packages (cross-module plumbing, not API) are used only by the artifacts that
 * own or are built on them.
 */
class PackageDependenciesTest {
  private static final Pattern PACKAGE = Pattern.compile("(?m)^package ([a-z0-9_.]+);");
  private static final Pattern REFERENCE =
      Pattern.compile("\\b(dev\\.gatehouse(?:\\.[a-z0-9_]+)+)\\.[A-Z]");
  private static final Pattern COMMENTS =
      Pattern.compile("/\\*.*?\\*/|//[^\\n]*|\"(?:\\\\.|[^\"\\\\])*\"", Pattern.DOTALL);

  /** Package → the packages its main code refers to (imports and qualified names). */
  private static final Map<String, Set<String>> GRAPH = new TreeMap<>();

  /** Package → the module folder it lives in. */
  private static final Map<String, String> MODULE = new HashMap<>();

  @BeforeAll
  static void readSources() throws IOException {
    Path root = Path.of(System.getProperty("gatehouse.root", "../.."));
    for (String module :
        List.of(
            "interceptors/core",
            "interceptors/client",
            "trust-sources/jwt",
            "trust-sources/spiffe",
            "trust-sources/spiffe-tls",
            "trust-sources/mesh",
            "trust-sources/insecure",
            "testing",
            "audit")) {
      Path dir = root.resolve(module).resolve("src/main/java");
      assertTrue(Files.isDirectory(dir), dir::toString);
      try (Stream<Path> files = Files.walk(dir)) {
        files.filter(f -> f.toString().endsWith(".java")).forEach(f -> read(module, f));
      }
    }
    assertTrue(GRAPH.size() > 10, GRAPH::toString);
  }

  private static void read(String module, Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Matcher p = PACKAGE.matcher(text);
    assertTrue(p.find(), file::toString);
    String pkg = p.group(1);
    MODULE.put(pkg, module);
    Set<String> deps = GRAPH.computeIfAbsent(pkg, k -> new TreeSet<>());
    Matcher r = REFERENCE.matcher(COMMENTS.matcher(text).replaceAll(" "));
    while (r.find()) {
      String target = r.group(1);
      if (!target.equals(pkg) && !target.startsWith("dev.gatehouse.auth.")) {
        deps.add(target);
      }
    }
  }

  @Test
  void mainCode_hasNoPackageCycles() {
    List<String> onCycles = new ArrayList<>();
    for (String start : GRAPH.keySet()) {
      if (reaches(start, start)) {
        onCycles.add(start + " -> " + GRAPH.get(start));
      }
    }
    assertEquals(List.of(), onCycles);
  }

  @Test
  void cycleDetection_findsAPackageThatReachesItself() {
    // The check above is only as good as this search: a cycle a -> b -> a is found.
    Map<String, Set<String>> saved = new TreeMap<>(GRAPH);
    try {
      GRAPH.put("x.a", Set.of("x.b"));
      GRAPH.put("x.b", Set.of("x.a"));
      assertTrue(reaches("x.a", "x.a"));
      assertFalse(reaches("dev.gatehouse.client", "x.a"));
    } finally {
      GRAPH.clear();
      GRAPH.putAll(saved);
    }
  }

  /** Whether {@code to} is reachable from {@code from} in one or more steps. */
  private static boolean reaches(String from, String to) {
    Set<String> seen = new TreeSet<>();
    Deque<String> queue = new ArrayDeque<>(GRAPH.getOrDefault(from, Set.of()));
    while (!queue.isEmpty()) {
      String at = queue.poll();
      if (at.equals(to)) {
        return true;
      }
      if (seen.add(at)) {
        queue.addAll(GRAPH.getOrDefault(at, Set.of()));
      }
    }
    return false;
  }

  @Test
  void internalPackages_usedOnlyByTheirOwnFamily() {
    // The JWT core serves the JWT family and the JWT-SVID source built on it; nothing else.
    Map<String, Set<String>> allowed =
        Map.of(
            "dev.gatehouse.trust.jwt.internal",
            Set.of("trust-sources/jwt", "trust-sources/spiffe"));
    List<String> violations = new ArrayList<>();
    GRAPH.forEach(
        (pkg, deps) -> {
          for (String dep : deps) {
            if (dep.endsWith(".internal")) {
              Set<String> ok = allowed.get(dep);
              if (ok == null || !ok.contains(MODULE.get(pkg))) {
                violations.add(pkg + " -> " + dep);
              }
            }
          }
        });
    assertEquals(List.of(), violations);
  }

  @Test
  void clientArtifact_dependsOnNoOtherGatehousePackage() {
    List<String> outside = new ArrayList<>();
    GRAPH.forEach(
        (pkg, deps) -> {
          if ("interceptors/client".equals(MODULE.get(pkg))) {
            deps.stream().filter(d -> !d.startsWith("dev.gatehouse.client")).forEach(outside::add);
          }
        });
    assertEquals(List.of(), outside);
  }
}
