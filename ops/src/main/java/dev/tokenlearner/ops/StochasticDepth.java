package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TFloating;

/**
 * Scenic's {@code StochasticDepth}: in training, zeroes a whole example's residual branch with
 * probability {@code rate} (no rescaling, as in Scenic); the identity at inference. Holds no
 * parameters.
 *
 * @param rate the drop probability, in {@code [0, 1)}
 */
public record StochasticDepth(float rate) {

  /** Checks the rate. */
  public StochasticDepth {
    if (!(rate >= 0f && rate < 1f)) {
      throw new IllegalArgumentException("stochastic depth rate must be in [0, 1), got " + rate);
    }
  }

  /**
   * Applies stochastic depth to a residual branch.
   *
   * @param s the calling module's scope (for the random key)
   * @param x the branch output, batch first
   * @param mode inference or training
   * @param <T> the dtype of {@code x}
   * @return {@code x}, or {@code x} with whole examples zeroed
   */
  public <T extends TFloating> Operand<T> apply(ModuleScope s, Operand<T> x, Mode mode) {
    if (!mode.isTraining() || rate == 0f) {
      return x;
    }
    Ops tf = s.tf();
    int rank = Shapes.of(x).length;
    long[] ones = new long[rank - 1];
    java.util.Arrays.fill(ones, 1);
    Operand<TInt64> batch =
        tf.stridedSlice(
            tf.shape(x, TInt64.class),
            tf.constant(new long[] {0}),
            tf.constant(new long[] {1}),
            tf.constant(new long[] {1}));
    Operand<TInt64> maskShape =
        tf.concat(java.util.List.of(batch, tf.constant(ones)), tf.constant(0));
    Operand<TFloat32> u = tf.random.statelessRandomUniform(maskShape, s.nextSeed());
    Operand<T> keep = tf.dtypes.cast(tf.math.greaterEqual(u, tf.constant(rate)), x.type());
    return tf.math.mul(x, keep);
  }
}
