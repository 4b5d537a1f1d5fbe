package dev.tokenlearner.checkpoint.orbax;

import dev.tokenlearner.checkpoint.CheckpointFormatException;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code .zarray} metadata of one Zarr v2 array, as TensorStore writes it for Orbax.
 *
 * @param shape array dimensions, outermost first ({@code []} for a scalar)
 * @param chunks chunk dimensions, one per array dimension
 * @param byteOrder byte order of the stored elements
 * @param kind numpy kind character: {@code f} float, {@code i} signed, {@code u} unsigned
 * @param itemSize bytes per element
 * @param zstd whether chunks are zstd-compressed (otherwise stored raw)
 * @param fillValue value of elements in absent chunks, or {@code null} when absent chunks are an
 *     error
 * @param fortranOrder whether elements inside a chunk are stored in Fortran (column-major) order
 * @param separator the separator between chunk indices in chunk keys ({@code "."} or {@code "/"})
 */
record ZarrArrayMetadata(
    long[] shape,
    int[] chunks,
    ByteOrder byteOrder,
    char kind,
    int itemSize,
    boolean zstd,
    Double fillValue,
    boolean fortranOrder,
    String separator) {

  /** Largest chunk accepted, in bytes (a Java array bound). */
  static final int MAX_CHUNK_BYTES = Integer.MAX_VALUE - 8;

  private static final Pattern DTYPE = Pattern.compile("([<>|])([fiu])([1248])");

  /** Validates cross-field constraints. */
  ZarrArrayMetadata {
    if (shape.length != chunks.length) {
      throw new IllegalArgumentException(
          "shape "
              + Arrays.toString(shape)
              + " and chunks "
              + Arrays.toString(chunks)
              + " differ in rank");
    }
  }

  /** Whether the elements are IEEE float32. */
  boolean isFloat32() {
    return kind == 'f' && itemSize == 4;
  }

  /** The dtype as numpy writes it, e.g. {@code <f4}. */
  String dtype() {
    return (itemSize == 1 ? "|" : byteOrder == ByteOrder.LITTLE_ENDIAN ? "<" : ">")
        + kind
        + itemSize;
  }

  /** Number of elements in one chunk. */
  long chunkElements() {
    long n = 1;
    for (int c : chunks) {
      n *= c;
    }
    return n;
  }

  /**
   * Parses a {@code .zarray} document.
   *
   * @param file the file (or database) it came from, for messages
   * @param array the array's name, for messages
   */
  static ZarrArrayMetadata parse(byte[] json, Path file, String array)
      throws CheckpointFormatException {
    String where = "array '" + array + "' .zarray";
    Map<?, ?> m = JsonDocument.parseObject(json, file, where);
    Object format = m.get("zarr_format");
    if (format != null && !(format instanceof Number n && n.longValue() == 2)) {
      throw new CheckpointFormatException(file, where + ": zarr_format " + format + ", expected 2");
    }
    long[] shape = dims(m.get("shape"), "shape", file, where);
    long[] chunkDims = dims(m.get("chunks"), "chunks", file, where);
    if (chunkDims.length != shape.length) {
      throw new CheckpointFormatException(
          file,
          where
              + ": chunks "
              + Arrays.toString(chunkDims)
              + " do not match the rank of shape "
              + Arrays.toString(shape));
    }
    Object dtypeValue = m.get("dtype");
    if (!(dtypeValue instanceof String dtype)) {
      throw new CheckpointFormatException(
          file, where + ": dtype " + dtypeValue + " is not a simple numeric dtype");
    }
    Matcher d = DTYPE.matcher(dtype);
    if (!d.matches()) {
      throw new CheckpointFormatException(
          file,
          where
              + ": dtype '"
              + dtype
              + "' is not supported (supported: <f4, <f8, <i4, <i8,"
              + " <u4 and other little/big-endian ints)");
    }
    ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    char kind = d.group(2).charAt(0);
    int itemSize = Integer.parseInt(d.group(3));
    if (kind == 'f' && itemSize == 1) {
      throw new CheckpointFormatException(file, where + ": dtype '" + dtype + "' is not a float");
    }
    Object filters = m.get("filters");
    if (filters != null && !(filters instanceof List<?> l && l.isEmpty())) {
      throw new CheckpointFormatException(
          file, where + ": filters " + filters + " are not supported (expected null)");
    }
    int[] chunks = new int[chunkDims.length];
    long chunkBytes = itemSize;
    for (int i = 0; i < chunks.length; i++) {
      if (chunkDims[i] < 1) {
        throw new CheckpointFormatException(
            file, where + ": chunk dimension " + i + " is " + chunkDims[i] + ", must be >= 1");
      }
      chunkBytes *= chunkDims[i];
      if (chunkDims[i] > MAX_CHUNK_BYTES || chunkBytes > MAX_CHUNK_BYTES) {
        throw new CheckpointFormatException(
            file,
            where
                + ": chunks "
                + Arrays.toString(chunkDims)
                + " exceed "
                + MAX_CHUNK_BYTES
                + " bytes");
      }
      chunks[i] = (int) chunkDims[i];
    }
    return new ZarrArrayMetadata(
        shape,
        chunks,
        order,
        kind,
        itemSize,
        compressor(m.get("compressor"), file, where),
        fillValue(m.get("fill_value"), file, where),
        order(m.get("order"), file, where),
        separator(m.get("dimension_separator"), file, where));
  }

  private static long[] dims(Object value, String field, Path file, String where)
      throws CheckpointFormatException {
    if (!(value instanceof List<?> list)) {
      throw new CheckpointFormatException(
          file, where + ": " + field + " is " + value + ", expected a list of integers");
    }
    if (list.size() > 32) {
      throw new CheckpointFormatException(
          file, where + ": " + field + " has rank " + list.size() + ", more than 32");
    }
    long[] out = new long[list.size()];
    for (int i = 0; i < out.length; i++) {
      Object v = list.get(i);
      if (v instanceof BigInteger || !(v instanceof Integer || v instanceof Long)) {
        throw new CheckpointFormatException(
            file, where + ": " + field + "[" + i + "] is " + v + ", expected an integer");
      }
      out[i] = ((Number) v).longValue();
      if (out[i] < 0) {
        throw new CheckpointFormatException(
            file, where + ": " + field + "[" + i + "] is negative (" + out[i] + ")");
      }
    }
    return out;
  }

  private static boolean compressor(Object value, Path file, String where)
      throws CheckpointFormatException {
    if (value == null) {
      return false;
    }
    if (value instanceof Map<?, ?> c && "zstd".equals(c.get("id"))) {
      return true;
    }
    Object id = value instanceof Map<?, ?> c ? c.get("id") : value;
    throw new CheckpointFormatException(
        file, where + ": compressor '" + id + "' is not supported (expected zstd or null)");
  }

  private static Double fillValue(Object value, Path file, String where)
      throws CheckpointFormatException {
    if (value == null) {
      return null;
    }
    if (value instanceof Number n) {
      return n.doubleValue();
    }
    if (value instanceof String s) {
      switch (s) {
        case "NaN":
          return Double.NaN;
        case "Infinity":
          return Double.POSITIVE_INFINITY;
        case "-Infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          break;
      }
    }
    throw new CheckpointFormatException(file, where + ": fill_value " + value + " is not a number");
  }

  private static boolean order(Object value, Path file, String where)
      throws CheckpointFormatException {
    if (value == null || "C".equals(value)) {
      return false;
    }
    if ("F".equals(value)) {
      return true;
    }
    throw new CheckpointFormatException(file, where + ": order " + value + ", expected C or F");
  }

  private static String separator(Object value, Path file, String where)
      throws CheckpointFormatException {
    if (value == null || ".".equals(value) || "/".equals(value)) {
      return value == null ? "." : (String) value;
    }
    throw new CheckpointFormatException(
        file, where + ": dimension_separator " + value + ", expected '.' or '/'");
  }
}
