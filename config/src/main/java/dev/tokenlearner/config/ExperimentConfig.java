package dev.tokenlearner.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A whole experiment config: the model, what it reads and predicts, how it trains, plus the raw
 * document and what the loader noticed. Built by {@link ConfigLoader}.
 *
 * @param modelName {@code model_name}
 * @param modelDtypeStr {@code model_dtype_str} (default {@code float32})
 * @param model {@code model}
 * @param input input size, frames and classes
 * @param train the training keys
 * @param normalization {@code preprocessing.normalization}: how pixels become model inputs
 * @param mixup {@code mixup}; empty when mixup is off
 * @param initFrom {@code init_from}; empty to train from scratch
 * @param runtime {@code jit} and {@code device}
 * @param lossScale {@code loss_scale_init} and {@code loss_scale_growth_steps} (float16 training)
 * @param raw the parsed document, deeply unmodifiable (maps keep file order); every key in it has
 *     been read into the fields above, so only the loader reads it ({@link ConfigLoader#withKeys}
 *     loads it again with changed keys)
 * @param source where the config came from (file path or {@code classpath:...})
 * @param unusedKeys dotted paths of the keys no record read: Scenic keys this toolkit ignores
 *     ({@link ConfigLoader#IGNORED_KEYS}, a whole ignored block once), keys of another input kind
 *     (e.g. {@code num_frames} for images) and the fixtures' own notes
 * @param warnings conditions worth a look that are not errors (also logged)
 */
public record ExperimentConfig(
    ModelName modelName,
    String modelDtypeStr,
    ModelConfig model,
    InputSpec input,
    TrainConfig train,
    Normalization normalization,
    Optional<MixupConfig> mixup,
    Optional<InitFromConfig> initFrom,
    RuntimeConfig runtime,
    LossScaleConfig lossScale,
    Map<String, Object> raw,
    String source,
    List<String> unusedKeys,
    List<String> warnings) {

  /** dtype names accepted in {@code model_dtype_str}. */
  public static final Set<String> MODEL_DTYPES = Set.of("float32", "bfloat16", "float16");

  /** Default {@code model_dtype_str}. */
  public static final String MODEL_DTYPE_DEFAULT = "float32";

  /**
   * Validates the fields, copies the lists and freezes the raw map.
   *
   * @throws IllegalArgumentException if a field is null, the dtype is unknown, or the input does
   *     not fit the tokenizer
   */
  public ExperimentConfig {
    if (modelName == null
        || modelDtypeStr == null
        || model == null
        || input == null
        || train == null
        || normalization == null
        || mixup == null
        || initFrom == null
        || runtime == null
        || lossScale == null
        || raw == null
        || source == null
        || unusedKeys == null
        || warnings == null) {
      throw new IllegalArgumentException("experiment config fields must not be null");
    }
    if (!MODEL_DTYPES.contains(modelDtypeStr)) {
      throw new ConfigValueException(
          "model_dtype_str",
          "unknown dtype '" + modelDtypeStr + "'; expected one of " + new TreeSet<>(MODEL_DTYPES));
    }
    if (input.isVideo() != (model.tokenizer().type() == TokenizerType.VIDEO)) {
      throw new IllegalArgumentException(
          "tokenizer '"
              + model.tokenizer().type()
              + "' does not match "
              + (input.isVideo() ? "video" : "image")
              + " input");
    }
    raw = freeze(raw);
    unusedKeys = List.copyOf(unusedKeys);
    warnings = List.copyOf(warnings);
    TokenGrid grid;
    try {
      grid = TokenGrid.of(model, input);
    } catch (ConfigValueException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw new ConfigValueException("model.tokenizer.patches.size", e.getMessage());
    }
    if (model.hasTokenLearner() && !model.tokenizer().useV11() && !grid.squarePerFrame()) {
      throw new ConfigValueException(
          "model.tokenizer.use_v11",
          "TokenLearner v1 (use_v11: false) reshapes each frame's tokens to a square, but the "
              + "input gives "
              + grid.tokensPerFrame()
              + " tokens per frame ("
              + grid.gridH()
              + "x"
              + grid.gridW()
              + "); use v1.1 or a square input");
    }
  }

  /**
   * Tokens per frame, time steps and sequence length N.
   *
   * @return the token grid for this model and input
   */
  public TokenGrid tokenGrid() {
    return TokenGrid.of(model, input);
  }

  /**
   * Returns the number of output classes.
   *
   * @return {@code num_classes}
   */
  public int numClasses() {
    return input.numClasses();
  }

  /**
   * Tokens leaving the encoder's last block: {@code t_dims * num_tokens} when a TokenLearner
   * without TokenFuser reduces the sequence, else N.
   *
   * @return the length of the encoder output sequence
   */
  public int encodedLength() {
    TokenGrid g = tokenGrid();
    if (model.hasTokenLearner() && !model.tokenizer().useTokenfuse()) {
      return g.tDims() * model.tokenizer().numTokens();
    }
    return g.sequenceLength();
  }

  /**
   * The same experiment with the plain ViT of the same dimensions (see {@link
   * ModelConfig#withoutTokenLearner()}); raw map, warnings and unused keys stay this config's.
   *
   * @return the plain-ViT experiment
   */
  public ExperimentConfig withoutTokenLearner() {
    return withModel(model.withoutTokenLearner());
  }

  /**
   * Returns a copy with another model config (e.g. for ablations); the raw map, warnings and unused
   * keys are kept as they were.
   *
   * @param newModel the model config
   * @return the copy
   */
  public ExperimentConfig withModel(ModelConfig newModel) {
    return toBuilder().model(newModel).build();
  }

  /**
   * A builder holding this config's fields, to build a variant of it (e.g. a benchmark's model with
   * a recipe's training). The raw document stays this config's.
   *
   * @return the builder
   */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Builds a variant of a loaded config; the fields start as the config's. */
  public static final class Builder {
    private ModelName modelName;
    private String modelDtypeStr;
    private ModelConfig model;
    private InputSpec input;
    private TrainConfig train;
    private Normalization normalization;
    private Optional<MixupConfig> mixup;
    private Optional<InitFromConfig> initFrom;
    private RuntimeConfig runtime;
    private LossScaleConfig lossScale;
    private final Map<String, Object> raw;
    private String source;
    private List<String> unusedKeys;
    private List<String> warnings;

    private Builder(ExperimentConfig c) {
      modelName = c.modelName;
      modelDtypeStr = c.modelDtypeStr;
      model = c.model;
      input = c.input;
      train = c.train;
      normalization = c.normalization;
      mixup = c.mixup;
      initFrom = c.initFrom;
      runtime = c.runtime;
      lossScale = c.lossScale;
      raw = c.raw;
      source = c.source;
      unusedKeys = c.unusedKeys;
      warnings = c.warnings;
    }

    /**
     * Sets {@code model_dtype_str}.
     *
     * @param value the dtype name
     * @return this builder
     */
    public Builder modelDtypeStr(String value) {
      modelDtypeStr = value;
      return this;
    }

    /**
     * Sets the model.
     *
     * @param value the model config
     * @return this builder
     */
    public Builder model(ModelConfig value) {
      model = value;
      return this;
    }

    /**
     * Sets the input.
     *
     * @param value the input spec
     * @return this builder
     */
    public Builder input(InputSpec value) {
      input = value;
      return this;
    }

    /**
     * Sets the training keys.
     *
     * @param value the training config
     * @return this builder
     */
    public Builder train(TrainConfig value) {
      train = value;
      return this;
    }

    /**
     * Sets where the config came from, and clears the unused keys and warnings (they belong to the
     * source).
     *
     * @param value a name for messages
     * @return this builder
     */
    public Builder source(String value) {
      source = value;
      unusedKeys = List.of();
      warnings = List.of();
      return this;
    }

    /**
     * Builds the config.
     *
     * @return the config
     * @throws IllegalArgumentException if the fields do not fit together
     */
    public ExperimentConfig build() {
      return new ExperimentConfig(
          modelName,
          modelDtypeStr,
          model,
          input,
          train,
          normalization,
          mixup,
          initFrom,
          runtime,
          lossScale,
          raw,
          source,
          unusedKeys,
          warnings);
    }
  }

  private static Map<String, Object> freeze(Map<String, Object> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : map.entrySet()) {
      out.put(e.getKey(), freezeValue(e.getValue()));
    }
    return Collections.unmodifiableMap(out);
  }

  @SuppressWarnings("unchecked")
  private static Object freezeValue(Object v) {
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> copy = new LinkedHashMap<>();
      m.forEach((k, val) -> copy.put(String.valueOf(k), val));
      return freeze(copy);
    }
    if (v instanceof List<?> l) {
      List<Object> copy = new ArrayList<>();
      for (Object o : l) {
        copy.add(freezeValue(o));
      }
      return Collections.unmodifiableList(copy);
    }
    return v;
  }
}
