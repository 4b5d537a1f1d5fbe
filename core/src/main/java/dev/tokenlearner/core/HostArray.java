package dev.tokenlearner.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * A float32 array in host memory, row-major (C order), with its shape.
 *
 * <p>This is the one exchange type for parameter values between checkpoint readers, the parameter
 * registry of a graph, checkpoint writers and {@code .npy} files. It does not copy {@code data}:
 * callers hand over ownership.
 *
 * @param shape dimensions, outermost first; {@code []} for a scalar
 * @param data the values, {@code product(shape)} of them
 */
public record HostArray(long[] shape, float[] data) {

  /** Checks that the data length matches the shape. */
  public HostArray {
    Objects.requireNonNull(shape, "shape");
    Objects.requireNonNull(data, "data");
    long n = numElements(shape);
    if (n != data.length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " holds " + n + " values, got " + data.length);
    }
  }

  /** Number of elements a shape holds; every dimension must be non-negative. */
  public static long numElements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  /** A zero-filled array of the given shape. */
  public static HostArray zeros(long... shape) {
    return new HostArray(shape.clone(), new float[Math.toIntExact(numElements(shape))]);
  }

  /** Number of dimensions. */
  public int rank() {
    return shape.length;
  }

  /** Shape as a readable string, e.g. {@code [3, 3, 32, 8]}. */
  public String shapeString() {
    return Arrays.toString(shape);
  }

  /** Largest absolute element-wise difference to {@code other}; shapes must be equal. */
  public double maxAbsDiff(HostArray other) {
    if (!Arrays.equals(shape, other.shape)) {
      throw new IllegalArgumentException(
          "shape mismatch: " + shapeString() + " vs " + other.shapeString());
    }
    double m = 0;
    for (int i = 0; i < data.length; i++) {
      m = Math.max(m, Math.abs((double) data[i] - other.data[i]));
    }
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HostArray h && Arrays.equals(shape, h.shape) && Arrays.equals(data, h.data);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return "HostArray" + shapeString();
  }
}
