package dev.tokenlearner.ops;

import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.train.BatchMatMul;
import org.tensorflow.types.TFloat32;

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
   * @return {@code [b, n, D]}
   */
  public Operand<TFloat32> apply(ModuleScope s, Operand<TFloat32> x, Mode mode) {
    long[] shape = Shapes.requireRank(x, s.describe(), "[batch, tokens, features]", 3);
    long n = shape[1];
    long d = shape[2];
    if (d % numHeads != 0) {
      throw new IllegalArgumentException(
          s.describe() + ": features " + d + " are not divisible by num_heads " + numHeads);
    }
    long hd = d / numHeads;
    Ops tf = s.tf();
    Operand<TFloat32> q = project(s.named("query"), x, d, hd);
    Operand<TFloat32> k = project(s.named("key"), x, d, hd);
    Operand<TFloat32> v = project(s.named("value"), x, d, hd);
    q = tf.math.div(q, tf.constant((float) Math.sqrt((double) hd)));
    // [b, H, n, hd]
    q = heads(tf, q, n, hd);
    k = heads(tf, k, n, hd);
    v = heads(tf, v, n, hd);
    // [b, H, n, n]: softmax over the key axis
    Operand<TFloat32> logits = tf.train.batchMatMul(q, k, TFloat32.class, BatchMatMul.adjY(true));
    Operand<TFloat32> weights = tf.nn.softmax(logits);
    weights = new Dropout(dropoutRate).apply(s, weights, mode);
    // [b, H, n, hd] -> [b, n, H, hd] -> [b, n, H*hd]
    Operand<TFloat32> o = tf.train.batchMatMul(weights, v, TFloat32.class);
    o = tf.linalg.transpose(o, tf.constant(new int[] {0, 2, 1, 3}));
    o = Shapes.reshapeBatch(tf, o, n, d);
    ModuleScope out = s.named("out");
    Operand<TFloat32> kernel =
        out.param(
            "kernel",
            ParameterRole.KERNEL,
            new long[] {numHeads, hd, d},
            Initializer.denseGeneral(2));
    Operand<TFloat32> bias =
        out.param("bias", ParameterRole.BIAS, new long[] {d}, Initializer.zeros());
    Ops otf = out.tf();
    return Dense.project(otf, o, otf.reshape(kernel, otf.constant(new long[] {d, d})), bias, d, d);
  }

  /** DenseGeneral {@code [b, n, D] -> [b, n, H*hd]} with kernel {@code [D, H, hd]}. */
  private Operand<TFloat32> project(ModuleScope s, Operand<TFloat32> x, long d, long hd) {
    Operand<TFloat32> kernel =
        s.param(
            "kernel",
            ParameterRole.KERNEL,
            new long[] {d, numHeads, hd},
            Initializer.denseGeneral(1));
    Operand<TFloat32> bias =
        s.param("bias", ParameterRole.BIAS, new long[] {numHeads, hd}, Initializer.zeros());
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
  private Operand<TFloat32> heads(Ops tf, Operand<TFloat32> x, long n, long hd) {
    Operand<TFloat32> r = Shapes.reshapeBatch(tf, x, n, numHeads, hd);
    return tf.linalg.transpose(r, tf.constant(new int[] {0, 2, 1, 3}));
  }
}
