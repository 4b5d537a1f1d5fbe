package dev.tokenlearner.config;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How {@code TokenLearnerViT} pools the encoder output over the token axis ({@code
 * model.classifier}). Scenic's model accepts exactly these three; ViT's {@code 'token'} is not
 * supported by TokenLearnerViT.
 */
public enum Classifier {
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
  public String scenicName() {
    return scenicName;
  }

  /**
   * Looks a classifier up by its Scenic name.
   *
   * @param name the config value, e.g. {@code "gap"}
   * @return the classifier
   * @throws IllegalArgumentException if the name is not one of Scenic's
   */
  public static Classifier fromScenicName(String name) {
    for (Classifier c : values()) {
      if (c.scenicName.equals(name)) {
        return c;
      }
    }
    throw new IllegalArgumentException(
        "unknown classifier '" + name + "'; TokenLearnerViT accepts " + allowed());
  }

  static String allowed() {
    return Arrays.stream(values())
        .map(c -> "'" + c.scenicName + "'")
        .collect(Collectors.joining(", "));
  }

  @Override
  public String toString() {
    return scenicName;
  }
}
