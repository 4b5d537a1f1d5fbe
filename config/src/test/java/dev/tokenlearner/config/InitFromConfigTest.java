package dev.tokenlearner.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class InitFromConfigTest {

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
          "");

  private static Optional<InitFromConfig> parse(String initFrom) {
    return ConfigLoader.parse(BASE + initFrom, "test.yaml").initFrom();
  }

  @Test
  void of_noBlock_empty() {
    assertTrue(parse("").isEmpty());
  }

  @Test
  void of_pathNull_emptyAsInScenic() {
    assertTrue(parse("init_from:\n  checkpoint_path: null\n").isEmpty());
  }

  @Test
  void of_pathOnly_scenicDefaults() {
    InitFromConfig c = parse("init_from:\n  checkpoint_path: /ckpt/vit.npz\n").orElseThrow();
    assertEquals("/ckpt/vit.npz", c.checkpointPath());
    assertTrue(c.restorePositionalEmbedding());
    assertTrue(c.restoreInputEmbedding());
    assertEquals("resize", c.positionalEmbedSizeChange());
    assertTrue(c.checkpointFormat().isEmpty());
  }

  @Test
  void of_everyKey_read() {
    InitFromConfig c =
        parse(
                String.join(
                    "\n",
                    "init_from:",
                    "  checkpoint_path: w",
                    "  restore_positional_embedding: false",
                    "  restore_input_embedding: false",
                    "  positional_embed_size_change: resize_tile",
                    "  checkpoint_format: big_vision",
                    "  model_config: {model: {classifier: token}}",
                    ""))
            .orElseThrow();
    assertFalse(c.restorePositionalEmbedding());
    assertFalse(c.restoreInputEmbedding());
    assertEquals("resize_tile", c.positionalEmbedSizeChange());
    assertEquals(Optional.of("big_vision"), c.checkpointFormat());
  }

  @Test
  void load_initFromKeys_notListedAsUnused() {
    ExperimentConfig c =
        ConfigLoader.parse(
            BASE + "init_from:\n  checkpoint_path: w\n  restore_input_embedding: false\n",
            "test.yaml");
    assertTrue(
        c.unusedKeys().stream().noneMatch(k -> k.startsWith("init_from")),
        c.unusedKeys().toString());
  }

  @Test
  void of_misspeltKey_errorNamesDottedKey() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> parse("init_from:\n  checkpoint_path: w\n  restore_input_embeding: false\n"));
    assertTrue(e.getMessage().contains("init_from.restore_input_embeding"), e.getMessage());
  }

  @Test
  void of_unknownSizeChange_errorNamesKeyAndChoices() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                parse("init_from:\n  checkpoint_path: w\n  positional_embed_size_change: zoom\n"));
    assertTrue(e.getMessage().contains("init_from.positional_embed_size_change"), e.getMessage());
    assertTrue(e.getMessage().contains("resize_tile"), e.getMessage());
  }
}
