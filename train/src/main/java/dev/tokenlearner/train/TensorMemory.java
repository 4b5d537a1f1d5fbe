package dev.tokenlearner.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.tensorflow.ndarray.buffer.DataStorageVisitor;
import org.tensorflow.types.TFloat32;

/**
 * A tensor's own native memory as a direct {@link ByteBuffer}, so the host ring all-reduce can
 * send, receive and sum a fetched tensor in place and the same tensor can be fed back: no copy to
 * and from a Java array. TF Java has no such view ({@code DataBuffers.of(ByteBuffer)} copies
 * element by element); its raw buffers expose their address through {@link DataStorageVisitor}.
 *
 * <p>The view is valid only while the tensor is open: close the buffer's users first.
 */
public final class TensorMemory {

  private TensorMemory() {}

  /**
   * The tensor's bytes, little-endian, position 0, limit = its size in bytes.
   *
   * @param tensor an open float32 tensor in native memory
   * @return a direct view of its memory
   * @throws IllegalStateException if the tensor's data is not in native memory
   */
  public static ByteBuffer of(TFloat32 tensor) {
    return tensor
        .asRawTensor()
        .data()
        .accept(
            new DataStorageVisitor<ByteBuffer>() {
              @Override
              public ByteBuffer visit(long address, long bytes, long scale) {
                Pointer at = new Address(address, bytes);
                return new BytePointer(at)
                    .capacity(bytes)
                    .limit(bytes)
                    .asByteBuffer()
                    .order(ByteOrder.LITTLE_ENDIAN);
              }

              @Override
              public ByteBuffer fallback() {
                throw new IllegalStateException("the tensor's data is not in native memory");
              }
            });
  }

  /** A JavaCPP pointer at a given address (its fields are only settable by a subclass). */
  private static final class Address extends Pointer {
    Address(long address, long bytes) {
      this.address = address;
      this.limit = bytes;
      this.capacity = bytes;
    }
  }
}
