package dev.gatehouse.examples.issuer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The registration file: parsed strictly, reloaded on change, a bad edit keeps the last good. */
class RegistrationsTest {
  @TempDir Path dir;

  static final String ONE =
      """
      workloads:
        - { spiffe_id: "spiffe://a.test/ns/trips/sa/worker", name: worker, cluster: a, audiences: [trips] }
      """;
  static final String TWO =
      ONE
          + """
            - { spiffe_id: "spiffe://b.test/ns/trips/sa/worker", name: worker, cluster: b, audiences: [trips, billing] }
          """;

  @Test
  void parse_sameWorkloadInTwoClusters_bothRegistered() {
    Registrations r = Registrations.parse(TWO);
    assertEquals(
        new Registrations.Workload(
            "spiffe://b.test/ns/trips/sa/worker", "worker", "b", Set.of("trips", "billing")),
        r.lookup("spiffe://b.test/ns/trips/sa/worker").orElseThrow());
    assertTrue(r.lookup("spiffe://c.test/ns/trips/sa/worker").isEmpty());
  }

  @Test
  void parse_badEntries_refusedNamingTheField() {
    assertEquals(
        "workloads[0].cluster",
        assertThrows(
                ConfigException.class,
                () ->
                    Registrations.parse(
                        "workloads: [ { spiffe_id: \"spiffe://a.test/x\", name: w, audiences: [t] } ]"))
            .field());
    assertEquals(
        "workloads[1].spiffe_id",
        assertThrows(
                ConfigException.class,
                () ->
                    Registrations.parse(
                        ONE
                            + "  - { spiffe_id: \"spiffe://a.test/ns/trips/sa/worker\", name: x,"
                            + " cluster: a, audiences: [t] }\n"))
            .field());
    assertEquals(
        "workloads[0].clusters",
        assertThrows(
                ConfigException.class,
                () ->
                    Registrations.parse(
                        "workloads: [ { spiffe_id: \"spiffe://a.test/x\", name: w, cluster: a,"
                            + " clusters: [b], audiences: [t] } ]"))
            .field());
  }

  @Test
  void file_editedOnDisk_reloadedByTheWatcher_badEditKeepsTheLast() throws Exception {
    Path file = dir.resolve("registrations.yaml");
    Files.writeString(file, ONE);
    try (RegistrationFile reg = RegistrationFile.open(file, Duration.ofMillis(50))) {
      assertEquals(1, reg.current().size());
      Files.writeString(file, TWO);
      waitFor(() -> reg.current().size() == 2);
      Files.writeString(file, "workloads: [ { name: broken } ]");
      assertFalse(reg.reloadNow(), "a bad file is refused");
      assertEquals(2, reg.current().size(), "the last good registrations keep serving");
    }
  }

  static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
    Instant deadline = Instant.now().plusSeconds(20);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("condition not met within 20 s");
      }
      Thread.sleep(10);
    }
  }
}
