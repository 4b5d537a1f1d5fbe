package dev.tokenlearner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class MixupConfigTest {

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
          "    type: patch",
          "    patches:",
          "      size: [4, 4]",
          "");

  private static ExperimentConfig load(String mixup) {
    return ConfigLoader.parse(BASE + mixup, "test.yaml");
  }

  private static Optional<MixupConfig> parse(String mixup) {
    return load(mixup).mixup();
  }

  private static ConfigException fails(String mixup) {
    return assertThrows(ConfigException.class, () -> load(mixup));
  }

  @Test
  void of_noBlockNullOrZeroAlpha_off() {
    assertTrue(parse("").isEmpty());
    assertTrue(parse("mixup: {alpha: null}\n").isEmpty());
    assertTrue(parse("mixup: {alpha: 0}\n").isEmpty());
    assertTrue(parse("mixup: {alpha: 0.0}\n").isEmpty());
  }

  @Test
  void of_positiveAlpha_readsItAndKeysCountAsUsed() {
    ExperimentConfig cfg = load("mixup: {alpha: 0.3, bind_to: device, image_format: NHWC}\n");

    assertEquals(0.3, cfg.mixup().orElseThrow().alpha(), 0);
    assertTrue(cfg.mixup().orElseThrow().perReplica());
    assertFalse(cfg.unusedKeys().stream().anyMatch(k -> k.startsWith("mixup")), "" + cfg);
  }

  @Test
  void of_bindToAbsentOrNull_perReplicaOrOneLambdaForAll() {
    assertTrue(parse("mixup: {alpha: 0.5}\n").orElseThrow().perReplica());
    assertFalse(parse("mixup: {alpha: 0.5, bind_to: null}\n").orElseThrow().perReplica());
  }

  @Test
  void load_negativeAlpha_failsNamingKey() {
    ConfigException e = fails("mixup: {alpha: -0.5}\n");

    assertTrue(e.getMessage().contains("mixup.alpha"), e.getMessage());
    assertTrue(e.getMessage().contains("-0.5"), e.getMessage());
  }

  @Test
  void load_alphaNotANumber_failsNamingKey() {
    ConfigException e = fails("mixup: {alpha: strong}\n");

    assertTrue(e.getMessage().contains("mixup.alpha"), e.getMessage());
  }

  @Test
  void load_misspeltKey_suggestsAlpha() {
    ConfigException e = fails("mixup: {alpah: 0.2}\n");

    assertTrue(e.getMessage().contains("mixup.alpah"), e.getMessage());
    assertTrue(e.getMessage().contains("mixup.alpha"), e.getMessage());
  }

  @Test
  void load_unknownBindToOrChannelsFirstFormat_failsNamingKey() {
    assertTrue(fails("mixup: {alpha: 0.2, bind_to: pod}\n").getMessage().contains("mixup.bind_to"));
    assertTrue(
        fails("mixup: {alpha: 0.2, image_format: HWCN}\n")
            .getMessage()
            .contains("mixup.image_format"));
  }

  @Test
  void load_blockNotAMapping_failsNamingKey() {
    assertTrue(fails("mixup: 0.2\n").getMessage().contains("mixup"));
  }

  @Test
  void constructor_zeroAlpha_throwsNamingKey() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new MixupConfig(0, true));

    assertTrue(e.getMessage().contains("mixup.alpha"), e.getMessage());
  }
}
