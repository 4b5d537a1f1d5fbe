package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.types.family.TFloating;

/**
 * Scenic's {@code attention_layers.MlpBlock}: {@code Dense_1(dropout(gelu(Dense_0(x))))}, then
 * dropout.
 *
 * <ul>
 *   <li>Parameters: {@code Dense_0/kernel [in, mlpDim]}, {@code Dense_0/bias [mlpDim]}, {@code
 *       Dense_1/kernel [mlpDim, out]}, {@code Dense_1/bias [out]}; kernels xavier_uniform, biases
 *       N(0, 1e-6²) as in Scenic
 *   <li>Input: {@code [..., in]}; output: {@code [..., out]} with {@code out = in} unless {@code
 *       outDim} is set
 * </ul>
 *
 * @param mlpDim hidden width
 * @param outDim output width, or 0 for the input width
 * @param dropoutRate dropout after the activation and after the output layer (training only)
 */
public record MlpBlock(int mlpDim, int outDim, float dropoutRate) implements FlaxModule {

  /** Flax's class name, the prefix of auto-named instances ({@code MlpBlock_0}). */
  public static final String NAME = "MlpBlock";

  @Override
  public String flaxName() {
    return NAME;
  }

  /** Scenic's MlpBlock bias initialiser standard deviation. */
  public static final double BIAS_INIT_STDDEV = 1e-6;

  /** Checks the widths. */
  public MlpBlock {
    if (mlpDim <= 0 || outDim < 0) {
      throw new IllegalArgumentException(
          "MlpBlock widths must be positive, got " + mlpDim + ", " + outDim);
    }
  }

  /** An MlpBlock whose output width equals its input width. */
  public static MlpBlock of(int mlpDim, float dropoutRate) {
    return new MlpBlock(mlpDim, 0, dropoutRate);
  }

  /**
   * Applies the block.
   *
   * @param s this module's scope
   * @param x the input, {@code [..., in]}
   * @param mode inference or training
   * @param <T> the compute dtype
   * @return {@code [..., out]}
   */
  public <T extends TFloating> Operand<T> apply(ModuleScope s, Operand<T> x, Mode mode) {
    long in = Shapes.lastDim(x);
    if (in < 0) {
      throw new IllegalArgumentException(
          s.describe() + ": unknown input width in " + Shapes.describe(x));
    }
    Initializer kernel = Initializer.xavierUniform();
    Initializer bias = Initializer.normal(BIAS_INIT_STDDEV);
    Dropout dropout = new Dropout(dropoutRate);
    Dense hidden = Dense.of(mlpDim).withInit(kernel, bias);
    Operand<T> h = hidden.apply(s.child(hidden), x);
    h = Activations.gelu(s.tf(), h);
    h = dropout.apply(s, h, mode);
    int out = outDim == 0 ? Math.toIntExact(in) : outDim;
    Dense output = Dense.of(out).withInit(kernel, bias);
    Operand<T> y = output.apply(s.child(output), h);
    return dropout.apply(s, y, mode);
  }
}
