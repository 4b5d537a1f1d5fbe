package dev.tokenlearner.checkpoint.orbax;

import dev.tokenlearner.checkpoint.CheckpointFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Assembles a Zarr v2 array from its chunks into one C-order array.
 *
 * <p>Chunks are named by their grid indices joined with the dimension separator ({@code "0.1"}); a
 * scalar has the single chunk {@code "0"}. Every stored chunk holds a full chunk, so chunks at the
 * upper edge carry padding, which is dropped here.
 */
final class ZarrArrayReader {

  /** Where the chunks of one array come from. */
  @FunctionalInterface
  interface ChunkSource {
    /** The stored bytes of chunk {@code chunkKey}, or {@code null} when it is absent. */
    byte[] read(String chunkKey) throws IOException;
  }

  /** Bounds the work a hostile chunk grid can ask for. */
  private static final long MAX_CHUNKS = 1 << 24;

  private ZarrArrayReader() {}

  /**
   * Reads a float32 array.
   *
   * @param file the file (or database) the array lives in, for messages
   * @param array the array's name, for messages
   */
  static float[] readFloat32(ZarrArrayMetadata meta, ChunkSource source, Path file, String array)
      throws IOException {
    if (!meta.isFloat32()) {
      throw new CheckpointFormatException(
          file, "array '" + array + "': dtype " + meta.dtype() + ", expected float32 (<f4)");
    }
    byte[] bytes = readBytes(meta, source, file, array);
    float[] out = new float[bytes.length / 4];
    ByteBuffer.wrap(bytes).order(meta.byteOrder()).asFloatBuffer().get(out);
    return out;
  }

  /** Reads a one-element integer array (such as {@code global_step}). */
  static long readIntegerScalar(ZarrArrayMetadata meta, ChunkSource source, Path file, String array)
      throws IOException {
    if (meta.kind() == 'f') {
      throw new CheckpointFormatException(
          file, "array '" + array + "': dtype " + meta.dtype() + ", expected an integer");
    }
    byte[] bytes = readBytes(meta, source, file, array);
    if (bytes.length != meta.itemSize()) {
      throw new CheckpointFormatException(
          file,
          "array '"
              + array
              + "': shape "
              + Arrays.toString(meta.shape())
              + ", expected a single value");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes).order(meta.byteOrder());
    long v =
        switch (meta.itemSize()) {
          case 1 -> b.get();
          case 2 -> b.getShort();
          case 4 -> b.getInt();
          default -> b.getLong();
        };
    if (meta.kind() == 'u' && meta.itemSize() < 8) {
      v &= (1L << (8 * meta.itemSize())) - 1;
    }
    return v;
  }

  /** Reads all elements, in C order, as stored bytes (the array's own byte order). */
  static byte[] readBytes(ZarrArrayMetadata meta, ChunkSource source, Path file, String array)
      throws IOException {
    String where = "array '" + array + "'";
    long[] shape = meta.shape();
    int[] chunks = meta.chunks();
    int rank = shape.length;
    int item = meta.itemSize();
    long total = item;
    for (long d : shape) {
      total = total * d;
      if (d > ZarrArrayMetadata.MAX_CHUNK_BYTES || total > ZarrArrayMetadata.MAX_CHUNK_BYTES) {
        throw new CheckpointFormatException(
            file,
            where
                + ": shape "
                + Arrays.toString(shape)
                + " is larger than "
                + ZarrArrayMetadata.MAX_CHUNK_BYTES
                + " bytes");
      }
    }
    byte[] out = new byte[(int) total];
    if (total == 0) {
      return out;
    }
    if (meta.fillValue() != null) {
      fill(out, meta);
    }
    int chunkBytes = (int) (meta.chunkElements() * item);

    // Element strides of the full array (C order) and of one chunk (C or F order).
    long[] outStride = new long[rank];
    long[] chunkStride = new long[rank];
    long s = 1;
    for (int d = rank - 1; d >= 0; d--) {
      outStride[d] = s;
      s *= shape[d];
    }
    s = 1;
    for (int k = 0; k < rank; k++) {
      int d = meta.fortranOrder() ? k : rank - 1 - k;
      chunkStride[d] = s;
      s *= chunks[d];
    }

    long[] grid = new long[rank];
    long numChunks = 1;
    for (int d = 0; d < rank; d++) {
      grid[d] = (shape[d] + chunks[d] - 1) / chunks[d];
      numChunks *= grid[d];
    }
    if (numChunks > MAX_CHUNKS) {
      throw new CheckpointFormatException(
          file, where + ": " + numChunks + " chunks, more than the limit " + MAX_CHUNKS);
    }
    long[] g = new long[rank];
    while (true) {
      String key = chunkKey(g, meta.separator());
      byte[] stored = source.read(key);
      if (stored == null) {
        if (meta.fillValue() == null) {
          throw new CheckpointFormatException(
              file, where + ": chunk '" + key + "' is missing and the array has no fill_value");
        }
      } else {
        byte[] chunk =
            decode(stored, chunkBytes, meta.zstd(), file, where + " chunk '" + key + "'");
        copyChunk(chunk, out, g, meta, outStride, chunkStride);
      }
      // Next grid position, last dimension fastest.
      int d = rank - 1;
      while (d >= 0 && ++g[d] == grid[d]) {
        g[d] = 0;
        d--;
      }
      if (d < 0) {
        return out;
      }
    }
  }

  private static String chunkKey(long[] g, String separator) {
    if (g.length == 0) {
      return "0";
    }
    StringBuilder sb = new StringBuilder();
    for (int d = 0; d < g.length; d++) {
      if (d > 0) {
        sb.append(separator);
      }
      sb.append(g[d]);
    }
    return sb.toString();
  }

  private static byte[] decode(byte[] stored, int chunkBytes, boolean zstd, Path file, String what)
      throws CheckpointFormatException {
    byte[] chunk =
        zstd ? ZstdFrames.decompress(stored, 0, stored.length, chunkBytes, file, what) : stored;
    if (chunk.length != chunkBytes) {
      throw new CheckpointFormatException(
          file, what + ": holds " + chunk.length + " bytes, expected " + chunkBytes);
    }
    return chunk;
  }

  /** Copies the part of chunk {@code g} that lies inside the array. */
  private static void copyChunk(
      byte[] chunk,
      byte[] out,
      long[] g,
      ZarrArrayMetadata meta,
      long[] outStride,
      long[] chunkStride) {
    int rank = g.length;
    int item = meta.itemSize();
    if (rank == 0) {
      System.arraycopy(chunk, 0, out, 0, item);
      return;
    }
    long[] shape = meta.shape();
    int[] chunks = meta.chunks();
    long[] origin = new long[rank];
    int[] extent = new int[rank];
    for (int d = 0; d < rank; d++) {
      origin[d] = g[d] * chunks[d];
      extent[d] = (int) Math.min(chunks[d], shape[d] - origin[d]);
    }
    // In C order the last dimension is contiguous on both sides: copy whole rows.
    boolean rows = !meta.fortranOrder() || rank == 1;
    int inner = rows ? extent[rank - 1] : 1;
    int[] idx = new int[rank];
    while (true) {
      long src = 0;
      long dst = 0;
      for (int d = 0; d < rank; d++) {
        src += idx[d] * chunkStride[d];
        dst += (origin[d] + idx[d]) * outStride[d];
      }
      System.arraycopy(chunk, (int) (src * item), out, (int) (dst * item), inner * item);
      int d = rows ? rank - 2 : rank - 1;
      while (d >= 0 && ++idx[d] == extent[d]) {
        idx[d] = 0;
        d--;
      }
      if (d < 0) {
        return;
      }
    }
  }

  private static void fill(byte[] out, ZarrArrayMetadata meta) {
    double v = meta.fillValue();
    ByteBuffer one = ByteBuffer.allocate(meta.itemSize()).order(meta.byteOrder());
    if (meta.kind() == 'f') {
      if (meta.itemSize() == 4) {
        one.putFloat((float) v);
      } else if (meta.itemSize() == 8) {
        one.putDouble(v);
      } else {
        return; // float16 fill is not needed: such arrays are rejected before use
      }
    } else {
      long l = (long) v;
      for (int i = 0; i < meta.itemSize(); i++) {
        int shift =
            meta.byteOrder() == ByteOrder.LITTLE_ENDIAN ? 8 * i : 8 * (meta.itemSize() - 1 - i);
        one.put(i, (byte) (l >>> shift));
      }
    }
    byte[] pattern = one.array();
    boolean zero = true;
    for (byte b : pattern) {
      zero &= b == 0;
    }
    if (zero) {
      return;
    }
    for (int i = 0; i < out.length; i += pattern.length) {
      System.arraycopy(pattern, 0, out, i, pattern.length);
    }
  }
}
