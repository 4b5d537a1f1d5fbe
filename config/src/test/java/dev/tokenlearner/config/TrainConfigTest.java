package dev.tokenlearner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Scenic's training-key fallbacks, on configs parsed from text. */
class TrainConfigTest {

  private static final String MODEL =
      "model_name: token_learner_classification\nnum_classes: 3\nimage_size: 16\n"
          + "model: {hidden_size: 8, num_heads: 2, mlp_dim: 16, num_layers: 2, classifier: gap,"
          + " tokenizer: {type: patch, patches: {size: [4, 4]}}}\n";

  private static TrainConfig train(String keys) {
    return ConfigLoader.parse(MODEL + keys, "train.yaml").train();
  }

  @Test
  void resolvedTotalSteps_epochs_dropsRemainderLikeScenic() {
    TrainConfig t = train("batch_size: 64\nnum_training_epochs: 2.5\n");
    // 1000 // 64 = 15 steps per epoch; int(15 * 2.5) = 37.
    assertEquals(15, t.stepsPerEpoch(1000));
    assertEquals(37, t.resolvedTotalSteps(1000));
  }

  @Test
  void resolvedTotalSteps_neitherStepsNorEpochs_throws() {
    TrainConfig t = train("batch_size: 64\n");
    assertThrows(IllegalStateException.class, () -> t.resolvedTotalSteps(1000));
  }

  @Test
  void resolvedSteps_unset_fallBackToEpochThenEval() {
    TrainConfig t = train("batch_size: 8\nnum_training_steps: 100\n");
    assertEquals(40, t.resolvedLogEvalSteps(40));
    assertEquals(40, t.resolvedCheckpointSteps(40));
    assertEquals(40, t.resolvedLogSummarySteps(40));
    assertEquals(8, t.resolvedEvalBatchSize());
    TrainConfig set = train("batch_size: 8\nlog_eval_steps: 10\nlog_summary_steps: 5\n");
    assertEquals(10, set.resolvedCheckpointSteps(40));
    assertEquals(5, set.resolvedLogSummarySteps(40));
  }

  @Test
  void effectiveOptimizer_followsScenicCompatibilityRules() {
    assertEquals("adam", train("optimizer: adam\n").effectiveOptimizer());
    assertEquals(
        "adamw",
        train("optimizer: adam\noptimizer_configs: {weight_decay: 0.1}\n").effectiveOptimizer());
    TrainConfig momentum = train("optimizer: momentum\n");
    assertEquals("sgd", momentum.effectiveOptimizer());
    assertEquals(0.9, momentum.effectiveMomentum());
    assertEquals(0.0, train("optimizer: sgd\n").effectiveMomentum());
  }

  @Test
  void parse_unknownOptimizer_suggestsClosest() {
    ConfigException e = assertThrows(ConfigException.class, () -> train("optimizer: adamm\n"));
    assertEquals("optimizer", e.key());
    assertEquals(true, e.getMessage().contains("did you mean 'adam"), e.getMessage());
  }

  @Test
  void parse_exponentWithoutDot_isANumber() {
    TrainConfig t =
        train(
            "lr_configs: {learning_rate_schedule: compound, factors: constant,"
                + " base_learning_rate: 1e-3}\n");
    assertEquals(1e-3, t.lrConfigs().orElseThrow().baseLearningRate());
  }

  @Test
  void parse_lrConfigsWithoutSchedule_isConstantBaseRate() {
    TrainConfig t = train("lr_configs: {base_learning_rate: 0.25}\n");
    assertEquals(0.25, t.lrConfigs().orElseThrow().learningRate(12345));
  }
}
