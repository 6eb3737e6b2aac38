package dev.gatehouse.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.EmptyProto;
import dev.gatehouse.audittest.v1.AuditTestProto;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditCliTest {
  /** Written by the protobuf plugin's test-compile from src/test/proto. */
  static final Path SET = Path.of("target/test-descriptors/audit-test.pb");

  private static final String P = "gatehouse.audittest.v1.";

  @TempDir Path tmp;

  @Test
  void table_testSet_oneLinePerMethodWithModeRuleAndOrigins() {
    CliRun run = CliRun.of(SET.toString());

    assertEquals(AuditCli.OK, run.exitCode(), run.err());
    assertEquals(1 + 12, run.outLines().size(), run.out());
    assertEquals(
        List.of("METHOD", "MODE", "MODE FROM", "RULE", "RULE FROM", "CHECK"),
        List.of(run.outLines().get(0).split(" {2,}")));
    assertEquals(
        List.of(P + "Mixed/Open", "public", "method", "anyone, no credential read", "-", "ok"),
        run.row(P + "Mixed/Open"));
    assertEquals(
        List.of(P + "Mixed/Inherits", "gated", "default", "roles any of [staff]", "service", "ok"),
        run.row(P + "Mixed/Inherits"));
    assertEquals(
        List.of(P + "Mixed/Own", "gated", "default", "scopes all of [a, b]", "method", "ok"),
        run.row(P + "Mixed/Own"));
    assertEquals(
        List.of(P + "Mixed/Worker", "internal", "method", "roles any of [staff]", "service", "ok"),
        run.row(P + "Mixed/Worker"));
    assertEquals(
        List.of(
            P + "Backend/StillInternal", "internal", "service", "any trusted service", "-", "ok"),
        run.row(P + "Backend/StillInternal"));
    assertEquals(
        List.of(P + "Broken/Fine", "gated", "default", "any authenticated user", "service", "ok"),
        run.row(P + "Broken/Fine"));
    assertEquals(
        List.of(P + "Broken/AlsoFine", "gated", "default", "deny everyone", "method", "ok"),
        run.row(P + "Broken/AlsoFine"));
    assertEquals(
        List.of(
            P + "Broken/BothModes",
            "ERROR",
            "-",
            "method sets both public and internal",
            "-",
            "refused_at_startup"),
        run.row(P + "Broken/BothModes"));
    assertEquals(
        List.of(P + "Bare/Watch", "gated", "default", "deny everyone", "default", "unannotated"),
        run.row(P + "Bare/Watch"));
  }

  @Test
  void check_badAndUnannotatedMethods_exitsOneNamingEachOffender() {
    CliRun run = CliRun.of("--check", SET.toString());

    assertEquals(AuditCli.CHECK_FAILED, run.exitCode());
    List<String> err = run.errLines();
    assertEquals(5, err.size(), run.err());
    assertTrue(err.get(0).contains(P + "Broken/BothModes: the server would refuse to start"));
    assertTrue(err.get(1).contains(P + "Broken/PublicWithRequires: the server would refuse"));
    assertTrue(err.get(1).contains("requires on a public method"));
    assertTrue(err.get(2).contains(P + "Bare/Check: no Gatehouse option applies"));
    assertTrue(err.get(3).contains(P + "Bare/Watch: no Gatehouse option applies"));
    assertEquals("gatehouse-audit: check failed: 4 findings", err.get(4));
  }

  @Test
  void check_overrideDeclaresBareServiceAndAllowListNamesPublic_stillFailsOnlyOnBrokenMethods()
      throws IOException {
    Path allow = Files.writeString(tmp.resolve("allow.txt"), P + "Mixed/Open\n");

    CliRun run =
        CliRun.of(
            "--check",
            "--override",
            P + "Bare/*=internal",
            "--allow-public",
            allow.toString(),
            SET.toString());

    assertEquals(AuditCli.CHECK_FAILED, run.exitCode());
    assertEquals(
        List.of(P + "Bare/Check", "internal", "override", "any trusted service", "-", "ok"),
        run.row(P + "Bare/Check"));
    assertEquals(3, run.errLines().size(), run.err());
    assertTrue(run.err().contains("Broken/BothModes"));
    assertTrue(run.err().contains("Broken/PublicWithRequires"));
    assertFalse(run.err().contains("Bare/"));
  }

  @Test
  void check_publicMethodNotInAllowList_fails() throws IOException {
    Path allow = Files.writeString(tmp.resolve("allow.txt"), "# nothing approved\n");

    CliRun run =
        CliRun.of(
            "--check",
            "--override=" + P + "Bare/*=public",
            "--allow-public",
            allow.toString(),
            SET.toString());

    assertEquals(AuditCli.CHECK_FAILED, run.exitCode());
    assertEquals("public_not_allowed", run.row(P + "Mixed/Open").get(5));
    assertEquals("public_not_allowed", run.row(P + "Bare/Check").get(5));
    assertTrue(run.err().contains(P + "Mixed/Open: public but not listed in " + allow));
    assertTrue(run.err().contains(P + "Bare/Watch: public but not listed in " + allow));
  }

  @Test
  void check_overrideMatchingNoMethodOfAServiceInTheSet_failsLikeTheServer() {
    CliRun run = CliRun.of("--check", "--override", P + "Bare/Chek=public", SET.toString());

    assertEquals(AuditCli.CHECK_FAILED, run.exitCode());
    assertTrue(
        run.err().contains("check: override matches no protected method: " + P + "Bare/Chek"),
        run.err());
    assertTrue(run.out().contains("# problem: override matches no protected method"));
  }

  @Test
  void overrideAndPresetForServicesNotInTheSet_warningsOnly() {
    CliRun run =
        CliRun.of(
            "--override",
            "no.such.Service/*=public",
            "--preset",
            "reflection",
            "--override",
            P + "Bare/*=internal",
            SET.toString());

    assertEquals(AuditCli.OK, run.exitCode(), run.err());
    assertTrue(
        run.err()
            .contains(
                "warning: override no.such.Service/* ignored: no service no.such.Service in the"
                    + " set"),
        run.err());
    assertTrue(run.err().contains("warning: preset reflection ignored"), run.err());
  }

  @Test
  void preset_unknownName_usageErrorNamingTheKnownOnes() {
    CliRun run = CliRun.of("--preset", "helth", SET.toString());

    assertEquals(AuditCli.USAGE, run.exitCode());
    assertTrue(run.err().contains("unknown preset helth; known presets: health, reflection"));
  }

  /** A descriptor set with server reflection v1 and health, as grpc-java serves them. */
  private Path standardServices() throws IOException {
    FileDescriptorProto reflection =
        FileDescriptorProto.newBuilder()
            .setName("grpc/reflection/v1/reflection.proto")
            .setPackage("grpc.reflection.v1")
            .addDependency("google/protobuf/empty.proto")
            .addService(
                com.google.protobuf.DescriptorProtos.ServiceDescriptorProto.newBuilder()
                    .setName("ServerReflection")
                    .addMethod(
                        com.google.protobuf.DescriptorProtos.MethodDescriptorProto.newBuilder()
                            .setName("ServerReflectionInfo")
                            .setInputType(".google.protobuf.Empty")
                            .setOutputType(".google.protobuf.Empty")
                            .setClientStreaming(true)
                            .setServerStreaming(true)))
            .build();
    FileDescriptorProto health =
        FileDescriptorProto.newBuilder()
            .setName("grpc/health/v1/health.proto")
            .setPackage("grpc.health.v1")
            .addDependency("google/protobuf/empty.proto")
            .addService(
                com.google.protobuf.DescriptorProtos.ServiceDescriptorProto.newBuilder()
                    .setName("Health")
                    .addMethod(
                        com.google.protobuf.DescriptorProtos.MethodDescriptorProto.newBuilder()
                            .setName("Check")
                            .setInputType(".google.protobuf.Empty")
                            .setOutputType(".google.protobuf.Empty")))
            .build();
    Path file = tmp.resolve("standard.pb");
    Files.write(
        file,
        FileDescriptorSet.newBuilder()
            .addFile(EmptyProto.getDescriptor().toProto())
            .addFile(reflection)
            .addFile(health)
            .build()
            .toByteArray());
    return file;
  }

  @Test
  void check_presets_reflectionInternalHealthPublic_passes() throws IOException {
    CliRun run =
        CliRun.of(
            "--check", "--preset", "health", "--preset=reflection", standardServices().toString());

    assertEquals(AuditCli.OK, run.exitCode(), run.err());
    assertEquals(
        "internal", run.row("grpc.reflection.v1.ServerReflection/ServerReflectionInfo").get(1));
    assertEquals(
        "override", run.row("grpc.reflection.v1.ServerReflection/ServerReflectionInfo").get(2));
    assertEquals("public", run.row("grpc.health.v1.Health/Check").get(1));
  }

  @Test
  void check_publicReflectionOverride_flagged() throws IOException {
    CliRun run =
        CliRun.of(
            "--check",
            "--format",
            "json",
            "--preset",
            "reflection",
            "--override",
            "grpc.reflection.v1.ServerReflection/*=public",
            "--override",
            "grpc.health.v1.Health/*=public",
            standardServices().toString());

    assertEquals(AuditCli.CHECK_FAILED, run.exitCode());
    assertTrue(
        run.err()
            .contains(
                "check: grpc.reflection.v1.ServerReflection/ServerReflectionInfo: server"
                    + " reflection is public"),
        run.err());
    assertTrue(run.out().contains("\"public_reflection\""), run.out());
    assertFalse(run.err().contains("grpc.health.v1.Health/Check"), run.err());
  }

  @Test
  void check_publicReflection_approvedOnlyByItsFullNameInAllowPublic() throws IOException {
    Path set = standardServices();
    Path wildcard = tmp.resolve("wildcard.txt");
    Files.writeString(wildcard, "grpc.reflection.v1.ServerReflection/*\ngrpc.health.v1.Health/*\n");
    Path exact = tmp.resolve("exact.txt");
    Files.writeString(
        exact,
        "grpc.reflection.v1.ServerReflection/ServerReflectionInfo\ngrpc.health.v1.Health/*\n");
    String[] common = {
      "--check",
      "--override",
      "grpc.reflection.v1.ServerReflection/*=public",
      "--override",
      "grpc.health.v1.Health/*=public",
      "--allow-public"
    };

    CliRun byWildcard = CliRun.of(concat(common, wildcard.toString(), set.toString()));
    assertEquals(AuditCli.CHECK_FAILED, byWildcard.exitCode());
    assertEquals(
        "public_reflection",
        byWildcard.row("grpc.reflection.v1.ServerReflection/ServerReflectionInfo").get(5));

    CliRun byName = CliRun.of(concat(common, exact.toString(), set.toString()));
    assertEquals(AuditCli.OK, byName.exitCode(), byName.err());
  }

  private static String[] concat(String[] head, String... tail) {
    String[] out = java.util.Arrays.copyOf(head, head.length + tail.length);
    System.arraycopy(tail, 0, out, head.length, tail.length);
    return out;
  }

  @Test
  void withoutCheck_findingsShownButExitZero() {
    CliRun run = CliRun.of(SET.toString());

    assertEquals(AuditCli.OK, run.exitCode());
    assertEquals("", run.err());
  }

  @Test
  void allowPublic_unusedEntry_warnsOnStderrWithoutFailing() throws IOException {
    Path allow =
        Files.writeString(
            tmp.resolve("allow.txt"),
            P + "Mixed/Open  # probe\n" + P + "Mixed/Gone\n\n" + P + "Bare/*\n");

    CliRun run =
        CliRun.of(
            "--check",
            "--override",
            P + "Bare/*=public",
            "--allow-public",
            allow.toString(),
            "--format",
            "json",
            SET.toString());

    assertTrue(
        run.err()
            .contains("warning: allow-public entry matches no public method: " + P + "Mixed/Gone"));
    // Still fails because of the Broken service, not because of the allow list.
    assertEquals(AuditCli.CHECK_FAILED, run.exitCode());
    assertFalse(run.err().contains("public but not listed"));
  }

  @Test
  void json_testSet_stableFieldsPerMethod() {
    CliRun run = CliRun.of("--format", "json", SET.toString());

    assertEquals(AuditCli.OK, run.exitCode());
    Map<?, ?> root = (Map<?, ?>) Json.parse(run.out());
    assertEquals(
        List.of("schema", "methods", "problems", "warnings", "check_failures"),
        List.copyOf(root.keySet()));
    assertEquals("gatehouse-audit/1", root.get("schema"));
    assertEquals(4L, root.get("check_failures"));
    List<?> methods = (List<?>) root.get("methods");
    assertEquals(12, methods.size());
    Map<?, ?> own = method(methods, P + "Mixed/Own");
    assertEquals(
        List.of(
            "method",
            "service",
            "file",
            "mode",
            "mode_origin",
            "requires",
            "requires_user",
            "access",
            "rule_origin",
            "rule",
            "problems",
            "findings"),
        List.copyOf(own.keySet()));
    assertEquals(P + "Mixed", own.get("service"));
    assertEquals("gatehouse/audittest/v1/audit_test.proto", own.get("file"));
    assertEquals("gated", own.get("mode"));
    assertEquals("default", own.get("mode_origin"));
    assertEquals(
        Map.of("any_of_roles", List.of(), "all_of_scopes", List.of("a", "b")), own.get("requires"));
    assertEquals("method", own.get("rule_origin"));

    Map<?, ?> both = method(methods, P + "Broken/BothModes");
    assertNull(both.get("mode"));
    assertNull(both.get("access"));
    assertEquals(List.of("method sets both public and internal"), both.get("problems"));
    assertEquals(List.of("refused_at_startup"), both.get("findings"));

    Map<?, ?> bare = method(methods, P + "Bare/Check");
    assertEquals("deny", bare.get("access"));
    assertNull(bare.get("requires"));
    assertEquals(List.of("unannotated"), bare.get("findings"));
  }

  @Test
  void markdown_testSet_tableWithEveryMethod() {
    CliRun run = CliRun.of("--format=markdown", SET.toString());

    assertEquals(AuditCli.OK, run.exitCode());
    assertTrue(run.out().startsWith("## Gatehouse posture\n"));
    assertTrue(
        run.out()
            .contains(
                "| `"
                    + P
                    + "Mixed/Open` | **public** | method | anyone, no credential read | - | ok |"));
    assertTrue(
        run.out()
            .contains(
                "| `"
                    + P
                    + "Broken/BothModes` | **ERROR** | - | method sets both public and internal"
                    + " | - | **refused_at_startup** |"));
    assertEquals(2 + 12, run.outLines().stream().filter(l -> l.startsWith("|")).count());
  }

  @Test
  void descriptorSetWithoutOptionsProto_usesBuiltInCopyAndStillSeesAnnotations()
      throws IOException {
    FileDescriptorSet set =
        FileDescriptorSet.newBuilder()
            .addFile(EmptyProto.getDescriptor().toProto())
            .addFile(AuditTestProto.getDescriptor().toProto())
            .build();
    Path file = tmp.resolve("no-imports.pb");
    Files.write(file, set.toByteArray());

    CliRun run = CliRun.of(file.toString());

    assertEquals(AuditCli.OK, run.exitCode(), run.err());
    assertEquals("public", run.row(P + "Mixed/Open").get(1));
    assertEquals("method sets both public and internal", run.row(P + "Broken/BothModes").get(3));
  }

  @Test
  void descriptorSetMissingAnUnknownImport_exitsTwoWithOneLine() throws IOException {
    FileDescriptorProto orphan =
        FileDescriptorProto.newBuilder()
            .setName("a/orphan.proto")
            .setPackage("a")
            .addDependency("b/missing.proto")
            .build();
    Path file = tmp.resolve("orphan.pb");
    Files.write(file, FileDescriptorSet.newBuilder().addFile(orphan).build().toByteArray());

    CliRun run = CliRun.of(file.toString());

    assertEquals(AuditCli.USAGE, run.exitCode());
    assertEquals(
        List.of(
            "gatehouse-audit: descriptor set lacks b/missing.proto imported by a/orphan.proto"
                + " (build it with protoc --include_imports)"),
        run.errLines());
    assertEquals("", run.out());
  }

  @Test
  void descriptorSetWithAFileTwice_exitsTwo() throws IOException {
    FileDescriptorProto f = EmptyProto.getDescriptor().toProto();
    Path file = tmp.resolve("twice.pb");
    Files.write(file, FileDescriptorSet.newBuilder().addFile(f).addFile(f).build().toByteArray());

    CliRun run = CliRun.of(file.toString());

    assertEquals(AuditCli.USAGE, run.exitCode());
    assertEquals(1, run.errLines().size());
    assertTrue(run.err().contains("holds google/protobuf/empty.proto twice"));
  }

  @Test
  void descriptorSetWithLongImportChain_auditedWithoutExhaustingTheStack() throws IOException {
    // 20,000 files, each importing the next: deep enough to overflow any recursive walk.
    int depth = 20_000;
    FileDescriptorSet.Builder set = FileDescriptorSet.newBuilder();
    for (int i = 0; i < depth; i++) {
      FileDescriptorProto.Builder f =
          FileDescriptorProto.newBuilder()
              .setName("chain/f" + i + ".proto")
              .setPackage("chain" + i);
      if (i + 1 < depth) {
        f.addDependency("chain/f" + (i + 1) + ".proto");
      }
      set.addFile(f);
    }
    set.addFile(
        AuditTestProto.getDescriptor().toProto().toBuilder().addDependency("chain/f0.proto"));
    set.addFile(EmptyProto.getDescriptor().toProto());
    Path file = tmp.resolve("chain.pb");
    Files.write(file, set.build().toByteArray());

    CliRun run = CliRun.of(file.toString());

    assertEquals(AuditCli.OK, run.exitCode(), run.err());
    assertEquals("public", run.row(P + "Mixed/Open").get(1));
  }

  @Test
  void descriptorSetWithLongImportCycle_exitsTwoWithOneLine() throws IOException {
    int depth = 20_000;
    FileDescriptorSet.Builder set = FileDescriptorSet.newBuilder();
    for (int i = 0; i < depth; i++) {
      set.addFile(
          FileDescriptorProto.newBuilder()
              .setName("ring/f" + i + ".proto")
              .addDependency("ring/f" + ((i + 1) % depth) + ".proto"));
    }
    Path file = tmp.resolve("ring.pb");
    Files.write(file, set.build().toByteArray());

    CliRun run = CliRun.of(file.toString());

    assertEquals(AuditCli.USAGE, run.exitCode());
    assertEquals(List.of("gatehouse-audit: import cycle through ring/f0.proto"), run.errLines());
    assertEquals("", run.out());
  }

  @Test
  void importCycle_exitsTwo() throws IOException {
    FileDescriptorSet set =
        FileDescriptorSet.newBuilder()
            .addFile(FileDescriptorProto.newBuilder().setName("a.proto").addDependency("b.proto"))
            .addFile(FileDescriptorProto.newBuilder().setName("b.proto").addDependency("a.proto"))
            .build();
    Path file = tmp.resolve("cycle.pb");
    Files.write(file, set.toByteArray());

    CliRun run = CliRun.of(file.toString());

    assertEquals(AuditCli.USAGE, run.exitCode());
    assertTrue(run.err().contains("import cycle through a.proto"), run.err());
  }

  @Test
  void unreadableOrInvalidInputs_exitTwoWithOneStderrLine() throws IOException {
    Path garbage = Files.writeString(tmp.resolve("garbage.pb"), "<xml>not protobuf</xml>");
    Path empty = Files.write(tmp.resolve("empty.pb"), new byte[0]);
    List<List<String>> cases =
        List.of(
            List.of(),
            List.of("--check"),
            List.of("a.pb", "b.pb"),
            List.of("--format", "yaml", SET.toString()),
            List.of("--format", "json", "--format", "table", SET.toString()),
            List.of("--format"),
            List.of("--bogus", SET.toString()),
            List.of("--check=yes", SET.toString()),
            List.of("--override", "Bare=public", SET.toString()),
            List.of("--override", P + "Bare/*=gated", SET.toString()),
            List.of("--override", "a.B/*=public", "--override", "a.B/*=internal", SET.toString()),
            List.of(tmp.resolve("absent.pb").toString()),
            List.of(tmp.toString()),
            List.of(garbage.toString()),
            List.of(empty.toString()),
            List.of("--allow-public", tmp.resolve("absent.txt").toString(), SET.toString()),
            List.of("--diff", tmp.resolve("absent.json").toString(), SET.toString()));
    for (List<String> args : cases) {
      CliRun run = CliRun.of(args.toArray(new String[0]));
      assertEquals(AuditCli.USAGE, run.exitCode(), "args " + args);
      assertEquals(1, run.errLines().size(), "args " + args + ": " + run.err());
      assertTrue(run.err().startsWith("gatehouse-audit: "), run.err());
      assertEquals("", run.out(), "args " + args);
    }
  }

  @Test
  void malformedAllowListLine_exitsTwoNamingTheLine() throws IOException {
    Path allow =
        Files.writeString(tmp.resolve("allow.txt"), "# ok\n" + P + "Mixed/Open\nfoo bar\n");

    CliRun run = CliRun.of("--check", "--allow-public", allow.toString(), SET.toString());

    assertEquals(AuditCli.USAGE, run.exitCode());
    assertEquals(
        List.of(
            "gatehouse-audit: "
                + allow
                + ":3: not a full method name or package.Service/*: foo bar"),
        run.errLines());
  }

  @Test
  void help_printsUsageAndExitsZero() {
    CliRun run = CliRun.of("--help");

    assertEquals(AuditCli.OK, run.exitCode());
    assertEquals(List.of(AuditCli.USAGE_TEXT), run.outLines());
  }

  @Test
  void diff_againstOwnJson_reportsNoChanges() throws IOException {
    Path baseline = tmp.resolve("baseline.json");
    Files.writeString(baseline, CliRun.of("--format", "json", SET.toString()).out());

    CliRun run = CliRun.of("--check", "--diff", baseline.toString(), SET.toString());

    assertEquals("no posture changes against " + baseline + "\n", run.out());
    // --check still fails on the seeded problems, but not on any widening.
    assertEquals(AuditCli.CHECK_FAILED, run.exitCode());
    assertFalse(run.err().contains("WIDENED"));
  }

  @Test
  void diff_overrideMakesBareServicePublic_calledOutAsWidenedAndFailsCheck() throws IOException {
    Path baseline = tmp.resolve("baseline.json");
    Files.writeString(baseline, CliRun.of("--format", "json", SET.toString()).out());
    Path allow = Files.writeString(tmp.resolve("allow.txt"), P + "Bare/*\n");

    CliRun run =
        CliRun.of(
            "--diff",
            baseline.toString(),
            "--override",
            P + "Bare/*=public",
            "--allow-public",
            allow.toString(),
            "--check",
            SET.toString());

    assertEquals(
        List.of(
            List.of("CHANGE", "METHOD", "BEFORE", "AFTER"),
            List.of(
                "WIDENED",
                P + "Bare/Check",
                "gated (deny everyone)",
                "public (anyone, no credential read)"),
            List.of(
                "WIDENED",
                P + "Bare/Watch",
                "gated (deny everyone)",
                "public (anyone, no credential read)")),
        run.outLines().stream().map(l -> List.of(l.split(" {2,}"))).toList());
    assertEquals(AuditCli.CHECK_FAILED, run.exitCode());
    assertTrue(run.err().contains(P + "Bare/Check: WIDENED since the baseline"), run.err());
  }

  @Test
  void diff_baselineNotAnAuditReport_exitsTwo() throws IOException {
    Path baseline = Files.writeString(tmp.resolve("b.json"), "{\"schema\": \"other\"}");

    CliRun run = CliRun.of("--diff", baseline.toString(), SET.toString());

    assertEquals(AuditCli.USAGE, run.exitCode());
    assertEquals(
        List.of(
            "gatehouse-audit: unusable baseline " + baseline + ": schema is not gatehouse-audit/1"),
        run.errLines());
  }

  @Test
  void diff_jsonFormat_listsChangesWithStableFields() throws IOException {
    Path baseline = tmp.resolve("baseline.json");
    Files.writeString(
        baseline,
        CliRun.of("--format", "json", SET.toString())
            .out()
            .replace("\"method\": \"" + P + "Mixed/Own\"", "\"method\": \"" + P + "Mixed/Old\""),
        StandardCharsets.UTF_8);

    CliRun run = CliRun.of("--format", "json", "--diff", baseline.toString(), SET.toString());

    assertEquals(AuditCli.OK, run.exitCode(), run.err());
    Map<?, ?> root = (Map<?, ?>) Json.parse(run.out());
    assertEquals("gatehouse-audit-diff/1", root.get("schema"));
    assertEquals(0L, root.get("widened"));
    List<?> changes = (List<?>) root.get("changes");
    assertEquals(2, changes.size(), run.out());
    Map<?, ?> added = (Map<?, ?>) changes.get(0);
    assertEquals("added", added.get("change"));
    assertEquals(P + "Mixed/Own", added.get("method"));
    assertNull(added.get("before"));
    assertEquals("gated (scopes all of [a, b])", added.get("after"));
    Map<?, ?> removed = (Map<?, ?>) changes.get(1);
    assertEquals("removed", removed.get("change"));
    assertEquals(P + "Mixed/Old", removed.get("method"));
    assertNull(removed.get("after"));
  }

  private static Map<?, ?> method(List<?> methods, String name) {
    return methods.stream()
        .map(m -> (Map<?, ?>) m)
        .filter(m -> name.equals(m.get("method")))
        .findFirst()
        .orElseThrow();
  }
}
