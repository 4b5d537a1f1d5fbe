package dev.tokenlearner.export.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.checkpoint.Fixtures;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.config.Normalization;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ModelMetadataTest {

  private static final String AWKWARD_TEXT =
      "# a comment: with colons\nmodel:\n  hidden_size: 32   \n\ttab: \"quoted\" 'single'\n"
          + "unicode: \u00e9\u4e2d\n\n";

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"tiny_v11", "tiny_v1_fuser", "tiny_patch", "tiny_video_3dconv"})
  void parse_toYamlOfFixtureConfig_roundTrips(String set) throws IOException {
    ExperimentConfig cfg = ConfigLoader.load(Fixtures.set(set).resolve("config.json"));
    ModelMetadata meta =
        new ModelMetadata(
            cfg.modelName().scenicName(),
            cfg.model(),
            cfg.input(),
            Normalization.IMAGENET,
            Signatures.keys(cfg.model().hasTokenLearner()),
            Map.of("checkpoint", "/x/checkpoint_1", "checkpoint_step", "1"),
            Optional.of(AWKWARD_TEXT),
            labels(cfg.input().numClasses()),
            Optional.of(new ModelStatistics(1234, 7, 0.5, 0.75)));
    ModelMetadata back = ModelMetadata.parse(meta.toYaml(), "test");
    assertEquals(meta, back);
    assertEquals(cfg.model(), back.experimentConfig().model());
    assertEquals(cfg.input().numClasses(), back.experimentConfig().numClasses());
  }

  private static List<String> labels(int n) {
    return java.util.stream.IntStream.range(0, n).mapToObj(i -> "class \u00e9 " + i).toList();
  }

  @Test
  void parse_otherFormat_throwsNamingFormat() {
    IOException e =
        assertThrows(IOException.class, () -> ModelMetadata.parse("format: other\n", "f.yaml"));
    assertTrue(e.getMessage().contains("tokenlearner-savedmodel"), e.getMessage());
  }

  @Test
  void parse_futureVersion_throwsNamingVersion() {
    IOException e =
        assertThrows(
            IOException.class,
            () ->
                ModelMetadata.parse(
                    "format: tokenlearner-savedmodel\nformat_version: 9\n", "f.yaml"));
    assertTrue(e.getMessage().contains("format_version"), e.getMessage());
  }

  @Test
  void keys_withAndWithoutTokenLearner_listLearnedTokensOnlyWithIt() {
    assertEquals(
        List.of(
            "serving_default",
            "representation",
            "encoded",
            "learned_tokens",
            "token_maps",
            "serving_bytes"),
        Signatures.keys(true));
    assertEquals(
        List.of("serving_default", "representation", "encoded", "serving_bytes"),
        Signatures.keys(false));
  }
}
