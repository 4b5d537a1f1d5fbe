package dev.tokenlearner.ops;

import java.util.Arrays;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/** Static-shape checks and reshapes that keep a dynamic batch dimension. */
public final class Shapes {

  private Shapes() {}

  /** The static shape of {@code x}, with -1 for unknown dimensions. */
  public static long[] of(Operand<?> x) {
    return x.shape().asArray();
  }

  /** The static shape as a readable string, {@code ?} for unknown dimensions. */
  public static String describe(Operand<?> x) {
    long[] s = of(x);
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < s.length; i++) {
      b.append(i == 0 ? "" : ", ").append(s[i] < 0 ? "?" : Long.toString(s[i]));
    }
    return b.append(']').toString();
  }

  /**
   * Checks the rank of {@code x} and that its last dimension is known.
   *
   * @param where the module path for the message
   * @param expected a readable form of the expected layout, e.g. {@code [batch, tokens, dim]}
   * @throws IllegalArgumentException naming the module, the expected layout and the shape
   */
  public static long[] requireRank(Operand<?> x, String where, String expected, int... ranks) {
    long[] s = of(x);
    if (Arrays.stream(ranks).noneMatch(r -> r == s.length)) {
      throw new IllegalArgumentException(
          where + ": expected " + expected + ", got shape " + describe(x));
    }
    if (s[s.length - 1] < 0) {
      throw new IllegalArgumentException(
          where + ": the last dimension must be known when the graph is built, got " + describe(x));
    }
    for (int i = 1; i < s.length; i++) {
      if (s[i] < 0) {
        throw new IllegalArgumentException(
            where + ": only the batch dimension may be unknown, got " + describe(x));
      }
    }
    return s;
  }

  /** Last dimension of {@code x} (must be static). */
  public static long lastDim(Operand<?> x) {
    long[] s = of(x);
    return s[s.length - 1];
  }

  /**
   * Reshapes {@code x} to {@code [-1, dims...]}: the leading (batch) dimension is inferred, the
   * others are static.
   */
  public static <T extends TType> Operand<T> reshapeBatch(Ops tf, Operand<T> x, long... dims) {
    long[] target = new long[dims.length + 1];
    target[0] = -1;
    System.arraycopy(dims, 0, target, 1, dims.length);
    return tf.reshape(x, tf.constant(target));
  }

  /**
   * Reshapes {@code x} so that its last dimension becomes {@code last}, keeping all leading
   * dimensions (dynamic ones read from the graph).
   */
  public static <T extends TType> Operand<T> replaceLast(
      Ops tf, Operand<?> x, Operand<T> flat, long last) {
    long[] s = of(x);
    boolean onlyBatchUnknown = true;
    for (int i = 1; i < s.length - 1; i++) {
      onlyBatchUnknown &= s[i] >= 0;
    }
    if (onlyBatchUnknown) {
      long[] dims = Arrays.copyOfRange(s, 1, s.length);
      dims[dims.length - 1] = last;
      return reshapeBatch(tf, flat, dims);
    }
    Operand<TInt64> shape = tf.shape(x, TInt64.class);
    Operand<TInt64> leading =
        tf.stridedSlice(
            shape,
            tf.constant(new long[] {0}),
            tf.constant(new long[] {-1}),
            tf.constant(new long[] {1}));
    return tf.reshape(
        flat,
        tf.concat(java.util.List.of(leading, tf.constant(new long[] {last})), tf.constant(0)));
  }
}
