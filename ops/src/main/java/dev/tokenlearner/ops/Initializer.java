package dev.tokenlearner.ops;

import dev.tokenlearner.core.HostArray;
import java.util.SplittableRandom;

/**
 * Flax's parameter initialisers, computed on the host so that a seed gives the same values on every
 * runtime.
 *
 * <p>Fans follow {@code jax.nn.initializers.variance_scaling} with {@code in_axis=-2, out_axis=-1}:
 * for a kernel of shape {@code [..receptive.., in, out]}, {@code fan_in = in * receptive} and
 * {@code fan_out = out * receptive}. Flax's {@code DenseGeneral} flattens its kernel to {@code
 * [prod(input dims), prod(feature dims)]} first; {@link #denseGeneral(int)} reproduces that.
 */
@FunctionalInterface
public interface Initializer {

  /** Truncation bound of Flax's truncated normal, in standard deviations. */
  double TRUNCATION = 2.0;

  /** Standard deviation of a unit normal truncated to [-2, 2]; Flax divides by it. */
  double TRUNCATED_STDDEV = 0.87962566103423978;

  /**
   * Draws the initial values.
   *
   * @param shape the parameter's shape
   * @param random the source of randomness; the caller seeds it per parameter
   * @return {@code product(shape)} values in row-major order
   */
  float[] sample(long[] shape, SplittableRandom random);

  /** All zeros ({@code nn.initializers.zeros}). */
  static Initializer zeros() {
    return constant(0f);
  }

  /** All ones ({@code nn.initializers.ones}, LayerNorm scale). */
  static Initializer ones() {
    return constant(1f);
  }

  /** Every value equal to {@code value} (e.g. {@code init_head_bias}). */
  static Initializer constant(float value) {
    return (shape, random) -> {
      float[] v = new float[size(shape)];
      java.util.Arrays.fill(v, value);
      return v;
    };
  }

  /** {@code nn.initializers.normal(stddev)}: N(0, stddev²). */
  static Initializer normal(double stddev) {
    return (shape, random) -> {
      float[] v = new float[size(shape)];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (stddev * gaussian(random));
      }
      return v;
    };
  }

  /** {@code lecun_normal}: truncated normal with variance {@code 1 / fan_in}. */
  static Initializer lecunNormal() {
    return varianceScaling(1.0, false, 0);
  }

  /** {@code xavier_uniform}: uniform with variance {@code 2 / (fan_in + fan_out)}. */
  static Initializer xavierUniform() {
    return varianceScaling(1.0, true, 0);
  }

  /**
   * The initialiser Flax's {@code DenseGeneral} applies: {@code xavier_uniform} (as used by
   * attention projections) on the kernel flattened to {@code [prod(first inputAxes dims),
   * prod(rest)]}.
   *
   * @param inputAxes how many leading kernel axes are contracted with the input
   */
  static Initializer denseGeneral(int inputAxes) {
    return varianceScaling(1.0, true, inputAxes);
  }

  /**
   * {@code variance_scaling(scale, mode, distribution)} with {@code fan_in} mode and a truncated
   * normal, or {@code fan_avg} mode and a uniform distribution.
   *
   * @param scale the variance scale
   * @param fanAvgUniform true for {@code fan_avg}/uniform (xavier), false for {@code
   *     fan_in}/truncated normal (lecun)
   * @param inputAxes if positive, fans are taken from the kernel flattened to {@code [prod(first
   *     inputAxes), prod(rest)]}; if 0, from {@code [..receptive.., in, out]}
   */
  static Initializer varianceScaling(double scale, boolean fanAvgUniform, int inputAxes) {
    return (shape, random) -> {
      double[] fans = fans(shape, inputAxes);
      double variance =
          fanAvgUniform ? scale / ((fans[0] + fans[1]) / 2.0) : scale / Math.max(1.0, fans[0]);
      float[] v = new float[size(shape)];
      if (fanAvgUniform) {
        double limit = Math.sqrt(3.0 * variance);
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) ((random.nextDouble() * 2.0 - 1.0) * limit);
        }
      } else {
        double stddev = Math.sqrt(variance) / TRUNCATED_STDDEV;
        for (int i = 0; i < v.length; i++) {
          double z;
          do {
            z = gaussian(random);
          } while (Math.abs(z) > TRUNCATION);
          v[i] = (float) (stddev * z);
        }
      }
      return v;
    };
  }

  /** {@code [fan_in, fan_out]} of a kernel shape, as Flax computes them. */
  static double[] fans(long[] shape, int inputAxes) {
    if (inputAxes > 0) {
      double in = 1;
      double out = 1;
      for (int i = 0; i < shape.length; i++) {
        if (i < inputAxes) {
          in *= shape[i];
        } else {
          out *= shape[i];
        }
      }
      return new double[] {in, out};
    }
    if (shape.length < 2) {
      double n = shape.length == 0 ? 1 : shape[0];
      return new double[] {n, n};
    }
    double receptive = 1;
    for (int i = 0; i < shape.length - 2; i++) {
      receptive *= shape[i];
    }
    return new double[] {shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive};
  }

  /** Number of values of a shape, as an int (parameters fit in a Java array). */
  static int size(long[] shape) {
    return Math.toIntExact(HostArray.numElements(shape));
  }

  /** A standard normal draw (Box–Muller; SplittableRandom has no nextGaussian before Java 17). */
  static double gaussian(SplittableRandom random) {
    double u1;
    do {
      u1 = random.nextDouble();
    } while (u1 <= Double.MIN_NORMAL);
    double u2 = random.nextDouble();
    return Math.sqrt(-2.0 * Math.log(u1)) * Math.cos(2.0 * Math.PI * u2);
  }
}
