package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/** Activation functions with JAX's exact formulas. */
public final class Activations {

  /** {@code sqrt(2 / pi)}, the constant of the tanh-approximated GELU. */
  public static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

  /** The cubic coefficient of the tanh-approximated GELU. */
  public static final float GELU_CUBIC = 0.044715f;

  private Activations() {}

  /**
   * Flax {@code nn.gelu} with its default {@code approximate=True}: {@code x * 0.5 * (1 +
   * tanh(sqrt(2/pi) * (x + 0.044715 x³)))}. Not the erf form. Computed in {@code x}'s dtype.
   *
   * @param <T> the dtype
   */
  public static <T extends TFloating> Operand<T> gelu(Ops tf, Operand<T> x) {
    Class<T> t = x.type();
    Operand<T> cube = tf.math.mul(tf.math.mul(x, x), x);
    Operand<T> inner =
        tf.math.mul(
            Precision.scalar(tf, SQRT_2_OVER_PI, t),
            tf.math.add(x, tf.math.mul(Precision.scalar(tf, GELU_CUBIC, t), cube)));
    Operand<T> cdf =
        tf.math.mul(
            Precision.scalar(tf, 0.5f, t),
            tf.math.add(Precision.scalar(tf, 1f, t), tf.math.tanh(inner)));
    return tf.math.mul(x, cdf);
  }
}
