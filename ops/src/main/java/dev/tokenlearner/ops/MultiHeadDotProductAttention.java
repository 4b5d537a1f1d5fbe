package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.family.TFloating;

/**
 * Flax {@code nn.MultiHeadDotProductAttention} for self-attention without a mask, as Scenic's
 * {@code Encoder1DBlock} configures it (xavier_uniform kernels, zero biases).
 *
 * <pre>{@code
 * q, k, v = x·Wq + bq, x·Wk + bk, x·Wv + bv      // [b, n, H, hd]
 * q = q / sqrt(hd)                                 // the query is scaled, as in Flax
 * w = softmax(q·kᵀ over keys)                      // [b, H, n, n]
 * y = (w·v)·Wout + bout                            // [b, n, D]
 * }</pre>
 *
 * <ul>
 *   <li>Parameters: {@code query|key|value/kernel [D, H, hd]}, {@code query|key|value/bias [H,
 *       hd]}, {@code out/kernel [H, hd, D]}, {@code out/bias [D]}
 *   <li>Input: {@code [b, n, D]}; output: {@code [b, n, D]}
 * </ul>
 *
 * @param numHeads number of heads H; must divide D
 * @param dropoutRate attention-weight dropout (training only)
 */
public record MultiHeadDotProductAttention(int numHeads, float dropoutRate) implements FlaxModule {

  /** Flax's class name, the prefix of auto-named instances. */
  public static final String NAME = "MultiHeadDotProductAttention";

  @Override
  public String flaxName() {
    return NAME;
  }

  /** Checks the head count. */
  public MultiHeadDotProductAttention {
    if (numHeads <= 0) {
      throw new IllegalArgumentException("num_heads must be positive, got " + numHeads);
    }
  }

  /**
   * Self-attention over the token axis.
   *
   * @param s this module's scope
   * @param x {@code [b, n, D]}
   * @param mode inference or training
   * @param <T> the compute dtype; the softmax runs in float32 whatever it is
   * @return {@code [b, n, D]}
   */
  public <T extends TFloating> Operand<T> apply(ModuleScope s, Operand<T> x, Mode mode) {
    long[] shape = Shapes.requireRank(x, s.describe(), "[batch, tokens, features]", 3);
    long n = shape[1];
    long d = shape[2];
    if (d % numHeads != 0) {
      throw new IllegalArgumentException(
          s.describe() + ": features " + d + " are not divisible by num_heads " + numHeads);
    }
    long hd = d / numHeads;
    Ops tf = s.tf();
    Operand<T> q = project(s.named("query"), x, d, hd);
    Operand<T> k = project(s.named("key"), x, d, hd);
    Operand<T> v = project(s.named("value"), x, d, hd);
    q = tf.math.div(q, Precision.scalar(tf, (float) Math.sqrt((double) hd), x.type()));
    // [b, H, n, hd]
    q = heads(tf, q, n, hd);
    k = heads(tf, k, n, hd);
    v = heads(tf, v, n, hd);
    // [b, H, n, n]: softmax over the key axis
    Operand<T> logits = Precision.batchMatMul(tf, q, k, true);
    Operand<T> weights = Precision.inFloat32(tf, logits, tf.nn::softmax);
    weights = new Dropout(dropoutRate).apply(s, weights, mode);
    // [b, H, n, hd] -> [b, n, H, hd] -> [b, n, H*hd]
    Operand<T> o = Precision.batchMatMul(tf, weights, v, false);
    o = tf.linalg.transpose(o, tf.constant(new int[] {0, 2, 1, 3}));
    o = Shapes.reshapeBatch(tf, o, n, d);
    ModuleScope out = s.named("out");
    Operand<T> kernel =
        out.param(
            "kernel",
            ParameterRole.KERNEL,
            new long[] {numHeads, hd, d},
            Initializer.denseGeneral(2),
            x.type());
    Operand<T> bias =
        out.param("bias", ParameterRole.BIAS, new long[] {d}, Initializer.zeros(), x.type());
    Ops otf = out.tf();
    return Dense.project(otf, o, otf.reshape(kernel, otf.constant(new long[] {d, d})), bias, d, d);
  }

  /** DenseGeneral {@code [b, n, D] -> [b, n, H*hd]} with kernel {@code [D, H, hd]}. */
  private <T extends TFloating> Operand<T> project(ModuleScope s, Operand<T> x, long d, long hd) {
    Operand<T> kernel =
        s.param(
            "kernel",
            ParameterRole.KERNEL,
            new long[] {d, numHeads, hd},
            Initializer.denseGeneral(1),
            x.type());
    Operand<T> bias =
        s.param(
            "bias", ParameterRole.BIAS, new long[] {numHeads, hd}, Initializer.zeros(), x.type());
    Ops tf = s.tf();
    long f = numHeads * hd;
    // Row-major flattening keeps Flax's head order: column h*hd + k.
    return Dense.project(
        tf,
        x,
        tf.reshape(kernel, tf.constant(new long[] {d, f})),
        tf.reshape(bias, tf.constant(new long[] {f})),
        d,
        f);
  }

  /** {@code [b, n, H*hd] -> [b, H, n, hd]}. */
  private <T extends TFloating> Operand<T> heads(Ops tf, Operand<T> x, long n, long hd) {
    Operand<T> r = Shapes.reshapeBatch(tf, x, n, numHeads, hd);
    return tf.linalg.transpose(r, tf.constant(new int[] {0, 2, 1, 3}));
  }
}
