package dev.tokenlearner.ops.reference;

import dev.tokenlearner.core.HostArray;
import java.util.Arrays;
import java.util.Objects;
import java.util.Random;

/**
 * A small dense double-precision tensor, row-major (C order), used only by the plain-Java reference
 * implementation.
 *
 * <p>The record does not copy its arrays; {@link #set} writes into {@code data}.
 *
 * @param shape dimensions, outermost first; {@code []} for a scalar
 * @param data the values, {@code product(shape)} of them
 */
public record Nd(int[] shape, double[] data) {

  /** Checks that the data length matches the shape. */
  public Nd {
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(data, "data");
    if (numElements(shape) != data.length) {
      throw new IllegalArgumentException(
          "shape "
              + Arrays.toString(shape)
              + " holds "
              + numElements(shape)
              + " values, got "
              + data.length);
    }
  }

  /**
   * Number of elements a shape holds.
   *
   * @param shape dimensions, each non-negative
   * @return their product
   */
  public static int numElements(int[] shape) {
    int n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /**
   * A zero-filled tensor.
   *
   * @param shape dimensions
   * @return a new tensor
   */
  public static Nd zeros(int... shape) {
    return new Nd(shape.clone(), new double[numElements(shape)]);
  }

  /**
   * A tensor with the given values in row-major order.
   *
   * @param shape dimensions
   * @param values {@code product(shape)} values
   * @return a new tensor (the values are copied)
   */
  public static Nd of(int[] shape, double... values) {
    return new Nd(shape.clone(), values.clone());
  }

  /**
   * Widens a float32 host array to double.
   *
   * @param array the source
   * @return a new tensor with the same shape and values
   */
  public static Nd fromFloat(HostArray array) {
    int[] shape = new int[array.shape().length];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = Math.toIntExact(array.shape()[i]);
    }
    double[] data = new double[array.data().length];
    for (int i = 0; i < data.length; i++) {
      data[i] = array.data()[i];
    }
    return new Nd(shape, data);
  }

  /**
   * Rounds this tensor to a float32 host array.
   *
   * @return a new host array with the same shape
   */
  public HostArray toHost() {
    float[] f = new float[data.length];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) data[i];
    }
    return new HostArray(longShape(), f);
  }

  /**
   * Gaussian random values {@code N(0, scale²)}, each rounded to the nearest float32 so that {@code
   * fromFloat(random(..).toHost())} gives back exactly the same values.
   *
   * @param shape dimensions
   * @param seed seed of {@link java.util.Random}
   * @param scale standard deviation
   * @return a new tensor
   */
  public static Nd random(int[] shape, long seed, double scale) {
    Random rng = new Random(seed);
    double[] data = new double[numElements(shape)];
    for (int i = 0; i < data.length; i++) {
      data[i] = (float) (scale * rng.nextGaussian());
    }
    return new Nd(shape.clone(), data);
  }

  /**
   * Number of dimensions.
   *
   * @return the rank
   */
  public int rank() {
    return shape.length;
  }

  /**
   * Number of elements.
   *
   * @return {@code data.length}
   */
  public int size() {
    return data.length;
  }

  /**
   * One dimension; negative axes count from the end.
   *
   * @param axis the axis, {@code -rank <= axis < rank}
   * @return its size
   */
  public int dim(int axis) {
    int a = axis < 0 ? axis + shape.length : axis;
    if (a < 0 || a >= shape.length) {
      throw new IllegalArgumentException(
          "axis " + axis + " out of range for shape " + Arrays.toString(shape));
    }
    return shape[a];
  }

  /**
   * The shape as {@code long[]} (the form {@link HostArray} uses).
   *
   * @return a new array
   */
  public long[] longShape() {
    long[] s = new long[shape.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = shape[i];
    }
    return s;
  }

  /**
   * Row-major flat offset of an index.
   *
   * @param index one coordinate per dimension, each in range
   * @return the position in {@code data}
   */
  public int offset(int... index) {
    if (index.length != shape.length) {
      throw new IllegalArgumentException(
          "index " + Arrays.toString(index) + " does not match shape " + Arrays.toString(shape));
    }
    int off = 0;
    for (int i = 0; i < shape.length; i++) {
      if (index[i] < 0 || index[i] >= shape[i]) {
        throw new IllegalArgumentException(
            "index "
                + Arrays.toString(index)
                + " out of range for shape "
                + Arrays.toString(shape));
      }
      off = off * shape[i] + index[i];
    }
    return off;
  }

  /**
   * One element.
   *
   * @param index one coordinate per dimension
   * @return the value there
   */
  public double get(int... index) {
    return data[offset(index)];
  }

  /**
   * Writes one element in place.
   *
   * @param value the new value
   * @param index one coordinate per dimension
   */
  public void set(double value, int... index) {
    data[offset(index)] = value;
  }

  /**
   * Same values under a new shape; one dimension may be {@code -1} (inferred).
   *
   * @param newShape the new dimensions
   * @return a new tensor sharing no storage with this one
   */
  public Nd reshape(int... newShape) {
    int[] s = newShape.clone();
    int infer = -1;
    int known = 1;
    for (int i = 0; i < s.length; i++) {
      if (s[i] == -1) {
        if (infer >= 0) {
          throw new IllegalArgumentException("more than one -1 in " + Arrays.toString(newShape));
        }
        infer = i;
      } else {
        known *= s[i];
      }
    }
    if (infer >= 0) {
      if (known == 0 || data.length % known != 0) {
        throw new IllegalArgumentException(
            "cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
      }
      s[infer] = data.length / known;
    }
    if (numElements(s) != data.length) {
      throw new IllegalArgumentException(
          "cannot reshape " + Arrays.toString(shape) + " to " + Arrays.toString(newShape));
    }
    return new Nd(s, data.clone());
  }

  /**
   * Permutes the axes: output axis {@code i} is input axis {@code perm[i]}.
   *
   * @param perm a permutation of {@code 0..rank-1}
   * @return a new tensor
   */
  public Nd transpose(int... perm) {
    int r = shape.length;
    if (perm.length != r) {
      throw new IllegalArgumentException(
          "permutation " + Arrays.toString(perm) + " does not match rank " + r);
    }
    int[] outShape = new int[r];
    for (int i = 0; i < r; i++) {
      outShape[i] = shape[perm[i]];
    }
    int[] inStrides = strides(shape);
    Nd out = zeros(outShape);
    int[] idx = new int[r];
    for (int flat = 0; flat < out.data.length; flat++) {
      // idx is the output coordinate; walk it in row-major order.
      int src = 0;
      for (int i = 0; i < r; i++) {
        src += idx[i] * inStrides[perm[i]];
      }
      out.data[flat] = data[src];
      for (int i = r - 1; i >= 0; i--) {
        if (++idx[i] < outShape[i]) {
          break;
        }
        idx[i] = 0;
      }
    }
    return out;
  }

  /**
   * A deep copy.
   *
   * @return a new tensor with copied storage
   */
  public Nd copy() {
    return new Nd(shape.clone(), data.clone());
  }

  /**
   * Largest absolute element-wise difference; shapes must be equal.
   *
   * @param other the tensor to compare with
   * @return {@code max |this - other|}
   */
  public double maxAbsDiff(Nd other) {
    if (!Arrays.equals(shape, other.shape)) {
      throw new IllegalArgumentException(
          "shape mismatch: " + Arrays.toString(shape) + " vs " + Arrays.toString(other.shape));
    }
    double m = 0;
    for (int i = 0; i < data.length; i++) {
      m = Math.max(m, Math.abs(data[i] - other.data[i]));
    }
    return m;
  }

  /**
   * Largest absolute element-wise difference to a float32 array; shapes must be equal.
   *
   * @param other the array to compare with
   * @return {@code max |this - other|}
   */
  public double maxAbsDiff(HostArray other) {
    return maxAbsDiff(fromFloat(other));
  }

  /**
   * Row-major strides of a shape, in elements.
   *
   * @param shape dimensions
   * @return the stride of each dimension
   */
  static int[] strides(int[] shape) {
    int[] st = new int[shape.length];
    int s = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      st[i] = s;
      s *= shape[i];
    }
    return st;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Nd n && Arrays.equals(shape, n.shape) && Arrays.equals(data, n.data);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "Nd" + Arrays.toString(shape);
  }
}
