package dev.tokenlearner.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {

  /** A small valid config; tests replace one line to break or vary it. */
  private static final String BASE =
      String.join(
          "\n",
          "model_name: token_learner_classification",
          "num_classes: 7",
          "image_size: [32, 32]",
          "model:",
          "  hidden_size: 64",
          "  num_heads: 4",
          "  mlp_dim: 128",
          "  num_layers: 4",
          "  representation_size: null",
          "  classifier: gap",
          "  tokenizer:",
          "    type: dynamic",
          "    patches:",
          "      size: [4, 4]",
          "    num_tokens: 8",
          "    tokenlearner_loc: 2",
          "    use_tokenfuse: false",
          "    use_v11: true",
          "");

  private static String with(String line, String replacement) {
    if (!BASE.contains(line)) {
      throw new AssertionError("base config has no line " + line);
    }
    return BASE.replace(line, replacement);
  }

  private static ConfigException fails(String text) {
    return assertThrows(ConfigException.class, () -> ConfigLoader.parse(text, "test.yaml"));
  }

  private static void assertNames(ConfigException e, String key) {
    assertTrue(e.getMessage().startsWith("test.yaml: "), e.getMessage());
    assertTrue(e.getMessage().contains(key), e.getMessage());
    assertEquals("test.yaml", e.source());
  }

  @Test
  void parse_baseConfig_readsEveryField() {
    ExperimentConfig c = ConfigLoader.parse(BASE, "test.yaml");
    ModelConfig m = c.model();
    assertEquals(64, m.hiddenSize());
    assertEquals(4, m.numHeads());
    assertEquals(16, m.headDim());
    assertEquals(128, m.mlpDim());
    assertEquals(4, m.numLayers());
    assertEquals(OptionalInt.empty(), m.representationSize());
    assertEquals(Classifier.GAP, m.classifier());
    assertEquals(TokenizerType.DYNAMIC, m.tokenizer().type());
    assertArrayEquals(new int[] {4, 4}, m.tokenizer().patchSize());
    assertEquals(8, m.tokenizer().numTokens());
    assertEquals(2, m.tokenizer().tokenlearnerLoc());
    assertTrue(m.tokenizer().useV11());
    assertFalse(m.tokenizer().useTokenfuse());
    // Scenic's defaults for the keys the base config leaves out.
    assertEquals(0.1, m.dropoutRate());
    assertEquals(0.1, m.attentionDropoutRate());
    assertEquals("float32", c.modelDtypeStr());
    assertEquals(ModelName.CLASSIFICATION, c.modelName());
    assertEquals(new InputSpec(32, 32, 3, 0, 7), c.input());
    // 32 / 4 = 8 rows and columns of patches.
    assertEquals(new TokenGrid(8, 8, 1, 64, 64), c.tokenGrid());
    assertEquals(8, c.encodedLength());
    assertTrue(c.unusedKeys().isEmpty(), c.unusedKeys().toString());
    assertTrue(c.warnings().isEmpty(), c.warnings().toString());
  }

  @Test
  void parse_preprocessingNormalization_isReadNotUnused() {
    ExperimentConfig c =
        ConfigLoader.parse(BASE + "preprocessing: {normalization: imagenet}\n", "test.yaml");
    assertTrue(c.unusedKeys().isEmpty(), c.unusedKeys().toString());
  }

  @Test
  void parse_unknownNormalization_namesKey() {
    ConfigException e = fails(BASE + "preprocessing: {normalization: percent}\n");
    assertNames(e, "preprocessing.normalization");
    assertTrue(e.getMessage().contains("zero_centered"), e.getMessage());
  }

  @Test
  void parse_jsonAndYamlOfSameConfig_areEqual() {
    String json =
        "{\"model_name\": \"token_learner_classification\", \"num_classes\": 7,"
            + " \"image_size\": [32, 32], \"model\": {\"hidden_size\": 64, \"num_heads\": 4,"
            + " \"mlp_dim\": 128, \"num_layers\": 4, \"representation_size\": null,"
            + " \"classifier\": \"gap\", \"tokenizer\": {\"type\": \"dynamic\","
            + " \"patches\": {\"size\": [4, 4]}, \"num_tokens\": 8, \"tokenlearner_loc\": 2,"
            + " \"use_tokenfuse\": false, \"use_v11\": true}}}";
    ExperimentConfig fromJson = ConfigLoader.parse(json, "test.json");
    ExperimentConfig fromYaml = ConfigLoader.parse(BASE, "test.yaml");
    assertEquals(fromYaml.model(), fromJson.model());
    assertEquals(fromYaml.input(), fromJson.input());
    assertEquals(fromYaml.train(), fromJson.train());
  }

  @Test
  void parse_misspeltModelKey_suggestsClosestWithFileAndDottedKey() {
    ConfigException e = fails(with("  hidden_size: 64", "  hiden_size: 64"));
    assertNames(e, "model.hiden_size");
    assertTrue(e.getMessage().contains("did you mean 'model.hidden_size'?"), e.getMessage());
    assertEquals("model.hiden_size", e.key());
  }

  @Test
  void parse_misspeltTokenizerKey_suggestsClosest() {
    ConfigException e = fails(with("    tokenlearner_loc: 2", "    token_learner_loc: 2"));
    assertNames(e, "model.tokenizer.token_learner_loc");
    assertTrue(
        e.getMessage().contains("did you mean 'model.tokenizer.tokenlearner_loc'?"),
        e.getMessage());
  }

  @Test
  void parse_unrelatedUnknownModelKey_listsKnownKeys() {
    ConfigException e = fails(with("  classifier: gap", "  classifier: gap\n  zzzzzzzzzz: 1"));
    assertNames(e, "model.zzzzzzzzzz");
    assertTrue(e.getMessage().contains("known keys here"), e.getMessage());
  }

  @Test
  void parse_hiddenNotDivisibleByHeads_fails() {
    ConfigException e = fails(with("  num_heads: 4", "  num_heads: 5"));
    assertNames(e, "model.num_heads");
    assertTrue(e.getMessage().contains("64"), e.getMessage());
  }

  @Test
  void parse_v1OnNonSquareGrid_fails() {
    // 32x48 input with 4x4 patches: 8x12 = 96 tokens, not a square.
    String text =
        with("image_size: [32, 32]", "image_size: [32, 48]")
            .replace("    use_v11: true", "    use_v11: false");
    ConfigException e = fails(text);
    assertNames(e, "model.tokenizer.use_v11");
    assertTrue(e.getMessage().contains("96"), e.getMessage());
  }

  @Test
  void parse_v11OnNonSquareGrid_isFine() {
    ExperimentConfig c =
        ConfigLoader.parse(with("image_size: [32, 32]", "image_size: [32, 48]"), "t");
    assertEquals(new TokenGrid(8, 12, 1, 96, 96), c.tokenGrid());
  }

  @Test
  void parse_v1OnNonSquareGridWithoutTokenLearner_isFine() {
    // tokenlearner_loc >= num_layers: no TokenLearner is built, so the grid does not matter.
    String text =
        with("image_size: [32, 32]", "image_size: [32, 48]")
            .replace("    use_v11: true", "    use_v11: false")
            .replace("    tokenlearner_loc: 2", "    tokenlearner_loc: 4");
    ExperimentConfig c = ConfigLoader.parse(text, "test.yaml");
    assertFalse(c.model().hasTokenLearner());
  }

  @Test
  void parse_unknownTokenizerType_failsWithSuggestion() {
    ConfigException e = fails(with("    type: dynamic", "    type: dynamc"));
    assertNames(e, "model.tokenizer.type");
    assertTrue(e.getMessage().contains("did you mean 'dynamic'?"), e.getMessage());
  }

  @Test
  void parse_tokenClassifier_failsNamingAllowedValues() {
    ConfigException e = fails(with("  classifier: gap", "  classifier: token"));
    assertNames(e, "model.classifier");
    assertTrue(e.getMessage().contains("[gap, gmp, gsp]"), e.getMessage());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "'  num_layers: 4', '  num_layers: four', model.num_layers, expected an integer",
    "'  num_layers: 4', '  num_layers: 4.5', model.num_layers, expected an integer",
    "'    use_v11: true', '    use_v11: 1', model.tokenizer.use_v11, expected true or false",
    "'      size: [4, 4]', '      size: 4', model.tokenizer.patches.size, expected a list",
    "'  classifier: gap', '  classifier: 3', model.classifier, expected a string",
    "'      size: [4, 4]', '      size: [4, x]', model.tokenizer.patches.size, expected an integer",
  })
  void parse_wrongType_failsNamingKey(String line, String replacement, String key, String what) {
    ConfigException e = fails(with(line, replacement.replace("\\n", "\n")));
    assertNames(e, key);
    assertTrue(e.getMessage().contains(what), e.getMessage());
  }

  @Test
  void parse_scalarWhereMappingExpected_fails() {
    ConfigException e =
        fails(BASE.replace("    patches:\n      size: [4, 4]\n", "    patches: 4\n"));
    assertNames(e, "model.tokenizer.patches");
    assertTrue(e.getMessage().contains("expected a mapping, found integer 4"), e.getMessage());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "'  hidden_size: 64\n', model.hidden_size",
    "'    type: dynamic\n', model.tokenizer.type",
    "'    num_tokens: 8\n', model.tokenizer.num_tokens",
    "'    tokenlearner_loc: 2\n', model.tokenizer.tokenlearner_loc",
    "'  classifier: gap\n', model.classifier",
    "'num_classes: 7\n', num_classes",
    "'model_name: token_learner_classification\n', model_name",
    "'    patches:\n      size: [4, 4]\n', model.tokenizer.patches.size",
  })
  void parse_missingRequiredKey_failsNamingKey(String removed, String key) {
    String text = BASE.replace(removed.replace("\\n", "\n"), "");
    assertFalse(text.equals(BASE), "nothing removed");
    ConfigException e = fails(text);
    assertNames(e, key);
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void parse_tokenlearnerLocAtNumLayers_warnsPlainViT() {
    ExperimentConfig c =
        ConfigLoader.parse(with("    tokenlearner_loc: 2", "    tokenlearner_loc: 4"), "test.yaml");
    assertFalse(c.model().hasTokenLearner());
    assertEquals(1, c.warnings().size(), c.warnings().toString());
    assertTrue(c.warnings().get(0).contains("model.tokenizer.tokenlearner_loc"));
    assertTrue(c.warnings().get(0).contains("plain ViT"));
    assertEquals(64, c.encodedLength());
  }

  @Test
  void parse_negativeTokenlearnerLoc_fails() {
    assertNames(
        fails(with("    tokenlearner_loc: 2", "    tokenlearner_loc: -1")),
        "model.tokenizer.tokenlearner_loc");
  }

  @Test
  void parse_duplicateKey_fails() {
    ConfigException e = fails(with("  num_layers: 4", "  num_layers: 4\n  num_layers: 5"));
    assertTrue(e.getMessage().startsWith("test.yaml: "), e.getMessage());
    assertTrue(e.getMessage().contains("num_layers"), e.getMessage());
  }

  @Test
  void parse_notAMapping_fails() {
    ConfigException e = fails("- 1\n- 2\n");
    assertTrue(e.getMessage().contains("expected a mapping at the top level"), e.getMessage());
  }

  @Test
  void parse_scenicExtraKeys_listedAsUnusedInDocumentOrder() {
    String text =
        "experiment_name: x\n"
            + BASE
            + "dataset_configs:\n  prefetch_to_device: 2\n  augmentation_params:\n"
            + "    do_jitter_scale: true\n"
            + "write_summary: true\n";
    ExperimentConfig c = ConfigLoader.parse(text, "test.yaml");
    assertEquals(
        List.of(
            "experiment_name",
            "dataset_configs.prefetch_to_device",
            "dataset_configs.augmentation_params",
            "write_summary"),
        c.unusedKeys());
  }

  @Test
  void parse_misspeltTopLevelKey_failsWithSuggestion() {
    ConfigException e = fails(BASE + "batch_sise: 64\n");
    assertNames(e, "batch_sise");
    assertTrue(e.getMessage().contains("did you mean 'batch_size'?"), e.getMessage());
  }

  @Test
  void parse_unknownDatasetKey_failsWithSuggestion() {
    ConfigException e = fails(BASE + "dataset_configs:\n  random_flop: true\n");
    assertNames(e, "dataset_configs.random_flop");
    assertTrue(
        e.getMessage().contains("did you mean 'dataset_configs.random_flip'?"), e.getMessage());
  }

  @Test
  void parse_videoDatasetKeys_readIntoTypedFields() {
    ExperimentConfig c =
        ConfigLoader.parse(
            BASE
                + "dataset_configs:\n  stride: 2\n  min_resize: 36\n  num_test_clips: 4\n"
                + "  do_three_spatial_crops: true\n  do_multicrop_test: true\n"
                + "  log_test_epochs: 5\n  random_flip: true\n",
            "test.yaml");
    assertEquals(
        new VideoDatasetConfig(
            2, OptionalInt.of(36), 4, true, true, java.util.OptionalDouble.of(5)),
        c.train().dataset().video());
    assertTrue(c.train().dataset().randomFlip());
    assertEquals(List.of(), c.unusedKeys());
  }

  @Test
  void parse_videoDatasetKeysAbsent_areScenicDefaults() {
    ExperimentConfig c = ConfigLoader.parse(BASE, "test.yaml");
    assertEquals(VideoDatasetConfig.defaults(), c.train().dataset().video());
    assertEquals(1, c.train().dataset().video().stride());
    assertFalse(c.train().dataset().randomFlip());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "do_multicrop_test: 'true'|dataset_configs.do_multicrop_test|expected true or false",
        "random_flip: 1|dataset_configs.random_flip|expected true or false",
        "stride: 1.5|dataset_configs.stride|expected an integer",
        "stride: 0|dataset_configs.stride|must be positive",
        "num_test_clips: -1|dataset_configs.num_test_clips|must be positive",
        "log_test_epochs: 0|dataset_configs.log_test_epochs|positive number",
        "log_test_epochs: five|dataset_configs.log_test_epochs|expected a number"
      })
  void parse_badDatasetValue_failsAtLoadNamingKey(String line, String key, String what) {
    ConfigException e = fails(BASE + "dataset_configs:\n  " + line + "\n");
    assertNames(e, key);
    assertTrue(e.getMessage().contains(what), e.getMessage());
  }

  @Test
  void withKeys_replacesTopLevelKeysAndValidatesAgain() {
    ExperimentConfig c = ConfigLoader.parse(BASE, "test.yaml");
    ExperimentConfig d = ConfigLoader.withKeys(c, java.util.Map.of("num_training_steps", 7));
    assertEquals(7, d.train().numTrainingSteps().getAsLong());
    assertEquals("test.yaml", d.source());
    assertThrows(
        ConfigException.class,
        () -> ConfigLoader.withKeys(c, java.util.Map.of("num_training_steps", "7")));
  }

  @Test
  void parse_vivitPlacementUnderModel_warnsAndListsUnused() {
    ExperimentConfig c =
        ConfigLoader.parse(
            with("  classifier: gap", "  classifier: gap\n  patches:\n    size: [4, 4]"), "t");
    assertTrue(c.unusedKeys().contains("model.patches.size"), c.unusedKeys().toString());
    assertTrue(
        c.warnings().stream().anyMatch(w -> w.contains("model.patches")), c.warnings().toString());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    // variant, hidden, heads, mlp, layers, patch: the ViT size table.
    "Ti/16, 192, 3, 768, 12, 16",
    "S/32, 384, 6, 1536, 12, 32",
    "B/16, 768, 12, 3072, 12, 16",
    "L/16, 1024, 16, 4096, 24, 16",
    "H/14, 1280, 16, 5120, 32, 14",
  })
  void parse_variant_fillsDimsFromTable(
      String variant, int hidden, int heads, int mlp, int layers, int patch) {
    String text =
        "model_name: token_learner_classification\nnum_classes: 10\nimage_size: 224\n"
            + "model:\n  variant: '"
            + variant
            + "'\n  classifier: gap\n"
            + "  tokenizer: {type: dynamic, num_tokens: 8, tokenlearner_loc: 1}\n";
    ModelConfig m = ConfigLoader.parse(text, "v.yaml").model();
    assertEquals(hidden, m.hiddenSize());
    assertEquals(heads, m.numHeads());
    assertEquals(mlp, m.mlpDim());
    assertEquals(layers, m.numLayers());
    assertArrayEquals(new int[] {patch, patch}, m.tokenizer().patchSize());
  }

  @Test
  void parse_variantWithExplicitKeys_explicitWins() {
    String text =
        "model_name: token_learner_classification\nnum_classes: 10\n"
            + "model:\n  variant: B/16\n  num_layers: 6\n  classifier: gap\n"
            + "  tokenizer: {type: dynamic, num_tokens: 8, tokenlearner_loc: 1,"
            + " patches: {size: [32, 32]}}\n";
    ExperimentConfig c = ConfigLoader.parse(text, "v.yaml");
    assertEquals(768, c.model().hiddenSize());
    assertEquals(6, c.model().numLayers());
    assertArrayEquals(new int[] {32, 32}, c.model().tokenizer().patchSize());
    // No size key: 224 by default, 7 x 7 patches of 32.
    assertEquals(49, c.tokenGrid().sequenceLength());
  }

  @Test
  void parse_badVariant_failsNamingKey() {
    String text =
        "model_name: token_learner_classification\nnum_classes: 10\n"
            + "model:\n  variant: X/16\n  classifier: gap\n"
            + "  tokenizer: {type: dynamic, num_tokens: 8, tokenlearner_loc: 1}\n";
    assertNames(
        assertThrows(ConfigException.class, () -> ConfigLoader.parse(text, "test.yaml")),
        "model.variant");
  }

  @Test
  void parse_disagreeingImageSizes_fails() {
    String text = BASE + "dataset_configs:\n  image_size: 64\n";
    ConfigException e = fails(text);
    assertNames(e, "image_size");
    assertTrue(e.getMessage().contains("disagrees"), e.getMessage());
  }

  @Test
  void parse_numClassesFromDatasetMetaData_accepted() {
    String text = BASE.replace("num_classes: 7\n", "dataset_meta_data:\n  num_classes: 12\n");
    assertEquals(12, ConfigLoader.parse(text, "t").numClasses());
  }

  @Test
  void parse_patchTokenizerWithoutTokenKeys_isPlainViT() {
    String text =
        BASE.replace("    type: dynamic", "    type: patch")
            .replace("    num_tokens: 8\n", "")
            .replace("    tokenlearner_loc: 2\n", "");
    ExperimentConfig c = ConfigLoader.parse(text, "t");
    assertFalse(c.model().hasTokenLearner());
    assertEquals(0, c.model().tokenLearnerCount());
    assertTrue(c.warnings().isEmpty(), c.warnings().toString());
  }

  @Test
  void parse_videoWithoutFrames_failsNamingNumFrames() {
    String text =
        BASE.replace(
                "    type: dynamic",
                "    type: video\n    temporal_encoding_config:\n" + "      method: 3d_conv")
            .replace("      size: [4, 4]", "      size: [4, 4, 2]");
    ConfigException e = fails(text);
    assertNames(e, "num_frames");
  }

  @Test
  void parse_temporalSampling_stacksSampledFrames() {
    String text =
        BASE.replace(
                "    type: dynamic",
                "    type: video\n    temporal_encoding_config:\n"
                    + "      method: temporal_sampling\n      n_sampled_frames: 8")
            + "dataset_configs:\n  num_frames: 32\n";
    ExperimentConfig c = ConfigLoader.parse(text, "t");
    // Scenic samples frames [4, 7, 11, 14, 18, 21, 25, 28]: 8 frames of 8 x 8 patches.
    assertEquals(new TokenGrid(8, 8, 8, 64, 512), c.tokenGrid());
    assertEquals(64, c.encodedLength()); // 8 frames x 8 tokens
  }

  @Test
  void parse_temporalSamplingWithoutFrameCount_fails() {
    String text =
        BASE.replace(
                "    type: dynamic",
                "    type: video\n    temporal_encoding_config:\n"
                    + "      method: temporal_sampling")
            + "dataset_configs:\n  num_frames: 32\n";
    assertNames(fails(text), "model.tokenizer.temporal_encoding_config.n_sampled_frames");
  }

  @Test
  void parse_conv3dWithTwoEntryPatch_fails() {
    String text =
        BASE.replace(
                "    type: dynamic",
                "    type: video\n    temporal_encoding_config:\n" + "      method: 3d_conv")
            + "dataset_configs:\n  num_frames: 8\n";
    ConfigException e = fails(text);
    assertNames(e, "model.tokenizer.patches.size");
    assertTrue(e.getMessage().contains("[fh, fw, ft]"), e.getMessage());
  }

  @Test
  void parse_bothStepsAndEpochs_fails() {
    assertNames(
        fails(BASE + "num_training_steps: 10\nnum_training_epochs: 2\n"), "num_training_epochs");
  }

  @Test
  void parse_misspeltLrKey_suggestsClosest() {
    String text =
        BASE
            + "lr_configs:\n  learning_rate_schedule: compound\n  factors: constant*linear_warmup\n"
            + "  base_learning_rate: 0.1\n  warmup_step: 10\n";
    ConfigException e = fails(text);
    assertNames(e, "lr_configs.warmup_step");
    assertTrue(e.getMessage().contains("did you mean 'lr_configs.warmup_steps'?"), e.getMessage());
  }

  @Test
  void parse_unsupportedLrFactor_fails() {
    String text =
        BASE
            + "lr_configs:\n  learning_rate_schedule: compound\n  factors: constant*decay_every\n"
            + "  base_learning_rate: 0.1\n";
    assertNames(fails(text), "lr_configs.factors");
  }

  @Test
  void load_file_namesPathInErrors(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, with("  hidden_size: 64", "  hidden_sise: 64"));
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f));
    assertTrue(e.getMessage().startsWith(f.toString() + ": model.hidden_sise"), e.getMessage());
    assertEquals(f.toString(), e.source());
  }

  @Test
  void loadNamed_existingFile_wins(@TempDir Path dir) throws IOException {
    Path f = dir.resolve("tiny");
    Files.writeString(f, BASE);
    assertEquals(7, ConfigLoader.loadNamed(f.toString()).numClasses());
  }

  @Test
  void loadNamed_unknownName_fails() {
    ConfigException e =
        assertThrows(ConfigException.class, () -> ConfigLoader.loadNamed("no_such_config_xyz"));
    assertTrue(
        e.getMessage().contains("classpath:configs/no_such_config_xyz.yaml"), e.getMessage());
  }
}
