package dev.tokenlearner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AllReduceConfigTest {

  private static Map<String, Object> tiny() throws Exception {
    return new LinkedHashMap<>(ConfigLoader.loadNamed("tiny").raw());
  }

  @Test
  void load_noKeys_collectiveFloat32Buckets25MiB() throws Exception {
    AllReduceConfig c = ConfigLoader.loadNamed("tiny").allReduce();
    assertEquals(new AllReduceConfig(25, false, AllReduceConfig.Impl.COLLECTIVE), c);
    assertFalse(c.ring());
  }

  @Test
  void load_ringWithBfloat16_readBackAndNotListedAsUnused() throws Exception {
    Map<String, Object> doc = tiny();
    doc.put("allreduce_impl", "ring");
    doc.put("allreduce_dtype", "bfloat16");
    ExperimentConfig cfg = ConfigLoader.fromMap(doc, "t.yaml");
    assertEquals(new AllReduceConfig(25, true, AllReduceConfig.Impl.RING), cfg.allReduce());
    assertTrue(cfg.allReduce().ring());
    assertFalse(cfg.unusedKeys().contains("allreduce_impl"), cfg.unusedKeys().toString());
  }

  @Test
  void load_collectiveNamed_collective() throws Exception {
    Map<String, Object> doc = tiny();
    doc.put("allreduce_impl", "collective");
    assertEquals(
        AllReduceConfig.Impl.COLLECTIVE, ConfigLoader.fromMap(doc, "t.yaml").allReduce().impl());
  }

  @Test
  void load_unknownImpl_errorNamesKeyAndAcceptedValues() throws Exception {
    Map<String, Object> doc = tiny();
    doc.put("allreduce_impl", "nccl");
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.fromMap(doc, "t.yaml"));
    assertEquals("allreduce_impl", e.key());
    assertTrue(e.getMessage().contains("'nccl'"), e.getMessage());
    assertTrue(e.getMessage().contains("[collective, ring]"), e.getMessage());
  }
}
