package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/**
 * Scenic ViT's learned position embedding, added to the token sequence.
 *
 * <ul>
 *   <li>Parameters: {@code pos_embedding [1, N, D]}, N(0, 0.02²)
 *   <li>Input: {@code [b, N, D]}; output: {@code [b, N, D]}
 * </ul>
 */
public record AddPositionEmbs() {

  /** Scenic's position-embedding initialiser standard deviation. */
  public static final double INIT_STDDEV = 0.02;

  /**
   * Adds the embedding.
   *
   * @param s this module's scope (Scenic names it {@code posembed_input})
   * @param x {@code [b, N, D]}
   * @param <T> the compute dtype
   * @return {@code x + pos_embedding}
   */
  public <T extends TFloating> Operand<T> apply(ModuleScope s, Operand<T> x) {
    long[] shape = Shapes.requireRank(x, s.describe(), "[batch, tokens, features]", 3);
    Operand<T> pe =
        s.param(
            "pos_embedding",
            ParameterRole.EMBEDDING,
            new long[] {1, shape[1], shape[2]},
            Initializer.normal(INIT_STDDEV),
            x.type());
    return s.tf().math.add(x, pe);
  }
}
