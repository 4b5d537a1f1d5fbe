package dev.tokenlearner.config;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  /** Keys read under {@code model}. */
  static final Set<String> KEYS =
      Set.of(
          "hidden_size",
          "num_heads",
          "mlp_dim",
          "num_layers",
          "representation_size",
          "classifier",
          "dropout_rate",
          "attention_dropout_rate",
          "stochastic_depth",
          "tokenizer",
          "variant");

  /** ViViT puts these directly under {@code model}; TokenLearnerViT never reads them there. */
  static final Set<String> VIVIT_KEYS =
      Set.of("patches", "temporal_encoding_config", "attention_config");

  private static final Logger LOG = LoggerFactory.getLogger(ModelConfig.class);

  /**
   * Reads {@code model} under a config's root (marking its keys as used).
   *
   * @param root the document's root node
   * @param warnings receives conditions worth a look that are not errors
   */
  static ModelConfig read(ConfigNode root, List<String> warnings) {
    ConfigNode m = root.child("model").orElseThrow(() -> root.missing("model", "a mapping"));
    Set<String> allowed = new HashSet<>(KEYS);
    allowed.addAll(VIVIT_KEYS);
    m.requireKnownKeys(allowed);
    for (String k : VIVIT_KEYS) {
      if (m.contains(k)) {
        warnings.add(
            m.key(k)
                + " is where ViViT puts it; TokenLearnerViT ignores it (use model.tokenizer."
                + k
                + ")");
      }
    }
    Optional<Variant> variant = m.optString("variant").map(v -> variant(m, v));
    int hidden = sized(m, "hidden_size", variant.map(v -> v.size().hiddenSize()));
    int heads = sized(m, "num_heads", variant.map(v -> v.size().numHeads()));
    int mlp = sized(m, "mlp_dim", variant.map(v -> v.size().mlpDim()));
    int layers = sized(m, "num_layers", variant.map(v -> v.size().numLayers()));
    OptionalInt rep = m.optInt("representation_size");
    if (!m.has("classifier")) {
      throw m.missing("classifier", "'gap', 'gmp' or 'gsp'");
    }
    Classifier classifier = m.enumValue("classifier", Classifier.values());
    double dropout = rate(m, "dropout_rate", ModelConfig.DROPOUT_RATE_DEFAULT);
    double attnDropout = rate(m, "attention_dropout_rate", ModelConfig.DROPOUT_RATE_DEFAULT);
    double stochastic = rate(m, "stochastic_depth", 0.0);
    if (stochastic > 0) {
      // Scenic's own ImageNet config sets it, so this is a note, not a warning.
      LOG.info(
          "{}: {} = {} is kept but TokenLearnerViT never passes it to its encoder blocks",
          root.source(),
          m.key("stochastic_depth"),
          stochastic);
    }
    ConfigNode t = m.child("tokenizer").orElseThrow(() -> m.missing("tokenizer", "a mapping"));
    TokenizerConfig tokenizer = TokenizerConfig.read(t, variant, layers, warnings);
    return m.construct(
        () ->
            new ModelConfig(
                hidden,
                heads,
                mlp,
                layers,
                rep,
                classifier,
                dropout,
                attnDropout,
                stochastic,
                tokenizer));
  }

  private static Variant variant(ConfigNode m, String text) {
    try {
      return Variant.parse(text);
    } catch (IllegalArgumentException e) {
      throw m.error("variant", e.getMessage());
    }
  }

  private static int sized(ConfigNode m, String name, Optional<Integer> fromVariant) {
    OptionalInt v = m.optInt(name);
    int value;
    if (v.isPresent()) {
      value = v.getAsInt();
    } else if (fromVariant.isPresent()) {
      value = fromVariant.get();
    } else {
      throw m.missing(name, "an integer, or model.variant such as 'B/16'");
    }
    if (value <= 0) {
      throw m.error(name, "must be positive, got " + value);
    }
    return value;
  }

  private static double rate(ConfigNode n, String name, double dflt) {
    double v = n.doubleOr(name, dflt);
    if (!(v >= 0 && v < 1)) {
      throw n.error(name, "must be in [0, 1), got " + v);
    }
    return v;
  }
}
