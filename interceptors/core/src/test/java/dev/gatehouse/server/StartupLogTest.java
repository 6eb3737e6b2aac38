package dev.gatehouse.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.policy.Mode;
import dev.gatehouse.policy.Preset;
import dev.gatehouse.testing.ManyMethodServices;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
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

  @Test
  void build_aboveThePerMethodLimit_perMethodLinesAtFineAndOneInfoSummaryWithModeCounts() {
    int perService = 100;
    int services = Gatehouse.PER_METHOD_INFO_LIMIT / perService + 1;
    int methods = services * perService;
    ManyMethodServices.ModeCounts each = ManyMethodServices.modesPerService(perService);
    try (LogCapture log = new LogCapture();
        Gatehouse g = build(ManyMethodServices.build(services, perService))) {
      assertEquals(methods, g.policies().size());
      List<LogRecord> perMethod = policyLines(log);
      assertEquals(methods, perMethod.size(), "one line per method, at FINE");
      assertTrue(
          perMethod.stream().allMatch(r -> Level.FINE.equals(r.getLevel())),
          "no per-method line above FINE");
      List<String> summaries = infoSummaries(log);
      assertEquals(
          List.of(
              "gatehouse: "
                  + methods
                  + " methods resolved: "
                  + each.publicCount() * services
                  + " public, "
                  + each.internalCount() * services
                  + " internal, "
                  + each.gatedCount() * services
                  + " gated"),
          summaries);
    }
  }

  @Test
  void build_atThePerMethodLimit_perMethodLinesAtInfo() {
    int perService = Gatehouse.PER_METHOD_INFO_LIMIT / 4;
    try (LogCapture log = new LogCapture();
        Gatehouse g = build(ManyMethodServices.build(4, perService))) {
      assertEquals(Gatehouse.PER_METHOD_INFO_LIMIT, g.policies().size());
      List<LogRecord> perMethod = policyLines(log);
      assertEquals(Gatehouse.PER_METHOD_INFO_LIMIT, perMethod.size());
      assertTrue(perMethod.stream().allMatch(r -> Level.INFO.equals(r.getLevel())));
      assertEquals(1, infoSummaries(log).size());
    }
  }

  @Test
  void build_aboveThePerMethodLimitWithFineOff_onlyTheSummaryIsLogged() {
    java.util.logging.Logger logger = java.util.logging.Logger.getLogger(Gatehouse.class.getName());
    Level previous = logger.getLevel();
    try (LogCapture log = new LogCapture()) {
      logger.setLevel(Level.INFO);
      try (Gatehouse g = build(ManyMethodServices.build(3, 100))) {
        assertEquals(300, g.policies().size());
      }
      assertTrue(policyLines(log).isEmpty(), () -> log.lines().toString());
      assertEquals(1, infoSummaries(log).size(), () -> log.lines().toString());
    } finally {
      logger.setLevel(previous);
    }
  }

  @Test
  void build_startupLines_nameTheBuilderMethodThatLogsThemAsTheirSource() {
    try (LogCapture log = new LogCapture()) {
      Gatehouse.newBuilder()
          .addService(new HealthStatusManager().getHealthService())
          .dryRun(true)
          .build()
          .close();
      LogRecord summary =
          log.records().stream()
              .filter(r -> r.getMessage() != null && r.getMessage().contains(" methods resolved: "))
              .findFirst()
              .orElseThrow();
      LogRecord unannotated =
          log.records().stream()
              .filter(r -> r.getMessage() != null && r.getMessage().contains("no auth annotation"))
              .findFirst()
              .orElseThrow();
      LogRecord dryRun =
          log.records().stream()
              .filter(r -> r.getMessage() != null && r.getMessage().contains("DRY-RUN IS ON"))
              .findFirst()
              .orElseThrow();
      String builder = Gatehouse.Builder.class.getName();
      assertEquals(List.of(builder, "logPolicies"), source(summary));
      assertEquals(List.of(builder, "logPolicies"), source(unannotated));
      assertEquals(List.of(builder, "build"), source(dryRun));
      assertEquals(Gatehouse.class.getName(), summary.getLoggerName());
    }
  }

  @Test
  void build_publicReflectionByOverride_oneWarningNamingOnlyTheReflectionMethods() {
    try (LogCapture log = new LogCapture();
        Gatehouse g =
            Gatehouse.newBuilder()
                .addService(new HealthStatusManager().getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .addPreset(Preset.HEALTH)
                .addOverride("grpc.reflection.v1.ServerReflection/*", Mode.PUBLIC)
                .build()) {
      assertEquals(Mode.PUBLIC, g.policies().get("grpc.health.v1.Health/Check").mode());
      assertEquals(
          List.of(
              "gatehouse: server reflection is PUBLIC by an explicit override: anyone can list"
                  + " this server's services and methods"
                  + " (grpc.reflection.v1.ServerReflection/ServerReflectionInfo)"),
          reflectionWarnings(log));
    }
  }

  @Test
  void build_reflectionUnderItsPreset_noPublicReflectionWarning() {
    try (LogCapture log = new LogCapture();
        Gatehouse g =
            Gatehouse.newBuilder()
                .addService(new HealthStatusManager().getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .addPreset(Preset.HEALTH)
                .addPreset(Preset.REFLECTION)
                .addTrustSource(FakeAuthenticator.source("src1", "x-svc"))
                .build()) {
      assertEquals(
          Mode.INTERNAL,
          g.policies().get("grpc.reflection.v1.ServerReflection/ServerReflectionInfo").mode());
      assertEquals(List.of(), reflectionWarnings(log));
    }
  }

  private static List<String> reflectionWarnings(LogCapture log) {
    return log.records().stream()
        .filter(r -> Level.WARNING.equals(r.getLevel()))
        .map(LogRecord::getMessage)
        .filter(m -> m != null && m.contains("server reflection is PUBLIC"))
        .toList();
  }

  private static List<String> source(LogRecord r) {
    return List.of(String.valueOf(r.getSourceClassName()), String.valueOf(r.getSourceMethodName()));
  }

  private static Gatehouse build(List<io.grpc.ServerServiceDefinition> services) {
    Gatehouse.Builder b =
        Gatehouse.newBuilder()
            .userAuthenticator(FakeAuthenticator.user("authorization"))
            .addTrustSource(FakeAuthenticator.source("src1", "x-svc"));
    services.forEach(b::addService);
    return b.build();
  }

  private static List<LogRecord> policyLines(LogCapture log) {
    return log.records().stream()
        .filter(r -> r.getMessage() != null && r.getMessage().startsWith("gatehouse policy "))
        .toList();
  }

  private static List<String> infoSummaries(LogCapture log) {
    return log.records().stream()
        .filter(r -> Level.INFO.equals(r.getLevel()))
        .map(LogRecord::getMessage)
        .filter(m -> m != null && m.contains(" methods resolved: "))
        .toList();
  }
}
