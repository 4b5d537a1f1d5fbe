package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * Flax {@code nn.Dense}: {@code y = x · kernel + bias} over the last axis.
 *
 * <ul>
 *   <li>Parameters: {@code kernel [in, features]}, {@code bias [features]} (if {@code useBias})
 *   <li>Input: {@code [..., in]}; output: {@code [..., features]}
 * </ul>
 *
 * @param features output width
 * @param useBias whether a bias is added
 * @param kernelInit the kernel's initialiser (Flax default: lecun_normal)
 * @param biasInit the bias's initialiser (Flax default: zeros)
 */
public record Dense(int features, boolean useBias, Initializer kernelInit, Initializer biasInit)
    implements FlaxModule {

  /** Flax's class name, the prefix of auto-named instances ({@code Dense_0}). */
  public static final String NAME = "Dense";

  @Override
  public String flaxName() {
    return NAME;
  }

  /** Checks the width. */
  public Dense {
    if (features <= 0) {
      throw new IllegalArgumentException("Dense features must be positive, got " + features);
    }
  }

  /** A Dense layer with Flax's default initialisers (lecun_normal kernel, zero bias). */
  public static Dense of(int features) {
    return new Dense(features, true, Initializer.lecunNormal(), Initializer.zeros());
  }

  /** This layer with other initialisers. */
  public Dense withInit(Initializer kernel, Initializer bias) {
    return new Dense(features, useBias, kernel, bias);
  }

  /**
   * Applies the layer.
   *
   * @param s this module's scope
   * @param x the input, {@code [..., in]} with {@code in} known
   * @param <T> the compute dtype (the input's); the parameters are cast to it
   * @return {@code [..., features]}
   */
  public <T extends TFloating> Operand<T> apply(ModuleScope s, Operand<T> x) {
    long[] shape = Shapes.of(x);
    if (shape.length < 1 || shape[shape.length - 1] < 0) {
      throw new IllegalArgumentException(
          s.describe() + ": expected [..., in] with known in, got " + Shapes.describe(x));
    }
    long in = shape[shape.length - 1];
    Operand<T> kernel =
        s.param("kernel", ParameterRole.KERNEL, new long[] {in, features}, kernelInit, x.type());
    Operand<T> bias =
        useBias
            ? s.param("bias", ParameterRole.BIAS, new long[] {features}, biasInit, x.type())
            : null;
    return project(s.tf(), x, kernel, bias, in, features);
  }

  /**
   * {@code x · kernel + bias} over the last axis with a kernel already shaped {@code [in, out]}.
   * Rank-2 inputs use one MatMul; higher ranks are flattened to rank 2 and back. The bias is a
   * BiasAdd right after the MatMul (before the reshape back), the form TensorFlow's graph optimizer
   * fuses into one {@code _FusedMatMul} kernel.
   */
  static <T extends TFloating> Operand<T> project(
      Ops tf, Operand<T> x, Operand<T> kernel, Operand<T> bias, long in, long out) {
    boolean flat = Shapes.of(x).length != 2;
    Operand<T> y =
        tf.linalg.matMul(flat ? tf.reshape(x, tf.constant(new long[] {-1, in})) : x, kernel);
    if (bias != null) {
      y = tf.nn.biasAdd(y, bias);
    }
    return flat ? Shapes.replaceLast(tf, x, y, out) : y;
  }
}
