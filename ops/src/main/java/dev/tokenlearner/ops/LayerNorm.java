package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TFloating;

/**
 * Flax {@code nn.LayerNorm} over the last axis, with Flax's defaults.
 *
 * <p>{@code mu = mean(x)}, {@code var = max(0, mean(x²) - mu²)} (Flax's fast variance), {@code y =
 * (x - mu) * (rsqrt(var + eps) * scale) + bias}.
 *
 * <ul>
 *   <li>Parameters: {@code scale [D]} (ones), {@code bias [D]} (zeros)
 *   <li>Input: {@code [..., D]}; output: same shape
 * </ul>
 *
 * @param epsilon added to the variance; Flax's default is {@value #EPSILON_DEFAULT}
 */
public record LayerNorm(float epsilon) implements FlaxModule {

  /** Flax's LayerNorm epsilon (Keras uses 1e-3; Scenic never overrides Flax). */
  public static final float EPSILON_DEFAULT = 1e-6f;

  /** Flax's class name, the prefix of auto-named instances ({@code LayerNorm_0}). */
  public static final String NAME = "LayerNorm";

  @Override
  public String flaxName() {
    return NAME;
  }

  /** A LayerNorm with Flax's default epsilon. */
  public static LayerNorm defaults() {
    return new LayerNorm(EPSILON_DEFAULT);
  }

  /**
   * Normalises {@code x} over its last axis.
   *
   * @param s this module's scope (its parameters go under it)
   * @param x the input, {@code [..., D]} with D known
   * @param <T> the compute dtype; statistics and normalisation run in float32 whatever it is (as
   *     Flax computes them), and the result is cast back to it
   * @return the normalised input, same shape and dtype
   */
  public <T extends TFloating> Operand<T> apply(ModuleScope s, Operand<T> x) {
    long[] shape = Shapes.of(x);
    if (shape.length == 0 || shape[shape.length - 1] < 0) {
      throw new IllegalArgumentException(
          s.describe()
              + ": expected [..., features] with known features, got "
              + Shapes.describe(x));
    }
    long d = shape[shape.length - 1];
    Operand<TFloat32> scale =
        s.param("scale", ParameterRole.SCALE, new long[] {d}, Initializer.ones());
    Operand<TFloat32> bias =
        s.param("bias", ParameterRole.BIAS, new long[] {d}, Initializer.zeros());
    Ops tf = s.tf();
    return Precision.inFloat32(tf, x, x32 -> normalize(tf, x32, scale, bias));
  }

  private Operand<TFloat32> normalize(
      Ops tf, Operand<TFloat32> x, Operand<TFloat32> scale, Operand<TFloat32> bias) {
    var lastAxis = tf.constant(-1);
    Operand<TFloat32> mean = tf.math.mean(x, lastAxis, Mean.keepDims(true));
    Operand<TFloat32> meanSq = tf.math.mean(tf.math.mul(x, x), lastAxis, Mean.keepDims(true));
    Operand<TFloat32> var =
        tf.math.maximum(tf.constant(0f), tf.math.sub(meanSq, tf.math.mul(mean, mean)));
    Operand<TFloat32> mul =
        tf.math.mul(tf.math.rsqrt(tf.math.add(var, tf.constant(epsilon))), scale);
    return tf.math.add(tf.math.mul(tf.math.sub(x, mean), mul), bias);
  }
}
