package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/** Activation functions with JAX's exact formulas. */
public final class Activations {

  /** {@code sqrt(2 / pi)}, the constant of the tanh-approximated GELU. */
  public static final float SQRT_2_OVER_PI = (float) Math.sqrt(2.0 / Math.PI);

  /** The cubic coefficient of the tanh-approximated GELU. */
  public static final float GELU_CUBIC = 0.044715f;

  private Activations() {}

  /**
   * Flax {@code nn.gelu} with its default {@code approximate=True}: {@code x * 0.5 * (1 +
   * tanh(sqrt(2/pi) * (x + 0.044715 x³)))}. Not the erf form.
   */
  public static Operand<TFloat32> gelu(Ops tf, Operand<TFloat32> x) {
    Operand<TFloat32> cube = tf.math.mul(tf.math.mul(x, x), x);
    Operand<TFloat32> inner =
        tf.math.mul(
            tf.constant(SQRT_2_OVER_PI),
            tf.math.add(x, tf.math.mul(tf.constant(GELU_CUBIC), cube)));
    Operand<TFloat32> cdf =
        tf.math.mul(tf.constant(0.5f), tf.math.add(tf.constant(1f), tf.math.tanh(inner)));
    return tf.math.mul(x, cdf);
  }
}
