package dev.tokenlearner.config;

/**
 * How {@code TokenLearnerViT} pools the encoder output over the token axis ({@code
 * model.classifier}). Scenic's model accepts exactly these three; ViT's {@code 'token'} is not
 * supported by TokenLearnerViT.
 */
public enum Classifier implements ScenicNamed {
  /** Global average pooling, {@code jnp.mean}. */
  GAP("gap"),
  /** Global max pooling, {@code jnp.max}. */
  GMP("gmp"),
  /** Global sum pooling, {@code jnp.sum}. */
  GSP("gsp");

  private final String scenicName;

  Classifier(String scenicName) {
    this.scenicName = scenicName;
  }

  /**
   * Returns the config string Scenic uses.
   *
   * @return {@code "gap"}, {@code "gmp"} or {@code "gsp"}
   */
  @Override
  public String scenicName() {
    return scenicName;
  }

  /**
   * Looks a classifier up by its Scenic name.
   *
   * @param name the config value, e.g. {@code "gap"}
   * @return the classifier
   * @throws dev.tokenlearner.core.InvalidInputException if the name is not one of Scenic's
   */
  public static Classifier fromScenicName(String name) {
    return ScenicNames.lookup(values(), name, "classifier");
  }

  @Override
  public String toString() {
    return scenicName;
  }
}
