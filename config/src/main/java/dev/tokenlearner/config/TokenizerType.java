package dev.tokenlearner.config;

/** The stem of {@code TokenLearnerViT} ({@code model.tokenizer.type}). */
public enum TokenizerType implements ScenicNamed {
  /** Patch embedding only: a plain ViT encoder, no TokenLearner. */
  PATCH("patch"),
  /** Patch embedding of images followed by a TokenLearner inside the encoder. */
  DYNAMIC("dynamic"),
  /**
   * Video: temporal encoding ({@code 3d_conv} or {@code temporal_sampling}) plus TokenLearner per
   * frame.
   */
  VIDEO("video");

  private final String scenicName;

  TokenizerType(String scenicName) {
    this.scenicName = scenicName;
  }

  /**
   * Returns the config string Scenic uses.
   *
   * @return {@code "patch"}, {@code "dynamic"} or {@code "video"}
   */
  @Override
  public String scenicName() {
    return scenicName;
  }

  /**
   * Whether this stem is followed by learned tokens (Scenic applies TokenLearner only for {@code
   * dynamic} and {@code video}).
   *
   * @return true for {@link #DYNAMIC} and {@link #VIDEO}
   */
  public boolean learnsTokens() {
    return this != PATCH;
  }

  /**
   * Looks a tokenizer type up by its Scenic name.
   *
   * @param name the config value, e.g. {@code "dynamic"}
   * @return the type
   * @throws dev.tokenlearner.core.InvalidInputException if the name is not one of Scenic's
   */
  public static TokenizerType fromScenicName(String name) {
    return ScenicNames.lookup(values(), name, "tokenizer type");
  }

  @Override
  public String toString() {
    return scenicName;
  }
}
