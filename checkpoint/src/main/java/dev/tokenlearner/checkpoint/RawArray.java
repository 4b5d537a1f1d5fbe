package dev.tokenlearner.checkpoint;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A small non-parameter ndarray decoded from a Flax msgpack file (step counters, RNG keys), kept as
 * its little-endian bytes.
 *
 * @param shape dimensions
 * @param dtype element type
 * @param data little-endian C-order bytes, {@code product(shape) * itemSize} of them
 */
record RawArray(long[] shape, FlaxDtype dtype, byte[] data) {

  int size() {
    return data.length / dtype.itemSize;
  }

  /** Element {@code i} as an exact integer; float elements must be whole numbers. */
  long longAt(int i) {
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    int at = i * dtype.itemSize;
    return switch (dtype) {
      case BOOL, UINT8 -> b.get(at) & 0xffL;
      case INT8 -> b.get(at);
      case INT16 -> b.getShort(at);
      case UINT16 -> b.getShort(at) & 0xffffL;
      case INT32 -> b.getInt(at);
      case UINT32 -> b.getInt(at) & 0xffffffffL;
      case INT64, UINT64 -> b.getLong(at);
      case FLOAT32 -> whole(b.getFloat(at));
      case FLOAT64 -> whole(b.getDouble(at));
      case BFLOAT16 -> whole(Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16));
      default -> throw new IllegalStateException("not an integer-valued dtype: " + dtype.numpyName);
    };
  }

  private long whole(double v) {
    if (v != Math.rint(v)) {
      throw new IllegalStateException("expected a whole number, found " + v);
    }
    return (long) v;
  }

  @Override
  public String toString() {
    return dtype.numpyName + Arrays.toString(shape);
  }
}
