package dev.tokenlearner.config;

/**
 * Scenic's model registry name ({@code model_name}); it fixes the training loss, not the network.
 */
public enum ModelName implements ScenicNamed {
  /** Softmax cross-entropy over one label per example. */
  CLASSIFICATION("token_learner_classification"),
  /** Sigmoid cross-entropy per class (the ImageNet TokenLearner config's choice). */
  MULTILABEL_CLASSIFICATION("token_learner_multilabel_classification");

  private final String scenicName;

  ModelName(String scenicName) {
    this.scenicName = scenicName;
  }

  /**
   * Returns the config string Scenic uses.
   *
   * @return e.g. {@code "token_learner_classification"}
   */
  @Override
  public String scenicName() {
    return scenicName;
  }

  /**
   * Whether the model is trained with per-class sigmoid cross-entropy.
   *
   * @return true for {@link #MULTILABEL_CLASSIFICATION}
   */
  public boolean multilabel() {
    return this == MULTILABEL_CLASSIFICATION;
  }

  /**
   * Looks a model name up by its Scenic name.
   *
   * @param name the config value
   * @return the model name
   * @throws dev.tokenlearner.core.InvalidInputException if the name is not a TokenLearner model of
   *     Scenic's
   */
  public static ModelName fromScenicName(String name) {
    return ScenicNames.lookup(values(), name, "model_name");
  }

  @Override
  public String toString() {
    return scenicName;
  }
}
