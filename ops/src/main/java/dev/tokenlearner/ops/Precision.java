package dev.tokenlearner.ops;

import java.util.function.UnaryOperator;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.train.BatchMatMul;
import org.tensorflow.types.TFloat16;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.family.TFloating;

/**
 * The dtype plumbing of mixed precision ({@link ComputeDtype}). Every helper emits no op at all
 * when the operand already has the wanted dtype, so a float32 model builds exactly the graph it
 * would without them.
 */
public final class Precision {

  private Precision() {}

  /**
   * {@code x} as {@code type}: {@code x} itself if it has that dtype, else a {@code Cast}.
   *
   * @param <T> the wanted dtype
   */
  public static <T extends TFloating> Operand<T> cast(
      Ops tf, Operand<? extends TFloating> x, Class<T> type) {
    if (x.type() == type) {
      @SuppressWarnings("unchecked") // checked at run time just above
      Operand<T> same = (Operand<T>) x;
      return same;
    }
    return tf.dtypes.cast(x, type);
  }

  /**
   * A scalar constant of dtype {@code type}: a float32 {@code Const}, cast when the dtype is lower
   * (grappler folds the cast).
   *
   * @param <T> the dtype
   */
  public static <T extends TFloating> Operand<T> scalar(Ops tf, float value, Class<T> type) {
    return cast(tf, tf.constant(value), type);
  }

  /**
   * Runs {@code f} on {@code x} in float32 and casts the result back to {@code x}'s dtype: the
   * float32 islands of mixed precision (LayerNorm statistics, softmax), as Flax computes them.
   *
   * @param <T> the compute dtype
   */
  public static <T extends TFloating> Operand<T> inFloat32(
      Ops tf, Operand<T> x, UnaryOperator<Operand<TFloat32>> f) {
    return cast(tf, f.apply(cast(tf, x, TFloat32.class)), x.type());
  }

  /**
   * {@code a · b} (or {@code a · bᵀ}) over the last two axes, batched over the leading ones, in the
   * operands' dtype.
   *
   * <p>float16 runs it in float32: TF 2.18's CPU kernels have no float16 {@code BatchMatMulV3},
   * which is both the forward op and what TF's gradient of any batch matmul emits (float32 and
   * bfloat16 have one).
   *
   * @param <T> the dtype of both operands and the result
   */
  public static <T extends TFloating> Operand<T> batchMatMul(
      Ops tf, Operand<T> a, Operand<T> b, boolean adjY) {
    if (a.type() == TFloat16.class) {
      Operand<TFloat32> y =
          batchMatMul(tf, cast(tf, a, TFloat32.class), cast(tf, b, TFloat32.class), adjY);
      return cast(tf, y, a.type());
    }
    return adjY
        ? tf.train.batchMatMul(a, b, a.type(), BatchMatMul.adjY(true))
        : tf.train.batchMatMul(a, b, a.type());
  }
}
