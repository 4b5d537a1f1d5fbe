package dev.tokenlearner.config;

import java.util.OptionalInt;

/**
 * {@code model}: the {@code TokenLearnerViT} hyper-parameters, with Scenic's key names in
 * camelCase.
 *
 * @param hiddenSize {@code hidden_size} D
 * @param numHeads {@code num_heads} H; must divide D
 * @param mlpDim {@code mlp_dim} M of every encoder block
 * @param numLayers {@code num_layers} L
 * @param representationSize {@code representation_size} R; when present a {@code pre_logits} Dense
 *     + tanh precedes the head
 * @param classifier {@code classifier}: pooling over tokens
 * @param dropoutRate {@code dropout_rate} (training only; Scenic's default 0.1)
 * @param attentionDropoutRate {@code attention_dropout_rate} (training only; Scenic's default 0.1)
 * @param stochasticDepth {@code stochastic_depth}; kept for round trips, TokenLearnerViT ignores it
 * @param tokenizer {@code tokenizer}
 */
public record ModelConfig(
    int hiddenSize,
    int numHeads,
    int mlpDim,
    int numLayers,
    OptionalInt representationSize,
    Classifier classifier,
    double dropoutRate,
    double attentionDropoutRate,
    double stochasticDepth,
    TokenizerConfig tokenizer) {

  /** Scenic's default for {@code dropout_rate} and {@code attention_dropout_rate}. */
  public static final double DROPOUT_RATE_DEFAULT = 0.1;

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException naming the offending field and value
   */
  public ModelConfig {
    if (representationSize == null || classifier == null || tokenizer == null) {
      throw new IllegalArgumentException("model fields must not be null");
    }
    positive("hidden_size", hiddenSize);
    positive("num_heads", numHeads);
    positive("mlp_dim", mlpDim);
    positive("num_layers", numLayers);
    if (hiddenSize % numHeads != 0) {
      throw new ConfigValueException(
          "num_heads",
          "hidden_size "
              + hiddenSize
              + " is not divisible by num_heads "
              + numHeads
              + " (head dim would be "
              + ((double) hiddenSize / numHeads)
              + ")");
    }
    if (representationSize.isPresent()) {
      positive("representation_size", representationSize.getAsInt());
    }
    rate("dropout_rate", dropoutRate);
    rate("attention_dropout_rate", attentionDropoutRate);
    rate("stochastic_depth", stochasticDepth);
  }

  private static void positive(String name, int value) {
    if (value <= 0) {
      throw new ConfigValueException(name, "must be positive, got " + value);
    }
  }

  private static void rate(String name, double value) {
    if (!(value >= 0 && value < 1)) {
      throw new ConfigValueException(name, "must be in [0, 1), got " + value);
    }
  }

  /**
   * Returns the per-head width.
   *
   * @return {@code hidden_size / num_heads}
   */
  public int headDim() {
    return hiddenSize / numHeads;
  }

  /**
   * Whether the encoder contains at least one TokenLearner: the tokenizer learns tokens and {@code
   * tokenlearner_loc < num_layers} (otherwise Scenic builds a plain ViT).
   *
   * @return true if TokenLearner parameters exist
   */
  public boolean hasTokenLearner() {
    return tokenizer.type().learnsTokens() && tokenizer.tokenlearnerLoc() < numLayers;
  }

  /**
   * Whether encoder block {@code layer} runs on learned tokens: it is at or after {@code
   * tokenlearner_loc} in a model with a TokenLearner.
   *
   * @param layer block index in {@code [0, num_layers)}
   * @return true for blocks fed by a TokenLearner
   */
  public boolean layerUsesLearnedTokens(int layer) {
    return hasTokenLearner() && layer >= tokenizer.tokenlearnerLoc();
  }

  /**
   * Number of TokenLearner modules: 0 without TokenLearner, {@code L - loc} with TokenFuser (one
   * TokenLearner/TokenFuser pair per block from {@code loc} on), otherwise 1.
   *
   * @return the number of {@code TokenLearnerModule*_j} subtrees
   */
  public int tokenLearnerCount() {
    if (!hasTokenLearner()) {
      return 0;
    }
    return tokenizer.useTokenfuse() ? numLayers - tokenizer.tokenlearnerLoc() : 1;
  }

  /**
   * The plain ViT of the same dimensions: tokenizer {@code patch} for images; for video, the same
   * stem with {@code tokenlearner_loc = num_layers} and no TokenFuser (Scenic's plain-ViT case).
   *
   * @return a model without TokenLearner or TokenFuser
   */
  public ModelConfig withoutTokenLearner() {
    TokenizerConfig t = tokenizer;
    TokenizerConfig plain =
        t.type() == TokenizerType.VIDEO
            ? new TokenizerConfig(
                t.type(),
                t.patchSize(),
                t.numTokens(),
                numLayers,
                false,
                t.useV11(),
                t.temporalEncoding())
            : new TokenizerConfig(
                TokenizerType.PATCH,
                t.patchSize(),
                t.numTokens(),
                t.tokenlearnerLoc(),
                false,
                t.useV11(),
                t.temporalEncoding());
    return withTokenizer(plain);
  }

  /**
   * Returns a copy with another tokenizer.
   *
   * @param newTokenizer the tokenizer
   * @return the copy
   */
  public ModelConfig withTokenizer(TokenizerConfig newTokenizer) {
    return new ModelConfig(
        hiddenSize,
        numHeads,
        mlpDim,
        numLayers,
        representationSize,
        classifier,
        dropoutRate,
        attentionDropoutRate,
        stochasticDepth,
        newTokenizer);
  }
}
