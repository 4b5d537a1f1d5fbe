package dev.tokenlearner.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The configs under configs/ load from the classpath by name and say what their comments say. */
class BundledConfigsTest {

  static Stream<String> bundledNames() throws IOException {
    // The source folder the build copies onto the classpath.
    try (Stream<Path> s = Files.list(Path.of("../configs"))) {
      return s
          .map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".yaml"))
          .map(n -> n.substring(0, n.length() - ".yaml".length()))
          .sorted()
          .toList()
          .stream();
    }
  }

  /**
   * What {@code inspect --unused} lists for each bundled config: Scenic keys this toolkit ignores.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "fashion_mnist|experiment_name",
        "im1k_token_learner|experiment_name trainer_name write_summary xprof checkpoint"
            + " debug_train debug_eval",
        "kinetics_tokenlearner_b16|experiment_name dataset_configs.tables"
            + " dataset_configs.examples_per_subset dataset_configs.one_hot_labels"
            + " dataset_configs.zero_centering dataset_configs.test_batch_size"
            + " dataset_configs.augmentation_params dataset_configs.prefetch_to_device"
            + " multicrop_clips_per_device trainer_name write_summary checkpoint debug_train"
            + " debug_eval",
        "tiny|experiment_name",
        "token_learner_b16|experiment_name trainer_name write_summary xprof checkpoint"
            + " debug_train debug_eval",
        "token_learner_l16|experiment_name trainer_name write_summary xprof checkpoint"
            + " debug_train debug_eval",
        "token_learner_s16|experiment_name trainer_name write_summary xprof checkpoint"
            + " debug_train debug_eval",
        "token_learner_ti16|experiment_name trainer_name write_summary xprof checkpoint"
            + " debug_train debug_eval",
        "tokenfuser_b16|experiment_name trainer_name write_summary xprof checkpoint"
            + " debug_train debug_eval",
        "vit_b16_baseline|experiment_name trainer_name write_summary xprof checkpoint"
            + " debug_train debug_eval"
      })
  void unusedKeys_everyBundledConfig_areExactlyItsIgnoredScenicKeys(String name, String unused)
      throws IOException {
    ExperimentConfig c = ConfigLoader.loadNamed(name);
    assertEquals(List.of(unused.split(" ")), c.unusedKeys());
    assertTrue(ConfigLoader.IGNORED_KEYS.containsAll(c.unusedKeys()), c.unusedKeys().toString());
  }

  @Test
  void unusedKeysTable_coversEveryBundledConfig() throws IOException {
    assertEquals(10, bundledNames().count(), "add the new config to the unused-keys table above");
  }

  @Test
  void bundledNames_includeTheDocumentedConfigs() throws IOException {
    List<String> names = bundledNames().toList();
    assertTrue(
        names.containsAll(
            List.of(
                "tiny",
                "im1k_token_learner",
                "vit_b16_baseline",
                "tokenfuser_b16",
                "kinetics_tokenlearner_b16",
                "token_learner_ti16",
                "token_learner_s16",
                "token_learner_b16",
                "token_learner_l16")),
        names.toString());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bundledNames")
  void loadNamed_everyBundledConfig_loadsFromClasspath(String name) throws IOException {
    ExperimentConfig c = ConfigLoader.loadNamed(name);
    assertEquals("classpath:configs/" + name + ".yaml", c.source());
    assertTrue(c.train().lrConfigs().isPresent(), "every bundled config trains");
    assertTrue(c.train().batchSize().isPresent());
  }

  @Test
  void tiny_matchesTheDemoSetup() throws IOException {
    ExperimentConfig c = ConfigLoader.loadNamed("tiny");
    assertEquals(new InputSpec(32, 32, 3, 0, 10), c.input());
    ModelConfig m = c.model();
    assertEquals(
        List.of(64, 4, 128, 4), List.of(m.hiddenSize(), m.numHeads(), m.mlpDim(), m.numLayers()));
    assertEquals(TokenizerType.DYNAMIC, m.tokenizer().type());
    assertArrayEquals(new int[] {4, 4}, m.tokenizer().patchSize());
    assertEquals(8, m.tokenizer().numTokens());
    assertEquals(2, m.tokenizer().tokenlearnerLoc());
    assertTrue(m.tokenizer().useV11());
    // (32 / 4)^2 = 64 patch tokens, 8 learned tokens from block 2 on.
    assertEquals(64, c.tokenGrid().sequenceLength());
    assertEquals(8, c.encodedLength());
    TrainConfig t = c.train();
    assertEquals(OptimizerKind.ADAM, t.optimizer().kind());
    assertEquals(64, t.requireBatchSize());
    assertEquals(600, t.resolvedTotalSteps(t.dataset().numTrainExamples().getAsLong()));
    assertEquals("embedded_shapes", t.dataset().datasetName().orElseThrow());
    LrConfig lr = t.lrConfigs().orElseThrow();
    assertEquals(1e-3, lr.baseLearningRate());
    assertEquals(50, lr.warmupSteps());
    assertEquals(List.of("experiment_name"), c.unusedKeys());
    assertTrue(c.warnings().isEmpty(), c.warnings().toString());
  }

  @Test
  void im1k_matchesScenicConfig() throws IOException {
    ExperimentConfig c = ConfigLoader.loadNamed("im1k_token_learner");
    ModelConfig m = c.model();
    assertEquals(ModelName.MULTILABEL_CLASSIFICATION, c.modelName());
    assertEquals(
        List.of(768, 12, 3072, 12),
        List.of(m.hiddenSize(), m.numHeads(), m.mlpDim(), m.numLayers()));
    assertEquals(16, m.tokenizer().numTokens());
    assertEquals(9, m.tokenizer().tokenlearnerLoc());
    assertEquals(Classifier.GAP, m.classifier());
    assertEquals(196, c.tokenGrid().sequenceLength()); // (224 / 16)^2
    assertEquals(1000, c.numClasses());
    TrainConfig t = c.train();
    // Scenic turns 'adam' with a weight_decay into optax.adamw.
    assertEquals(OptimizerKind.ADAMW, t.optimizer().kind());
    assertEquals(OptionalDouble.of(0.3), t.optimizer().configs().weightDecay());
    assertEquals(OptionalDouble.of(-10.0), t.initHeadBias());
    // 90 epochs of 1281167 // 4096 = 312 steps, the lr_configs.total_steps written in the file.
    long total = t.resolvedTotalSteps(t.dataset().numTrainExamples().getAsLong());
    assertEquals(90 * 312, total);
    assertEquals(total, t.lrConfigs().orElseThrow().totalSteps().getAsLong());
    assertEquals(1000, t.resolvedLogEvalSteps(312));
    assertEquals(5000, t.resolvedCheckpointSteps(312));
    assertEquals(1000, t.resolvedLogSummarySteps(312));
    assertTrue(c.warnings().isEmpty(), c.warnings().toString());
    assertEquals(0.1, m.stochasticDepth());
    assertTrue(c.unusedKeys().contains("xprof"));
  }

  @Test
  void baselineAndFuser_differFromIm1kOnlyInTokenizer() throws IOException {
    ExperimentConfig tl = ConfigLoader.loadNamed("im1k_token_learner");
    ExperimentConfig vit = ConfigLoader.loadNamed("vit_b16_baseline");
    ExperimentConfig fuser = ConfigLoader.loadNamed("tokenfuser_b16");
    assertFalse(vit.model().hasTokenLearner());
    assertEquals(TokenizerType.PATCH, vit.model().tokenizer().type());
    assertEquals(tl.model().withoutTokenLearner().hiddenSize(), vit.model().hiddenSize());
    assertEquals(3, fuser.model().tokenLearnerCount()); // blocks 9, 10, 11
    assertEquals(196, fuser.encodedLength());
    assertEquals(tl.train(), vit.train());
    assertEquals(tl.train(), fuser.train());
  }

  @Test
  void kinetics_isVideoWith3136TokensAnd128Learned() throws IOException {
    ExperimentConfig c = ConfigLoader.loadNamed("kinetics_tokenlearner_b16");
    assertEquals(new InputSpec(224, 224, 3, 32, 400), c.input());
    assertArrayEquals(new int[] {16, 16, 2}, c.model().tokenizer().patchSize());
    // T' = 32 / 2 = 16 steps of 14 x 14 = 196 patches.
    assertEquals(new TokenGrid(14, 14, 16, 196, 3136), c.tokenGrid());
    assertEquals(128, c.encodedLength()); // 16 steps x 8 tokens
    TrainConfig t = c.train();
    assertEquals(OptimizerKind.SGD, t.optimizer().kind());
    assertEquals(OptionalDouble.of(0.9), t.optimizer().configs().momentum());
    assertEquals(
        List.of("constant", "cosine_decay", "linear_warmup"),
        t.lrConfigs().orElseThrow().factors());
    assertEquals(30 * 3356, t.resolvedTotalSteps(214834));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "token_learner_ti16, 192, 3, 768, 12",
    "token_learner_s16, 384, 6, 1536, 12",
    "token_learner_b16, 768, 12, 3072, 12",
    "token_learner_l16, 1024, 16, 4096, 24",
  })
  void variantConfigs_takeDimsFromTable(String name, int d, int h, int mlp, int layers)
      throws IOException {
    ModelConfig m = ConfigLoader.loadNamed(name).model();
    assertEquals(
        List.of(d, h, mlp, layers),
        List.of(m.hiddenSize(), m.numHeads(), m.mlpDim(), m.numLayers()));
    assertArrayEquals(new int[] {16, 16}, m.tokenizer().patchSize());
    assertTrue(m.hasTokenLearner());
  }
}
