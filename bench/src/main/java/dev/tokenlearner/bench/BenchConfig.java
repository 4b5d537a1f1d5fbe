package dev.tokenlearner.bench;

import dev.tokenlearner.config.Classifier;
import dev.tokenlearner.config.InputSpec;
import dev.tokenlearner.config.ModelConfig;
import dev.tokenlearner.config.TokenizerConfig;
import dev.tokenlearner.config.TokenizerType;
import dev.tokenlearner.config.ViTSize;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One model measured by the benchmark: a plain ViT, or a ViT with TokenLearner v1.1 at one place,
 * with or without TokenFuser.
 *
 * <p>Names read {@code Ti/16}, {@code Ti/16 tl8@6} (8 tokens before block 6) and {@code Ti/16
 * tl8@6+fuser}; every TokenLearner config names its plain ViT in {@link #plainName()}.
 *
 * @param name the row label
 * @param plainName the plain ViT this config is compared with ({@code name} itself for plain rows)
 * @param model the model
 * @param input the input (224x224x3 images, 1000 classes for the standard matrix)
 */
public record BenchConfig(String name, String plainName, ModelConfig model, InputSpec input) {

  /** ImageNet's class count, the head width of every benchmark model. */
  public static final int NUM_CLASSES = 1000;

  /**
   * Validates the fields.
   *
   * @throws IllegalArgumentException if a field is null or blank
   */
  public BenchConfig {
    if (name == null || name.isBlank() || plainName == null || plainName.isBlank()) {
      throw new IllegalArgumentException("config name and plain name must be set");
    }
    if (model == null || input == null) {
      throw new IllegalArgumentException(name + ": model and input must be set");
    }
  }

  /**
   * Whether this is a plain ViT (its own baseline).
   *
   * @return true if the model has no TokenLearner
   */
  public boolean isPlain() {
    return !model.hasTokenLearner();
  }

  /**
   * A plain ViT of a standard size at a square image side.
   *
   * @param size the ViT size
   * @param patch the patch side
   * @param imageSize the image side
   * @return the config, named e.g. {@code B/16}
   */
  public static BenchConfig plain(ViTSize size, int patch, int imageSize) {
    TokenizerConfig tok =
        new TokenizerConfig(
            TokenizerType.PATCH,
            new int[] {patch, patch},
            0,
            size.numLayers(),
            false,
            true,
            Optional.empty());
    return new BenchConfig(
        baseName(size, patch), baseName(size, patch), model(size, tok), image(imageSize));
  }

  /**
   * A ViT with TokenLearner v1.1 (Scenic's {@code dynamic} tokenizer).
   *
   * @param size the ViT size
   * @param patch the patch side
   * @param imageSize the image side
   * @param numTokens tokens learned
   * @param loc the encoder block the TokenLearner precedes
   * @param fuser whether TokenFuser follows every block from {@code loc} on
   * @return the config, named e.g. {@code B/16 tl8@6+fuser}
   * @throws IllegalArgumentException if {@code loc} is not inside the encoder
   */
  public static BenchConfig tokenLearner(
      ViTSize size, int patch, int imageSize, int numTokens, int loc, boolean fuser) {
    if (loc < 0 || loc >= size.numLayers()) {
      throw new IllegalArgumentException(
          "tokenlearner_loc must be in [0, " + size.numLayers() + "), got " + loc);
    }
    TokenizerConfig tok =
        new TokenizerConfig(
            TokenizerType.DYNAMIC,
            new int[] {patch, patch},
            numTokens,
            loc,
            fuser,
            true,
            Optional.empty());
    String base = baseName(size, patch);
    String name = base + " tl" + numTokens + "@" + loc + (fuser ? "+fuser" : "");
    return new BenchConfig(name, base, model(size, tok), image(imageSize));
  }

  private static String baseName(ViTSize size, int patch) {
    return size.scenicName() + "/" + patch;
  }

  private static ModelConfig model(ViTSize size, TokenizerConfig tok) {
    // Dropout as Scenic's defaults; it only changes the training graph.
    return new ModelConfig(
        size.hiddenSize(),
        size.numHeads(),
        size.mlpDim(),
        size.numLayers(),
        OptionalInt.empty(),
        Classifier.GAP,
        ModelConfig.DROPOUT_RATE_DEFAULT,
        ModelConfig.DROPOUT_RATE_DEFAULT,
        0.0,
        tok);
  }

  private static InputSpec image(int side) {
    return new InputSpec(side, side, InputSpec.CHANNELS_DEFAULT, 0, NUM_CLASSES);
  }
}
