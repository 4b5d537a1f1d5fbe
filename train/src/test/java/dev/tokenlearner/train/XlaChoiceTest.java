package dev.tokenlearner.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.RuntimeConfig;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class XlaChoiceTest {

  private static XlaChoice auto(String name, long steps, int replicas) throws Exception {
    ExperimentConfig cfg = ConfigLoader.loadNamed(name);
    return XlaChoice.of(cfg.runtime(), cfg.model(), steps, 4096, replicas);
  }

  @Test
  void encoderWeights_tiAndFashionMnist() throws Exception {
    // Ti/16: 12 x (4 x 192^2 + 2 x 192 x 768); fashion_mnist: 6 x (4 x 128^2 + 2 x 128 x 256).
    assertEquals(
        5_308_416, XlaChoice.encoderWeights(ConfigLoader.loadNamed("token_learner_ti16").model()));
    assertEquals(
        786_432, XlaChoice.encoderWeights(ConfigLoader.loadNamed("fashion_mnist").model()));
  }

  @Test
  void of_auto_onlyForViTSizedModelsOnLongSingleReplicaRuns() throws Exception {
    XlaChoice ti = auto("token_learner_ti16", 28_080, 1);
    assertTrue(ti.on(), ti.reason());
    assertEquals(
        "jit auto: 5.3 M encoder weights over 28080 steps of 4096 (set jit: false to turn off)",
        ti.reason());
    XlaChoice fmnist = auto("fashion_mnist", 9_000, 1);
    assertFalse(fmnist.on(), fmnist.reason());
    assertTrue(fmnist.reason().contains("0.8 M encoder weights"), fmnist.reason());
    // Neither 100 steps of 4096 (409,600 examples) nor 2,000 of 8 repay the compilation.
    assertFalse(auto("token_learner_ti16", 100, 1).on());
    ExperimentConfig tiCfg = ConfigLoader.loadNamed("token_learner_ti16");
    XlaChoice small = XlaChoice.of(tiCfg.runtime(), tiCfg.model(), 2_000, 8, 1);
    assertFalse(small.on(), small.reason());
    assertTrue(small.reason().contains("2000 steps of 8"), small.reason());
    XlaChoice replicas = auto("token_learner_ti16", 28_080, 2);
    assertFalse(replicas.on());
    assertTrue(replicas.reason().contains("2 replicas"), replicas.reason());
  }

  @Test
  void of_configJit_winsOverTheRule() throws Exception {
    ExperimentConfig tiny = ConfigLoader.loadNamed("tiny");
    ExperimentConfig on = RuntimeConfig.override(tiny, Optional.of(true), Optional.empty());
    XlaChoice c = XlaChoice.of(on.runtime(), on.model(), 10, 8, 1);
    assertTrue(c.on());
    assertEquals("jit: true in the config", c.reason());
    ExperimentConfig ti = ConfigLoader.loadNamed("token_learner_ti16");
    ExperimentConfig off = RuntimeConfig.override(ti, Optional.of(false), Optional.empty());
    assertFalse(XlaChoice.of(off.runtime(), off.model(), 28_080, 4096, 1).on());
  }
}
