package dev.tokenlearner.checkpoint.orbax;

import dev.tokenlearner.checkpoint.CheckpointFormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Assembles a Zarr v2 array from its chunks into one C-order array.
 *
 * <p>Chunks are named by their grid indices joined with the dimension separator ({@code "0.1"}); a
 * scalar has the single chunk {@code "0"}. Every stored chunk holds a full chunk, so chunks at the
 * upper edge carry padding, which is dropped here.
 */
final class ZarrArrayReader {

  /** Where the chunks of one array come from. */
  interface ChunkSource {
    /**
     * The names stored under the array (chunk keys such as {@code 0.1} or {@code 0/1}, and others
     * such as {@code .zarray}, which are ignored).
     */
    Collection<String> keys() throws IOException;

    /** The stored bytes of chunk {@code chunkKey}, or {@code null} when it is absent. */
    byte[] read(String chunkKey) throws IOException;
  }

  /** Bounds the work a hostile chunk grid can ask for. */
  private static final long MAX_CHUNKS = 1 << 24;

  /** Bytes an array may have without stored chunks (all fill_value). */
  static final long MAX_FILL_BYTES = 64L << 20;

  /** Largest expansion of stored bytes: zstd's RLE blocks reach about 2^15. */
  static final long MAX_EXPANSION = 1L << 16;

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
    if (total == 0) {
      return new byte[0];
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
    // Only the chunks actually stored are visited, and the array is allocated only once their
    // bytes can account for its size: missing chunks are fill_value, so a tiny .zarray could
    // otherwise claim gigabytes, or a grid of millions of chunks to look up.
    Map<Long, byte[]> present = new TreeMap<>();
    long storedBytes = 0;
    for (String key : source.keys()) {
      long index = chunkIndex(key, grid, meta.separator());
      if (index < 0) {
        continue; // not a chunk of this grid (.zarray, .zattrs, stray files)
      }
      byte[] stored = source.read(key);
      if (stored != null && present.put(index, stored) == null) {
        storedBytes += stored.length;
      }
    }
    if (present.size() < numChunks && meta.fillValue() == null) {
      long[] g = new long[rank];
      for (long index = 0; present.containsKey(index); index++) {
        next(g, grid);
      }
      throw new CheckpointFormatException(
          file,
          where
              + ": chunk '"
              + chunkKey(g, meta.separator())
              + "' is missing and the array has no fill_value");
    }
    if (total > MAX_FILL_BYTES + MAX_EXPANSION * storedBytes) {
      throw new CheckpointFormatException(
          file,
          where
              + ": shape "
              + Arrays.toString(shape)
              + " needs "
              + total
              + " bytes, more than its "
              + storedBytes
              + " stored chunk bytes can hold");
    }
    byte[] out = new byte[(int) total];
    if (meta.fillValue() != null) {
      fill(out, meta);
    }
    long[] g = new long[rank];
    for (Map.Entry<Long, byte[]> e : present.entrySet()) {
      long rest = e.getKey();
      for (int d = rank - 1; d >= 0; d--) {
        g[d] = rest % grid[d];
        rest /= grid[d];
      }
      String what = where + " chunk '" + chunkKey(g, meta.separator()) + "'";
      byte[] chunk = decode(e.getValue(), chunkBytes, meta.zstd(), file, what);
      copyChunk(chunk, out, g, meta, outStride, chunkStride);
    }
    return out;
  }

  /**
   * The C-order index of the chunk named {@code key} in {@code grid}, or -1 if {@code key} does not
   * name one.
   */
  private static long chunkIndex(String key, long[] grid, String separator) {
    if (grid.length == 0) {
      return key.equals("0") ? 0 : -1;
    }
    String[] parts = key.split(Pattern.quote(separator), -1);
    if (parts.length != grid.length) {
      return -1;
    }
    long index = 0;
    for (int d = 0; d < grid.length; d++) {
      String p = parts[d];
      if (p.isEmpty() || p.length() > 18 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        return -1;
      }
      long v = Long.parseLong(p);
      if (v >= grid[d] || (p.length() > 1 && p.charAt(0) == '0')) {
        return -1;
      }
      index = index * grid[d] + v;
    }
    return index;
  }

  /** Advances a grid position, last dimension fastest. */
  private static void next(long[] g, long[] grid) {
    for (int d = g.length - 1; d >= 0; d--) {
      if (++g[d] < grid[d]) {
        return;
      }
      g[d] = 0;
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
