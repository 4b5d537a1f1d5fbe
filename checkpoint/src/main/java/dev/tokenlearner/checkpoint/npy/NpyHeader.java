package dev.tokenlearner.checkpoint.npy;

import java.util.Arrays;
import java.util.Objects;

/**
 * The parsed header of a {@code .npy} file.
 *
 * @param dtype the element type (little-endian, as the {@code descr} field gives it)
 * @param shape dimensions, outermost first; {@code []} for a scalar
 * @param dataOffset number of bytes before the array data (magic, version, length and header)
 */
public record NpyHeader(NpyDtype dtype, long[] shape, int dataOffset) {

  /** Checks the fields and copies the shape. */
  public NpyHeader {
    Objects.requireNonNull(dtype, "dtype");
    shape = shape.clone();
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
    }
    if (dataOffset < 0) {
      throw new IllegalArgumentException("negative data offset " + dataOffset);
    }
  }

  /** The shape (a copy). */
  @Override
  public long[] shape() {
    return shape.clone();
  }

  /**
   * Number of elements, or -1 when the product of the dimensions overflows a {@code long}.
   *
   * @return the product of the dimensions, or -1 on overflow
   */
  public long numElements() {
    long n = 1;
    for (long d : shape) {
      if (d != 0 && n > Long.MAX_VALUE / d) {
        return -1;
      }
      n *= d;
    }
    return n;
  }

  /**
   * Number of data bytes the header announces, or -1 on overflow.
   *
   * @return {@code numElements() * itemSize}, or -1 on overflow
   */
  public long dataBytes() {
    long n = numElements();
    if (n < 0 || n > Long.MAX_VALUE / dtype.itemSize()) {
      return -1;
    }
    return n * dtype.itemSize();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NpyHeader h
        && dtype == h.dtype
        && Arrays.equals(shape, h.shape)
        && dataOffset == h.dataOffset;
  }

  @Override
  public int hashCode() {
    return Objects.hash(dtype, Arrays.hashCode(shape), dataOffset);
  }

  @Override
  public String toString() {
    return "NpyHeader[" + dtype.descr() + ", " + Arrays.toString(shape) + "]";
  }
}
