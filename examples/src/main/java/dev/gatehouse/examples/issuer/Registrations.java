package dev.gatehouse.examples.issuer;

import static java.util.Objects.requireNonNull;

import dev.gatehouse.config.ConfigException;
import dev.gatehouse.config.ConfigNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.schema.JsonSchema;

/**
 * The issuer's desired state: which workloads exist, in which cluster each is registered, and which
 * audiences each may request a token for. Parsed from YAML:
 *
 * <pre>{@code
 * workloads:
 *   - spiffe_id: spiffe://cluster.local/ns/trips/sa/worker   # the caller, as Gatehouse proved it
 *     name: worker                                           # the token's sub
 *     cluster: cluster-a                                     # the token's cluster_id
 *     audiences: [trips]                                     # what it may ask for
 * }</pre>
 *
 * One workload name may be registered in several clusters (one SPIFFE ID each). Unknown fields, a
 * SPIFFE ID listed twice, and blank values are refused naming the field.
 */
public final class Registrations {
  /**
   * One registered workload.
   *
   * @param spiffeId the caller identity Gatehouse authenticates
   * @param name the token's {@code sub}
   * @param cluster the token's {@code cluster_id}
   * @param audiences the audiences it may request
   */
  public record Workload(String spiffeId, String name, String cluster, Set<String> audiences) {
    /** Validates and copies. */
    public Workload {
      requireNonNull(spiffeId, "spiffeId");
      requireNonNull(name, "name");
      requireNonNull(cluster, "cluster");
      audiences = Set.copyOf(audiences);
    }
  }

  private final Map<String, Workload> bySpiffeId;

  private Registrations(Map<String, Workload> bySpiffeId) {
    this.bySpiffeId = Map.copyOf(bySpiffeId);
  }

  /**
   * Parses a registration file's text.
   *
   * @throws ConfigException naming the field on any problem
   */
  public static Registrations parse(String yaml) {
    Object root;
    try {
      root =
          new Load(
                  LoadSettings.builder()
                      .setSchema(new JsonSchema())
                      .setAllowDuplicateKeys(false)
                      .setMaxAliasesForCollections(10)
                      .build())
              .loadFromString(yaml);
    } catch (YamlEngineException e) {
      throw new ConfigException("", "not valid YAML");
    }
    ConfigNode node = ConfigNode.of("", root, Path.of("."));
    List<Workload> workloads = node.list("workloads", Registrations::workload);
    node.finish();
    ConfigNode.requireDistinct(
        workloads.stream().map(Workload::spiffeId).toList(),
        i -> "workloads[" + i + "].spiffe_id",
        "spiffe_id");
    Map<String, Workload> map = new LinkedHashMap<>();
    workloads.forEach(w -> map.put(w.spiffeId(), w));
    return new Registrations(map);
  }

  private static Workload workload(ConfigNode o) {
    String spiffeId = o.requiredString("spiffe_id");
    if (!spiffeId.startsWith("spiffe://")) {
      throw new ConfigException(o.path("spiffe_id"), "must be a spiffe:// ID");
    }
    String name = o.requiredString("name");
    String cluster = o.requiredString("cluster");
    List<String> audiences = o.stringList("audiences");
    if (audiences.isEmpty()) {
      throw new ConfigException(o.path("audiences"), "at least one audience is required");
    }
    o.finish();
    return new Workload(spiffeId, name, cluster, Set.copyOf(audiences));
  }

  /** The workload registered under the caller's SPIFFE ID. */
  public Optional<Workload> lookup(String spiffeId) {
    return Optional.ofNullable(bySpiffeId.get(spiffeId));
  }

  /** How many workloads are registered. */
  public int size() {
    return bySpiffeId.size();
  }
}
