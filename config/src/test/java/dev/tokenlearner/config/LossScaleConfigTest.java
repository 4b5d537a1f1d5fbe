package dev.tokenlearner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LossScaleConfigTest {

  private static Map<String, Object> tiny() throws Exception {
    return new LinkedHashMap<>(ConfigLoader.loadNamed("tiny").raw());
  }

  @Test
  void of_noKeys_kerasDefaults() throws Exception {
    LossScaleConfig c = ConfigLoader.loadNamed("tiny").lossScale();
    assertEquals(32768.0, c.initialScale());
    assertEquals(2000, c.growthSteps());
  }

  @Test
  void load_float16WithKeys_readBackAndNotListedAsUnused() throws Exception {
    Map<String, Object> doc = tiny();
    doc.put("model_dtype_str", "float16");
    doc.put("loss_scale_init", 1024);
    doc.put("loss_scale_growth_steps", 50);
    ExperimentConfig cfg = ConfigLoader.fromMap(doc, "t.yaml");
    assertEquals("float16", cfg.modelDtypeStr());
    assertEquals(new LossScaleConfig(1024, 50), cfg.lossScale());
    assertFalse(cfg.unusedKeys().contains("loss_scale_init"), cfg.unusedKeys().toString());
    assertFalse(cfg.unusedKeys().contains("loss_scale_growth_steps"), cfg.unusedKeys().toString());
  }

  @Test
  void load_scaleBelowOne_errorNamesKey() throws Exception {
    Map<String, Object> doc = tiny();
    doc.put("loss_scale_init", 0.5);
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.fromMap(doc, "t.yaml"));
    assertEquals("loss_scale_init", e.key());
  }

  @Test
  void load_growthStepsZero_errorNamesKey() throws Exception {
    Map<String, Object> doc = tiny();
    doc.put("loss_scale_growth_steps", 0);
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.fromMap(doc, "t.yaml"));
    assertEquals("loss_scale_growth_steps", e.key());
    assertTrue(e.getMessage().contains("positive"), e.getMessage());
  }
}
