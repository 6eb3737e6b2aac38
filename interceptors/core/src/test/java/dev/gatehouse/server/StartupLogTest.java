package dev.gatehouse.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.protobuf.services.HealthStatusManager;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;

/** What a server operator reads at startup: a summary, and every unannotated method named. */
class StartupLogTest {
  @Test
  void build_unannotatedMethods_oneWarningNamingThem() {
    try (LogCapture log = new LogCapture()) {
      Gatehouse.newBuilder()
          .addService(new HealthStatusManager().getHealthService())
          .build()
          .close();
      List<String> warnings =
          log.records().stream()
              .filter(r -> Level.WARNING.equals(r.getLevel()))
              .map(r -> r.getMessage())
              .filter(m -> m.contains("no auth annotation"))
              .toList();
      assertEquals(1, warnings.size(), warnings::toString);
      assertTrue(warnings.get(0).contains("grpc.health.v1.Health/Check"), warnings.get(0));
      assertTrue(warnings.get(0).contains("grpc.health.v1.Health/Watch"), warnings.get(0));
      assertTrue(
          log.records().stream()
              .anyMatch(
                  r ->
                      Level.INFO.equals(r.getLevel())
                          && r.getMessage().startsWith("gatehouse: ")
                          && r.getMessage().contains("methods resolved: 0 public, 0 internal,")),
          () -> log.lines().toString());
    }
  }
}
