package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TBool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TFloating;

/**
 * Flax {@code nn.Dropout}: in training, keeps each element with probability {@code 1 - rate} and
 * scales kept ones by {@code 1 / (1 - rate)}; the identity at inference. Holds no parameters.
 *
 * @param rate the drop probability, in {@code [0, 1)}
 */
public record Dropout(float rate) {

  /** Checks the rate. */
  public Dropout {
    if (!(rate >= 0f && rate < 1f)) {
      throw new IllegalArgumentException("dropout rate must be in [0, 1), got " + rate);
    }
  }

  /**
   * Applies dropout.
   *
   * @param s the calling module's scope (for the random key)
   * @param x the input
   * @param mode inference or training
   * @param <T> the dtype of {@code x}
   * @return {@code x} or its masked, rescaled copy
   */
  public <T extends TFloating> Operand<T> apply(ModuleScope s, Operand<T> x, Mode mode) {
    if (!mode.isTraining() || rate == 0f) {
      return x;
    }
    Ops tf = s.tf();
    Operand<TFloat32> u = tf.random.statelessRandomUniform(tf.shape(x), s.nextSeed());
    Operand<TBool> keep = tf.math.greaterEqual(u, tf.constant(rate));
    Operand<T> scaled = tf.math.div(x, Precision.scalar(tf, 1f - rate, x.type()));
    return tf.select(keep, scaled, tf.zerosLike(x));
  }
}
