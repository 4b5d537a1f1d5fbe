package dev.tokenlearner.checkpoint;

import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.msgpack.core.ExtensionTypeHeader;
import org.msgpack.core.MessageFormat;
import org.msgpack.core.MessageUnpacker;
import org.msgpack.value.ValueType;

/**
 * Streaming decoder for the values {@code flax.serialization.msgpack_serialize} writes, over one
 * {@link MessageUnpacker}.
 *
 * <p>Values are decoded, or skipped, as they stream past: nothing but the arrays a caller keeps is
 * held in memory, and every count and length in the file is checked against the bytes left before
 * anything is allocated. Errors are {@link CheckpointFormatException}s naming the file and the key
 * path being decoded; {@link #path()} gives that path to callers that wrap lower-level errors.
 */
final class FlaxMsgpackParser {

  /** Extension type of {@code np.ndarray} / {@code jax.Array}. */
  static final byte EXT_NDARRAY = 1;

  /** Extension type of a Python complex number. */
  static final byte EXT_NATIVE_COMPLEX = 2;

  /** Extension type of a numpy scalar ({@code np.generic}). */
  static final byte EXT_NPSCALAR = 3;

  /** Key that marks a map standing for one array cut into chunks. */
  static final String CHUNKED_MARKER = "__msgpack_chunked_array__";

  // Keys in Flax state dicts are module and field names; anything huge is corruption.
  private static final int MAX_KEY_BYTES = 1 << 16;
  private static final int MAX_STRING_BYTES = 1 << 20;
  private static final int MAX_DTYPE_NAME_BYTES = 64;
  private static final int MAX_RANK = 64;
  // Deeper nesting than any real state dict; bounds recursion on hostile input.
  private static final int MAX_DEPTH = 256;
  // Non-parameter arrays (steps, RNG keys) are tiny; larger ones are only skipped.
  private static final int MAX_RAW_ARRAY_BYTES = 1 << 24;
  private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
  private static final int SCRATCH_BYTES = 1 << 16;

  /** What to do with the arrays of a subtree. */
  enum Leaves {
    /** Float parameters only: float32/bfloat16 arrays become {@link HostArray}s, others fail. */
    PARAMS,
    /**
     * Any leaf: float arrays become {@link HostArray}s, other arrays {@link RawArray}s, and native
     * values Long, Double, Boolean, String or null.
     */
    ANY
  }

  private final Path file;
  private final long size;
  private final MessageUnpacker u;
  private final Deque<String> path = new ArrayDeque<>();
  private final byte[] scratch = new byte[SCRATCH_BYTES];
  private int depth;

  FlaxMsgpackParser(Path file, long size, MessageUnpacker u) {
    this.file = file;
    this.size = size;
    this.u = u;
  }

  /** The key path being decoded, e.g. {@code params/Transformer/encoder_norm/scale}. */
  String path() {
    return path.isEmpty() ? "<top level>" : String.join("/", path);
  }

  /** Bytes consumed so far. */
  long offset() {
    return u.getTotalReadBytes();
  }

  long remaining() {
    return size - u.getTotalReadBytes();
  }

  void push(String key) {
    path.addLast(key);
  }

  void pop() {
    path.removeLast();
  }

  CheckpointFormatException fail(String message) {
    return new CheckpointFormatException(
        file, "at " + path() + " (byte " + offset() + "): " + message);
  }

  /** Whether any bytes follow the value just decoded. */
  boolean hasMore() throws IOException {
    return u.hasNext();
  }

  ValueType nextType() throws IOException {
    if (!u.hasNext()) {
      throw fail("unexpected end of file (truncated?)");
    }
    MessageFormat f = u.getNextFormat();
    if (f == MessageFormat.NEVER_USED) {
      throw fail("invalid msgpack byte 0xc1");
    }
    return f.getValueType();
  }

  /**
   * Reads a map header.
   *
   * @param what what the map is, for the message when something else is found
   * @return the number of entries, checked against the bytes left
   */
  int mapHeader(String what) throws IOException {
    ValueType t = nextType();
    if (t != ValueType.MAP) {
      throw fail("expected " + what + " (a msgpack map), found " + describeType(t));
    }
    int n = u.unpackMapHeader();
    // Each entry takes at least two bytes (a one-byte key and a one-byte value).
    if (n < 0 || 2L * n > remaining()) {
      throw fail("map of " + n + " entries cannot fit in the " + remaining() + " bytes left");
    }
    return n;
  }

  /** Reads a map key: a string, or an integer turned into its decimal string. */
  String key() throws IOException {
    ValueType t = nextType();
    if (t == ValueType.INTEGER) {
      return Long.toString(u.unpackLong());
    }
    if (t != ValueType.STRING) {
      throw fail("expected a string map key, found " + describeType(t));
    }
    return readString(u.unpackRawStringHeader(), MAX_KEY_BYTES, "map key");
  }

  private String readString(int len, int max, String what) throws IOException {
    checkLength(len, max, what);
    byte[] b = new byte[len];
    u.readPayload(b);
    return new String(b, StandardCharsets.UTF_8);
  }

  private void checkLength(long len, long max, String what) throws CheckpointFormatException {
    if (len < 0 || len > remaining()) {
      throw fail(what + " of " + len + " bytes exceeds the " + remaining() + " bytes left");
    }
    if (len > max) {
      throw fail(what + " of " + len + " bytes exceeds the limit of " + max);
    }
  }

  /** Skips one value of any kind without keeping it, checking every length. */
  void skip() throws IOException {
    ValueType t = nextType();
    switch (t) {
      case NIL, BOOLEAN, INTEGER, FLOAT -> u.skipValue();
      case STRING -> skipBytes(u.unpackRawStringHeader(), "string");
      case BINARY -> skipBytes(u.unpackBinaryHeader(), "binary");
      case EXTENSION -> skipBytes(u.unpackExtensionTypeHeader().getLength(), "extension payload");
      case ARRAY -> {
        int n = u.unpackArrayHeader();
        if (n < 0 || n > remaining()) {
          throw fail(
              "array of " + n + " elements cannot fit in the " + remaining() + " bytes left");
        }
        enter();
        for (int i = 0; i < n; i++) {
          skip();
        }
        depth--;
      }
      case MAP -> {
        int n = mapHeader("a map");
        enter();
        for (int i = 0; i < n; i++) {
          skip();
          skip();
        }
        depth--;
      }
    }
  }

  private void enter() throws CheckpointFormatException {
    if (++depth > MAX_DEPTH) {
      throw fail("nesting deeper than " + MAX_DEPTH + " levels");
    }
  }

  private void skipBytes(long n, String what) throws IOException {
    checkLength(n, Long.MAX_VALUE, what);
    while (n > 0) {
      int k = (int) Math.min(n, scratch.length);
      u.readPayload(scratch, 0, k);
      n -= k;
    }
  }

  /**
   * Decodes a subtree: maps become {@link LinkedHashMap}s in file order, chunked-array maps become
   * single arrays, leaves as {@code leaves} says.
   */
  Object readTree(Leaves leaves) throws IOException {
    ValueType t = nextType();
    if (t == ValueType.MAP) {
      int n = mapHeader("a map");
      enter();
      Map<String, Object> map = new LinkedHashMap<>();
      for (int i = 0; i < n; i++) {
        String k = key();
        if (i == 0 && k.equals(CHUNKED_MARKER)) {
          push(k);
          if (nextType() != ValueType.BOOLEAN || !u.unpackBoolean()) {
            throw fail("expected true");
          }
          pop();
          Object whole = readChunked(n - 1);
          depth--;
          return whole;
        }
        if (k.equals(CHUNKED_MARKER)) {
          throw fail("the key " + CHUNKED_MARKER + " must come first in its map");
        }
        push(k);
        if (map.put(k, readTree(leaves)) != null) {
          throw fail("duplicate key");
        }
        pop();
      }
      depth--;
      return map;
    }
    if (t == ValueType.EXTENSION) {
      ExtensionTypeHeader h = u.unpackExtensionTypeHeader();
      byte type = h.getType();
      if (type == EXT_NDARRAY || type == EXT_NPSCALAR) {
        return readNdarray(h.getLength(), leaves);
      }
      if (type == EXT_NATIVE_COMPLEX) {
        throw fail("complex numbers are not supported");
      }
      throw fail("unexpected msgpack extension type " + type + " (expected 1, an ndarray)");
    }
    if (leaves == Leaves.PARAMS) {
      throw fail("expected a float array or a map of parameters, found " + describeType(t));
    }
    return switch (t) {
      case NIL -> {
        u.unpackNil();
        yield null;
      }
      case BOOLEAN -> u.unpackBoolean();
      case INTEGER -> u.unpackLong();
      case FLOAT -> u.unpackDouble();
      case STRING -> readString(u.unpackRawStringHeader(), MAX_STRING_BYTES, "string");
      default -> throw fail("unsupported value of type " + describeType(t));
    };
  }

  /**
   * Decodes the rest of a chunked-array map, whose marker key has been read: {@code shape} is a map
   * of dimensions, {@code chunks} a map of 1-D arrays concatenated in order. When the shape comes
   * first (as Flax writes it) the chunks are read straight into the result.
   */
  private Object readChunked(int entries) throws IOException {
    long[] shape = null;
    float[] data = null;
    List<HostArray> pieces = null;
    for (int i = 0; i < entries; i++) {
      String k = key();
      push(k);
      switch (k) {
        case "shape" -> shape = readChunkedShape();
        case "chunks" -> {
          if (shape != null) {
            data = new float[checkedElements(shape, remaining() / 2)];
            readChunksInto(data, null);
          } else {
            pieces = new ArrayList<>();
            readChunksInto(null, pieces);
          }
        }
        default -> skip();
      }
      pop();
    }
    if (shape == null || (data == null && pieces == null)) {
      throw fail("chunked array without both 'shape' and 'chunks'");
    }
    if (data == null) {
      // Chunks came before the shape: check their total against it, then concatenate.
      long total = 0;
      for (HostArray p : pieces) {
        total += p.data().length;
      }
      long n = checkedElements(shape, Long.MAX_VALUE);
      if (total != n) {
        throw fail(
            "chunks hold " + total + " values, shape " + Arrays.toString(shape) + " needs " + n);
      }
      data = new float[(int) n];
      int at = 0;
      for (HostArray p : pieces) {
        System.arraycopy(p.data(), 0, data, at, p.data().length);
        at += p.data().length;
      }
    }
    return new HostArray(shape, data);
  }

  private long[] readChunkedShape() throws IOException {
    int rank = mapHeader("the chunked array's shape");
    if (rank > MAX_RANK) {
      throw fail("rank " + rank + " exceeds " + MAX_RANK);
    }
    long[] shape = new long[rank];
    for (int i = 0; i < rank; i++) {
      String k = key();
      if (!k.equals(Integer.toString(i))) {
        throw fail("expected shape key '" + i + "', found '" + k + "'");
      }
      if (nextType() != ValueType.INTEGER) {
        throw fail("expected an integer dimension, found " + describeType(nextType()));
      }
      shape[i] = u.unpackLong();
      if (shape[i] < 0) {
        throw fail("negative dimension " + shape[i]);
      }
    }
    return shape;
  }

  /** Reads the {@code chunks} map into {@code dest} (exactly filled) or appends to {@code out}. */
  private void readChunksInto(float[] dest, List<HostArray> out) throws IOException {
    int n = mapHeader("the chunks of a chunked array");
    int at = 0;
    for (int i = 0; i < n; i++) {
      String k = key();
      if (!k.equals(Integer.toString(i))) {
        throw fail("expected chunk key '" + i + "', found '" + k + "'");
      }
      push(k);
      if (nextType() != ValueType.EXTENSION) {
        throw fail("expected an ndarray chunk, found " + describeType(nextType()));
      }
      ExtensionTypeHeader h = u.unpackExtensionTypeHeader();
      if (h.getType() != EXT_NDARRAY) {
        throw fail("expected an ndarray chunk (extension 1), found extension " + h.getType());
      }
      if (dest != null) {
        at += readChunkInto(h.getLength(), dest, at);
      } else {
        HostArray chunk = (HostArray) readNdarray(h.getLength(), Leaves.PARAMS);
        out.add(chunk);
        at += chunk.data().length;
      }
      pop();
    }
    if (dest != null && at != dest.length) {
      throw fail("chunks hold " + at + " values, the shape needs " + dest.length);
    }
  }

  /** The decoded start of an ndarray payload, up to the raw data. */
  private record NdHeader(
      long[] shape, FlaxDtype dtype, int elements, long start, long extLength) {}

  /**
   * Decodes an ndarray extension payload {@code [shape, dtype name, raw bytes]} whose header
   * (announcing {@code extLength} bytes) has been read. Float data is converted to float32.
   */
  private Object readNdarray(long extLength, Leaves leaves) throws IOException {
    NdHeader h = ndHeader(extLength);
    Object result;
    if (h.dtype.isParameterType()) {
      float[] out = new float[h.elements];
      readFloats(h.dtype, h.elements, out, 0);
      result = new HostArray(h.shape, out);
    } else if (leaves == Leaves.PARAMS) {
      throw fail(
          "parameter has dtype "
              + h.dtype.numpyName
              + "; only float32 and bfloat16 parameters are supported");
    } else {
      long nbytes = (long) h.elements * h.dtype.itemSize;
      if (nbytes > MAX_RAW_ARRAY_BYTES) {
        throw fail(h.dtype.numpyName + " array of " + nbytes + " bytes is too large to keep");
      }
      byte[] raw = new byte[(int) nbytes];
      u.readPayload(raw);
      result = new RawArray(h.shape, h.dtype, raw);
    }
    endNdarray(h);
    return result;
  }

  /** Decodes a 1-D float chunk straight into {@code dest[at...]}; returns its length. */
  private int readChunkInto(long extLength, float[] dest, int at) throws IOException {
    NdHeader h = ndHeader(extLength);
    if (!h.dtype.isParameterType()) {
      throw fail("chunk has dtype " + h.dtype.numpyName + "; only float chunks are supported");
    }
    if (h.shape.length != 1) {
      throw fail("chunk of shape " + Arrays.toString(h.shape) + ", expected 1-D");
    }
    if ((long) at + h.elements > dest.length) {
      throw fail("chunks hold more than the " + dest.length + " values of the array's shape");
    }
    readFloats(h.dtype, h.elements, dest, at);
    endNdarray(h);
    return h.elements;
  }

  private NdHeader ndHeader(long extLength) throws IOException {
    checkLength(extLength, Long.MAX_VALUE, "ndarray payload");
    long start = offset();
    if (nextType() != ValueType.ARRAY || u.unpackArrayHeader() != 3) {
      throw fail("ndarray payload is not [shape, dtype, bytes]");
    }
    if (nextType() != ValueType.ARRAY) {
      throw fail("ndarray shape is not an array");
    }
    int rank = u.unpackArrayHeader();
    if (rank < 0 || rank > MAX_RANK) {
      throw fail("ndarray rank " + rank + " exceeds " + MAX_RANK);
    }
    long[] shape = new long[rank];
    for (int i = 0; i < rank; i++) {
      if (nextType() != ValueType.INTEGER) {
        throw fail("ndarray dimension is not an integer");
      }
      shape[i] = u.unpackLong();
      if (shape[i] < 0) {
        throw fail("negative ndarray dimension " + shape[i]);
      }
    }
    ValueType nameType = nextType();
    if (nameType != ValueType.STRING && nameType != ValueType.BINARY) {
      throw fail("ndarray dtype is not a string");
    }
    int nameLen = nameType == ValueType.STRING ? u.unpackRawStringHeader() : u.unpackBinaryHeader();
    String dtypeName = readString(nameLen, MAX_DTYPE_NAME_BYTES, "dtype name");
    FlaxDtype dtype =
        FlaxDtype.fromName(dtypeName).orElseThrow(() -> fail("unknown dtype '" + dtypeName + "'"));
    ValueType dataType = nextType();
    if (dataType != ValueType.BINARY && dataType != ValueType.STRING) {
      throw fail("ndarray data is not a byte string");
    }
    long nbytes = dataType == ValueType.BINARY ? u.unpackBinaryHeader() : u.unpackRawStringHeader();
    int n = checkedElements(shape, Long.MAX_VALUE);
    if (nbytes != (long) n * dtype.itemSize) {
      throw fail(
          "ndarray "
              + dtypeName
              + Arrays.toString(shape)
              + " needs "
              + (long) n * dtype.itemSize
              + " bytes, the payload holds "
              + nbytes);
    }
    if (nbytes > extLength - (offset() - start)) {
      throw fail("ndarray data of " + nbytes + " bytes overruns its extension payload");
    }
    checkLength(nbytes, Long.MAX_VALUE, "ndarray data");
    return new NdHeader(shape, dtype, n, start, extLength);
  }

  private void endNdarray(NdHeader h) throws CheckpointFormatException {
    if (offset() - h.start != h.extLength) {
      throw fail(
          "ndarray payload is " + (offset() - h.start) + " bytes, its header says " + h.extLength);
    }
  }

  private void readFloats(FlaxDtype dtype, int n, float[] out, int at) throws IOException {
    int item = dtype.itemSize;
    int done = 0;
    while (done < n) {
      int count = Math.min(n - done, scratch.length / item);
      u.readPayload(scratch, 0, count * item);
      ByteBuffer b = ByteBuffer.wrap(scratch, 0, count * item).order(ByteOrder.LITTLE_ENDIAN);
      if (dtype == FlaxDtype.FLOAT32) {
        b.asFloatBuffer().get(out, at + done, count);
      } else {
        // bfloat16 is the upper half of a float32.
        for (int i = 0; i < count; i++) {
          out[at + done + i] = Float.intBitsToFloat((b.getShort() & 0xffff) << 16);
        }
      }
      done += count;
    }
  }

  /** Product of dimensions, checked to fit a Java array and {@code maxElements}. */
  private int checkedElements(long[] shape, long maxElements) throws CheckpointFormatException {
    long n = 1;
    for (long d : shape) {
      if (d != 0 && n > MAX_ELEMENTS / d) {
        throw fail("shape " + Arrays.toString(shape) + " exceeds the largest Java array");
      }
      n *= d;
    }
    if (n > MAX_ELEMENTS || n > maxElements) {
      throw fail(
          "shape " + Arrays.toString(shape) + " holds more values than the bytes left could");
    }
    return (int) n;
  }

  /**
   * Reads a step counter: a native integer, a whole float, a one-element integer ndarray or numpy
   * scalar, or nil.
   */
  OptionalLong readStep() throws IOException {
    ValueType t = nextType();
    switch (t) {
      case NIL -> {
        u.unpackNil();
        return OptionalLong.empty();
      }
      case INTEGER -> {
        return OptionalLong.of(u.unpackLong());
      }
      case FLOAT -> {
        double v = u.unpackDouble();
        if (v != Math.rint(v)) {
          throw fail("step is not a whole number: " + v);
        }
        return OptionalLong.of((long) v);
      }
      case EXTENSION -> {
        Object v = readTree(Leaves.ANY);
        if (v instanceof RawArray r && r.size() == 1 && r.dtype().kind != FlaxDtype.Kind.COMPLEX) {
          return OptionalLong.of(r.longAt(0));
        }
        if (v instanceof HostArray a
            && a.data().length == 1
            && a.data()[0] == Math.rint(a.data()[0])) {
          return OptionalLong.of((long) a.data()[0]);
        }
        throw fail("expected a one-element integer step, found " + ParamTree.describe(v));
      }
      default -> throw fail("expected an integer step, found " + describeType(t));
    }
  }

  private static String describeType(ValueType t) {
    return switch (t) {
      case NIL -> "nil";
      case BOOLEAN -> "a boolean";
      case INTEGER -> "an integer";
      case FLOAT -> "a float";
      case STRING -> "a string";
      case BINARY -> "binary data";
      case ARRAY -> "a msgpack array";
      case MAP -> "a map";
      case EXTENSION -> "an extension value";
    };
  }
}
