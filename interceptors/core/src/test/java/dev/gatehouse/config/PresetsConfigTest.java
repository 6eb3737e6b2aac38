package dev.gatehouse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.policy.Mode;
import dev.gatehouse.policy.Preset;
import io.grpc.protobuf.services.HealthStatusManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The top-level {@code presets} list: strict names, one line to make health public. */
class PresetsConfigTest {
  @TempDir Path dir;

  private GatehouseConfig parse(String yaml) {
    return GatehouseConfig.parse(yaml, dir);
  }

  private ConfigException fails(String yaml) {
    return assertThrows(ConfigException.class, () -> parse(yaml));
  }

  @Test
  void parse_presets_inFileOrder() {
    assertEquals(
        List.of(Preset.REFLECTION, Preset.HEALTH),
        parse("service_name: a\npresets: [reflection, health]\n").presets());
    assertEquals(List.of(), parse("service_name: a\n").presets());
  }

  @Test
  void parse_unknownPreset_refusedNamingTheEntryAndTheKnownNames() {
    ConfigException e = fails("service_name: a\npresets: [health, relfection]\n");
    assertEquals("presets[1]", e.field());
    assertTrue(e.getMessage().contains("unknown preset relfection"), e::getMessage);
    assertTrue(e.getMessage().contains("health, reflection"), e::getMessage);
    assertEquals("presets[0]", fails("service_name: a\npresets: [Health]\n").field());
  }

  @Test
  void parse_presetListedTwiceOrNotAList_refusedNamingTheField() {
    assertEquals("presets", fails("service_name: a\npresets: [health, health]\n").field());
    assertEquals("presets", fails("service_name: a\npresets: health\n").field());
    assertEquals("presets[0]", fails("service_name: a\npresets: [1]\n").field());
  }

  @Test
  void build_healthPresetInFile_healthPublic() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, "service_name: trips\npresets: [health]\n");
    try (ConfiguredGatehouse g =
        ConfiguredGatehouse.newBuilder(file)
            .addService(new HealthStatusManager().getHealthService())
            .build()) {
      assertEquals(Mode.PUBLIC, g.gatehouse().policies().get("grpc.health.v1.Health/Check").mode());
    }
  }

  @Test
  void build_presetInCode_sameAsInFile() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, "service_name: trips\n");
    try (ConfiguredGatehouse g =
        ConfiguredGatehouse.newBuilder(file)
            .addService(new HealthStatusManager().getHealthService())
            .addPreset(Preset.HEALTH)
            .build()) {
      assertEquals(Mode.PUBLIC, g.gatehouse().policies().get("grpc.health.v1.Health/Watch").mode());
    }
  }

  @Test
  void reload_presetsChanged_refusedAsRestartOnly() throws Exception {
    Path file = dir.resolve("gatehouse.yaml");
    Files.writeString(file, "service_name: trips\npresets: [health]\n");
    try (ConfiguredGatehouse g =
        ConfiguredGatehouse.newBuilder(file)
            .addService(new HealthStatusManager().getHealthService())
            .build()) {
      Files.writeString(file, "service_name: trips\npresets: [health, reflection]\n");
      assertEquals(false, g.reloadNow());
      assertEquals(List.of(Preset.HEALTH), g.currentConfig().presets());
    }
  }
}
