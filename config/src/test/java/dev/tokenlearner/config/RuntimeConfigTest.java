package dev.tokenlearner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class RuntimeConfigTest {

  @Test
  void of_noKeys_autoDeviceAndJitUnset() throws Exception {
    RuntimeConfig r = ConfigLoader.loadNamed("tiny").runtime();
    assertEquals(RuntimeConfig.Device.AUTO, r.device());
    assertTrue(r.jit().isEmpty());
    assertTrue(r.jitOr(true));
    assertFalse(r.jitOr(false));
  }

  @Test
  void override_jitAndDevice_readBackAndNotListedAsUnused() throws Exception {
    ExperimentConfig cfg =
        RuntimeConfig.override(
            ConfigLoader.loadNamed("tiny"),
            Optional.of(true),
            Optional.of(RuntimeConfig.Device.GPU));
    RuntimeConfig r = cfg.runtime();
    assertEquals(Optional.of(true), r.jit());
    assertEquals(RuntimeConfig.Device.GPU, r.device());
    assertFalse(cfg.unusedKeys().contains("jit"), cfg.unusedKeys().toString());
    assertFalse(cfg.unusedKeys().contains("device"), cfg.unusedKeys().toString());
  }

  @Test
  void load_jitAuto_sameAsNoKeyAndNotUnused() throws Exception {
    var doc = new java.util.LinkedHashMap<String, Object>(ConfigLoader.loadNamed("tiny").raw());
    doc.put("jit", "auto");
    ExperimentConfig cfg = ConfigLoader.fromMap(doc, "t.yaml");
    assertTrue(cfg.runtime().jit().isEmpty());
    assertFalse(cfg.unusedKeys().contains("jit"), cfg.unusedKeys().toString());
    doc.put("jit", "sometimes");
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.fromMap(doc, "t.yaml"));
    assertEquals("jit", e.key());
  }

  @Test
  void load_unknownDevice_errorNamesKeyAndChoices() throws Exception {
    var doc = new java.util.LinkedHashMap<String, Object>(ConfigLoader.loadNamed("tiny").raw());
    doc.put("device", "tpu");
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.fromMap(doc, "t.yaml"));
    assertEquals("device", e.key());
    assertTrue(e.getMessage().contains("cpu, gpu, auto"), e.getMessage());
  }

  @Test
  void load_jitNotBoolean_errorNamesKey() throws Exception {
    var doc = new java.util.LinkedHashMap<String, Object>(ConfigLoader.loadNamed("tiny").raw());
    doc.put("jit", "yes");
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.fromMap(doc, "t.yaml"));
    assertEquals("jit", e.key());
  }

  @Test
  void deviceParse_anyCase() {
    assertEquals(RuntimeConfig.Device.CPU, RuntimeConfig.Device.parse("CPU"));
    assertEquals("gpu", RuntimeConfig.Device.GPU.configName());
  }
}
