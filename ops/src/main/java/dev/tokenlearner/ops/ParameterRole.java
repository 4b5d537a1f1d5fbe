package dev.tokenlearner.ops;

/**
 * What a parameter is for. Layers declare it with the parameter; the optimizer uses it where Scenic
 * treats kinds differently ({@code explicit_weight_decay} decays kernels only).
 */
public enum ParameterRole {
  /** A weight matrix or convolution filter ({@code kernel}). */
  KERNEL,
  /** An additive bias ({@code bias}). */
  BIAS,
  /** A multiplicative LayerNorm scale ({@code scale}). */
  SCALE,
  /** A learned embedding added to the input ({@code pos_embedding}). */
  EMBEDDING;

  /**
   * The role Flax's leaf names imply: {@code kernel}, {@code bias}, {@code scale}, {@code
   * pos_embedding}.
   *
   * @throws IllegalArgumentException for any other name; declare its role explicitly
   */
  public static ParameterRole ofLeaf(String leaf) {
    return switch (leaf) {
      case "kernel" -> KERNEL;
      case "bias" -> BIAS;
      case "scale" -> SCALE;
      case "pos_embedding" -> EMBEDDING;
      default ->
          throw new IllegalArgumentException(
              "no role known for parameter '" + leaf + "'; pass its ParameterRole");
    };
  }
}
