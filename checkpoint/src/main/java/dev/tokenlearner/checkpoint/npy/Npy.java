package dev.tokenlearner.checkpoint.npy;

import dev.tokenlearner.core.HostArray;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy {@code .npy} files as {@link HostArray}s.
 *
 * <p>Reads format versions 1.0, 2.0 and 3.0 with C-order little-endian data of type {@code <f4},
 * {@code <f8}, {@code <i4} or {@code <i8}; non-float32 data is converted to float32. Fortran-order
 * and big-endian files are rejected. Writes version 1.0 (2.0 when the header needs it) with {@code
 * <f4} data and the header padded to 64 bytes, as numpy does.
 *
 * <p>Every length in the header is checked against the bytes present before anything is allocated.
 */
public final class Npy {

  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final int PREFIX_V1 = MAGIC.length + 2 + 2;
  private static final int PREFIX_V2 = MAGIC.length + 2 + 4;
  // numpy pads the header so the data starts on a multiple of this.
  private static final int ALIGN = 64;
  // numpy headers are a few hundred bytes; anything far larger is corruption.
  private static final int MAX_HEADER_BYTES = 1 << 20;
  private static final int SCRATCH_BYTES = 1 << 16;
  // Largest Java array length that is safe on common JVMs.
  private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

  private static final Pattern DESCR =
      Pattern.compile("['\"]descr['\"]\\s*:\\s*(?:'([^']*)'|\"([^\"]*)\"|(\\[))");
  private static final Pattern FORTRAN = Pattern.compile("['\"]fortran_order['\"]\\s*:\\s*(\\w+)");
  private static final Pattern SHAPE = Pattern.compile("['\"]shape['\"]\\s*:\\s*\\(([^)]*)\\)");

  private Npy() {}

  /**
   * Reads a whole {@code .npy} file.
   *
   * @param file the file
   * @return the array, converted to float32
   * @throws NpyFormatException if the file is not a supported {@code .npy} file
   * @throws IOException if the file cannot be read
   */
  public static HostArray read(Path file) throws IOException {
    long size = Files.size(file);
    try (InputStream in = Files.newInputStream(file)) {
      return read(in, size, file.toString());
    }
  }

  /**
   * Reads one {@code .npy} stream of known length.
   *
   * @param in the stream, positioned at the magic string; read to the end of the array data
   * @param size the number of bytes the stream holds
   * @param source how to name the stream in error messages
   * @return the array, converted to float32
   * @throws NpyFormatException if the stream is not a supported {@code .npy} array
   * @throws IOException if the stream cannot be read
   */
  public static HostArray read(InputStream in, long size, String source) throws IOException {
    NpyHeader header = readHeader(in, size, source);
    return readData(in, header, size, source);
  }

  /**
   * Reads and checks the header of a {@code .npy} stream.
   *
   * @param in the stream, positioned at the magic string; left at the start of the data
   * @param size the number of bytes the stream holds
   * @param source how to name the stream in error messages
   * @return the parsed header, whose data size has been checked against {@code size}
   * @throws NpyFormatException if the header is malformed, announces more data than {@code size}
   *     holds, or names an unsupported type or order
   * @throws IOException if the stream cannot be read
   */
  public static NpyHeader readHeader(InputStream in, long size, String source) throws IOException {
    if (size < PREFIX_V1) {
      throw new NpyFormatException(source, "expected a .npy file, found only " + size + " bytes");
    }
    byte[] prefix = readExactly(in, PREFIX_V1, source, "header prefix");
    if (!Arrays.equals(Arrays.copyOf(prefix, MAGIC.length), MAGIC)) {
      throw new NpyFormatException(source, "expected the .npy magic \\x93NUMPY, not found");
    }
    int major = prefix[6] & 0xff;
    ByteBuffer lenBytes = ByteBuffer.wrap(prefix, 8, 2).order(ByteOrder.LITTLE_ENDIAN);
    long headerLen;
    int prefixLen;
    switch (major) {
      case 1 -> {
        headerLen = lenBytes.getShort() & 0xffff;
        prefixLen = PREFIX_V1;
      }
      case 2, 3 -> {
        byte[] more = readExactly(in, 2, source, "header length");
        headerLen =
            ByteBuffer.wrap(new byte[] {prefix[8], prefix[9], more[0], more[1]})
                    .order(ByteOrder.LITTLE_ENDIAN)
                    .getInt()
                & 0xffffffffL;
        prefixLen = PREFIX_V2;
      }
      default ->
          throw new NpyFormatException(
              source, "expected .npy format version 1, 2 or 3, found " + major + "." + prefix[7]);
    }
    if (headerLen > MAX_HEADER_BYTES || prefixLen + headerLen > size) {
      throw new NpyFormatException(
          source,
          "header length " + headerLen + " exceeds the " + (size - prefixLen) + " bytes present");
    }
    byte[] text = readExactly(in, (int) headerLen, source, "header");
    // Versions 1 and 2 are latin-1, version 3 is UTF-8; the fields we read are ASCII either way.
    String dict =
        new String(text, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
    NpyHeader header = parseHeader(dict, prefixLen + (int) headerLen, source);
    long dataBytes = header.dataBytes();
    long present = size - header.dataOffset();
    if (dataBytes < 0 || dataBytes > present) {
      throw new NpyFormatException(
          source,
          "shape "
              + Arrays.toString(header.shape())
              + " of "
              + header.dtype().descr()
              + " needs "
              + (dataBytes < 0 ? "more than 2^63" : dataBytes)
              + " data bytes, found "
              + present);
    }
    return header;
  }

  /**
   * Reads the array data that follows a header, converting it to float32.
   *
   * @param in the stream, positioned at the start of the data
   * @param header the header read from the same stream
   * @param size the number of bytes the whole stream holds
   * @param source how to name the stream in error messages
   * @return the array
   * @throws NpyFormatException if the data is shorter than the header announces or has more
   *     elements than a Java array holds
   * @throws IOException if the stream cannot be read
   */
  public static HostArray readData(InputStream in, NpyHeader header, long size, String source)
      throws IOException {
    long n = checkedElements(header, size, source);
    float[] out = new float[(int) n];
    NpyDtype dtype = header.dtype();
    int item = dtype.itemSize();
    byte[] scratch = new byte[SCRATCH_BYTES];
    int done = 0;
    while (done < n) {
      int count = (int) Math.min(n - done, SCRATCH_BYTES / item);
      readInto(in, scratch, count * item, source, "data");
      ByteBuffer b = ByteBuffer.wrap(scratch, 0, count * item).order(ByteOrder.LITTLE_ENDIAN);
      switch (dtype) {
        case FLOAT32 -> b.asFloatBuffer().get(out, done, count);
        case FLOAT64 -> {
          for (int i = 0; i < count; i++) {
            out[done + i] = (float) b.getDouble();
          }
        }
        case INT32 -> {
          for (int i = 0; i < count; i++) {
            out[done + i] = b.getInt();
          }
        }
        case INT64 -> {
          for (int i = 0; i < count; i++) {
            out[done + i] = b.getLong();
          }
        }
      }
      done += count;
    }
    return new HostArray(header.shape(), out);
  }

  /**
   * Reads the array data that follows a header as exact integers (for step counters).
   *
   * @param in the stream, positioned at the start of the data
   * @param header the header read from the same stream
   * @param size the number of bytes the whole stream holds
   * @param source how to name the stream in error messages
   * @return the values in C order; float data must hold whole numbers
   * @throws NpyFormatException if the data is short or a float value is not a whole number
   * @throws IOException if the stream cannot be read
   */
  public static long[] readLongs(InputStream in, NpyHeader header, long size, String source)
      throws IOException {
    long n = checkedElements(header, size, source);
    if (n * header.dtype().itemSize() > SCRATCH_BYTES * 16L) {
      throw new NpyFormatException(
          source, "expected a small integer array, found " + n + " values");
    }
    int item = header.dtype().itemSize();
    ByteBuffer b =
        ByteBuffer.wrap(readExactly(in, (int) n * item, source, "data"))
            .order(ByteOrder.LITTLE_ENDIAN);
    long[] out = new long[(int) n];
    for (int i = 0; i < n; i++) {
      out[i] =
          switch (header.dtype()) {
            case INT32 -> b.getInt();
            case INT64 -> b.getLong();
            case FLOAT32 -> wholeNumber(b.getFloat(), source);
            case FLOAT64 -> wholeNumber(b.getDouble(), source);
          };
    }
    return out;
  }

  /**
   * Writes an array as a float32 {@code .npy} file, replacing any existing file.
   *
   * @param file the file to write
   * @param array the array
   * @throws IOException if the file cannot be written
   */
  public static void write(Path file, HostArray array) throws IOException {
    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), SCRATCH_BYTES)) {
      write(out, array);
    }
  }

  /**
   * Writes an array in {@code .npy} form to a stream (which is left open).
   *
   * @param out the stream
   * @param array the array
   * @throws IOException if the stream cannot be written
   */
  public static void write(OutputStream out, HostArray array) throws IOException {
    out.write(headerBytes(array.shape()));
    float[] data = array.data();
    ByteBuffer b = ByteBuffer.allocate(SCRATCH_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    for (int done = 0; done < data.length; ) {
      int count = Math.min(data.length - done, SCRATCH_BYTES / Float.BYTES);
      b.clear();
      b.asFloatBuffer().put(data, done, count);
      out.write(b.array(), 0, count * Float.BYTES);
      done += count;
    }
  }

  /** The full header (magic through padding) numpy writes for a C-order float32 array. */
  static byte[] headerBytes(long[] shape) {
    StringBuilder s = new StringBuilder("(");
    for (int i = 0; i < shape.length; i++) {
      s.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    s.append(shape.length == 1 ? ",)" : ")");
    String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + s + ", }";
    int prefixLen = PREFIX_V1;
    int total = alignedLength(prefixLen + dict.length() + 1);
    if (total - prefixLen > 0xffff) {
      // The version 1 length field is 16 bits; rank-heavy shapes need version 2.
      prefixLen = PREFIX_V2;
      total = alignedLength(prefixLen + dict.length() + 1);
    }
    int headerLen = total - prefixLen;
    ByteBuffer b = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) (prefixLen == PREFIX_V1 ? 1 : 2)).put((byte) 0);
    if (prefixLen == PREFIX_V1) {
      b.putShort((short) headerLen);
    } else {
      b.putInt(headerLen);
    }
    b.put(dict.getBytes(StandardCharsets.ISO_8859_1));
    while (b.position() < total - 1) {
      b.put((byte) ' ');
    }
    b.put((byte) '\n');
    return b.array();
  }

  private static int alignedLength(int unpadded) {
    return (unpadded + ALIGN - 1) / ALIGN * ALIGN;
  }

  private static NpyHeader parseHeader(String dict, int dataOffset, String source)
      throws NpyFormatException {
    Matcher descr = DESCR.matcher(dict);
    if (!descr.find()) {
      throw new NpyFormatException(source, "header has no 'descr' field: " + dict.strip());
    }
    if (descr.group(3) != null) {
      throw new NpyFormatException(source, "structured dtypes are not supported: " + dict.strip());
    }
    String d = descr.group(1) != null ? descr.group(1) : descr.group(2);
    if (d.startsWith(">")) {
      throw new NpyFormatException(
          source, "big-endian data ('" + d + "') is not supported; save it little-endian");
    }
    NpyDtype dtype =
        NpyDtype.fromDescr(d)
            .orElseThrow(
                () ->
                    new NpyFormatException(
                        source,
                        "dtype '" + d + "' is not supported; expected <f4, <f8, <i4 or <i8"));
    Matcher fortran = FORTRAN.matcher(dict);
    if (!fortran.find()) {
      throw new NpyFormatException(source, "header has no 'fortran_order' field: " + dict.strip());
    }
    if (!fortran.group(1).equals("False")) {
      throw new NpyFormatException(
          source, "fortran_order is " + fortran.group(1) + "; only C-order arrays are supported");
    }
    Matcher shapeM = SHAPE.matcher(dict);
    if (!shapeM.find()) {
      throw new NpyFormatException(source, "header has no 'shape' tuple: " + dict.strip());
    }
    String[] parts = shapeM.group(1).split(",");
    long[] shape = new long[parts.length];
    int rank = 0;
    for (String p : parts) {
      String t = p.strip();
      if (t.endsWith("L")) {
        t = t.substring(0, t.length() - 1); // Python 2 long literal
      }
      if (t.isEmpty()) {
        continue;
      }
      try {
        shape[rank] = Long.parseLong(t);
      } catch (NumberFormatException e) {
        throw new NpyFormatException(
            source, "bad dimension '" + t + "' in shape " + shapeM.group());
      }
      if (shape[rank] < 0) {
        throw new NpyFormatException(source, "negative dimension in shape " + shapeM.group());
      }
      rank++;
    }
    return new NpyHeader(dtype, Arrays.copyOf(shape, rank), dataOffset);
  }

  private static long checkedElements(NpyHeader header, long size, String source)
      throws NpyFormatException {
    long bytes = header.dataBytes();
    if (bytes < 0 || bytes > size - header.dataOffset()) {
      throw new NpyFormatException(
          source,
          "shape " + Arrays.toString(header.shape()) + " needs more data than the stream holds");
    }
    long n = header.numElements();
    if (n > MAX_ELEMENTS) {
      throw new NpyFormatException(
          source, n + " elements exceed the largest Java array (" + MAX_ELEMENTS + ")");
    }
    return n;
  }

  private static long wholeNumber(double v, String source) throws NpyFormatException {
    if (v != Math.rint(v) || Math.abs(v) > 0x1p62) {
      throw new NpyFormatException(source, "expected a whole number, found " + v);
    }
    return (long) v;
  }

  private static byte[] readExactly(InputStream in, int n, String source, String what)
      throws IOException {
    byte[] b = new byte[n];
    readInto(in, b, n, source, what);
    return b;
  }

  private static void readInto(InputStream in, byte[] b, int n, String source, String what)
      throws IOException {
    int got = in.readNBytes(b, 0, n);
    if (got != n) {
      throw new NpyFormatException(
          source, "unexpected end of " + what + ": wanted " + n + " bytes, got " + got);
    }
  }
}
