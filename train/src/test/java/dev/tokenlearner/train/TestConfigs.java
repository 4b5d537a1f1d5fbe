package dev.tokenlearner.train;

import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.config.ExperimentConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/** Small experiment configs for fast tests, as YAML text through the real loader. */
final class TestConfigs {

  private TestConfigs() {}

  /**
   * A 16x16, 4-class embedded-shapes experiment with a 2-block model (width 32, TokenLearner v1.1
   * with 4 tokens before block 1).
   *
   * @param extra YAML snippets deep-merged over the defaults, e.g. {@code "num_training_steps: 6"}
   */
  static ExperimentConfig tiny(String... extra) {
    Map<String, Object> doc = yaml(BASE);
    for (String e : extra) {
      merge(doc, yaml(e));
    }
    return ConfigLoader.fromMap(doc, "test-tiny");
  }

  private static final String BASE =
      """
      dataset_name: embedded_shapes
      dataset_configs:
        image_size: [16, 16]
        num_classes: 4
        num_train_examples: 256
        num_eval_examples: 64
      model_name: token_learner_classification
      model:
        hidden_size: 32
        num_heads: 2
        mlp_dim: 64
        num_layers: 2
        tokenizer:
          type: dynamic
          patches:
            size: [4, 4]
          num_tokens: 4
          tokenlearner_loc: 1
          use_v11: true
        representation_size: null
        classifier: gap
        dropout_rate: 0.0
        attention_dropout_rate: 0.0
      optimizer: adam
      batch_size: 16
      eval_batch_size: 32
      rng_seed: 3
      num_training_steps: 8
      lr_configs:
        learning_rate_schedule: compound
        factors: constant*linear_warmup
        warmup_steps: 2
        base_learning_rate: 3.0e-3
      """;

  @SuppressWarnings("unchecked")
  private static Map<String, Object> yaml(String text) {
    return new LinkedHashMap<>(
        (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromString(text));
  }

  /** Deep merge: maps merge key by key, anything else replaces. */
  @SuppressWarnings("unchecked")
  private static void merge(Map<String, Object> into, Map<String, Object> from) {
    for (Map.Entry<String, Object> e : from.entrySet()) {
      Object old = into.get(e.getKey());
      if (old instanceof Map<?, ?> om && e.getValue() instanceof Map<?, ?> nm) {
        Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) om);
        merge(copy, (Map<String, Object>) nm);
        into.put(e.getKey(), copy);
      } else {
        into.put(e.getKey(), e.getValue());
      }
    }
  }
}
