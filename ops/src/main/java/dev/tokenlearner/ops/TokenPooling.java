package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * The pooling step shared by both TokenLearner versions: each learned token is a weighted sum (or
 * mean) of the original, un-normalised input tokens.
 */
final class TokenPooling {

  private TokenPooling() {}

  /**
   * {@code out[b, k, d] = Σ_s weights[b, k, s] · x[b, s, d]}.
   *
   * @param weights {@code [b, K, S]}
   * @param x {@code [b, S, D]}
   * @return {@code [b, K, D]}
   */
  static <T extends TFloating> Operand<T> weightedSum(Ops tf, Operand<T> weights, Operand<T> x) {
    return Precision.batchMatMul(tf, weights, x, false);
  }

  /** Flattens {@code [b, h, w, D]} to {@code [b, h*w, D]}; {@code [b, S, D]} passes through. */
  static <T extends TFloating> Operand<T> flattenSpatial(Ops tf, Operand<T> x) {
    long[] s = Shapes.of(x);
    return s.length == 4 ? Shapes.reshapeBatch(tf, x, s[1] * s[2], s[3]) : x;
  }
}
