package dev.tokenlearner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/** The optimizer keys, read once by the loader into {@link OptimizerSpec}. */
class OptimizerSpecTest {

  private static ExperimentConfig load(String keys) {
    return ConfigLoader.parse(TrainConfigTest.MODEL + keys, "opt.yaml");
  }

  @Test
  void read_noKeys_isScenicDefaultAdam() {
    OptimizerSpec s = load("").train().optimizer();

    assertEquals(OptimizerKind.ADAM, s.kind());
    assertEquals(OptimizerConfigs.defaults(), s.configs());
    assertFalse(s.skipScaleAndBiasRegularization());
    assertEquals(0.0, s.weightDecay());
  }

  @Test
  void read_nesterovAlias_isSgdWithNesterovAndFlaxDefaultMomentum() {
    OptimizerSpec s = load("optimizer: nesterov\n").train().optimizer();

    assertEquals(OptimizerKind.SGD, s.kind());
    assertTrue(s.configs().nesterov());
    assertEquals(OptionalDouble.of(0.9), s.configs().momentum());
  }

  @Test
  void read_sgdWithMaskedDecay_keepsWeightDecayAndMask() {
    OptimizerSpec s =
        load("optimizer: sgd\noptimizer_configs: {weight_decay: 0.01, momentum: 0.5}\n"
                + "skip_scale_and_bias_regularization: true\n")
            .train()
            .optimizer();

    assertEquals(OptimizerKind.SGD, s.kind());
    assertEquals(0.01, s.weightDecay());
    assertEquals(OptionalDouble.of(0.5), s.configs().momentum());
    assertTrue(s.skipScaleAndBiasRegularization());
  }

  @Test
  void read_betaOutOfRange_failsNamingTheDottedKey() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> load("optimizer_configs: {beta2: 1.0}\n"));

    assertEquals("optimizer_configs.beta2", e.key());
    assertTrue(e.getMessage().contains("opt.yaml"), e.getMessage());
    assertTrue(e.getMessage().contains("[0, 1)"), e.getMessage());
  }

  @Test
  void read_skipFlagAsString_failsNamingTheKey() {
    ConfigException e =
        assertThrows(
            ConfigException.class, () -> load("skip_scale_and_bias_regularization: 'true'\n"));

    assertEquals(OptimizerSpec.SKIP_SCALE_AND_BIAS, e.key());
  }

  @Test
  void read_optimizerKeys_areNotListedUnused() {
    ExperimentConfig c =
        load(
            "optimizer: momentum\noptimizer_configs: {momentum: 0.8}\n"
                + "skip_scale_and_bias_regularization: false\n");

    assertFalse(c.unusedKeys().contains("optimizer"), c.unusedKeys().toString());
    assertFalse(c.unusedKeys().contains("optimizer_configs.momentum"), c.unusedKeys().toString());
    assertFalse(
        c.unusedKeys().contains(OptimizerSpec.SKIP_SCALE_AND_BIAS), c.unusedKeys().toString());
  }

  @Test
  void of_unknownName_throwsNamingOptimizerWithSuggestion() {
    ConfigValueException e =
        assertThrows(
            ConfigValueException.class,
            () -> OptimizerSpec.of("sgdd", OptimizerConfigs.defaults(), false));

    assertEquals(OptimizerSpec.KEY, e.key());
    assertTrue(e.problem().contains("did you mean 'sgd'"), e.problem());
  }

  @Test
  void names_everyKindAndScenicAlias() {
    assertEquals(
        java.util.List.of("adam", "adamw", "momentum", "nesterov", "sgd"),
        java.util.List.copyOf(OptimizerSpec.names()));
  }
}
