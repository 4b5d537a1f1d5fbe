package dev.tokenlearner.checkpoint.orbax;

import dev.tokenlearner.checkpoint.CheckpointFormatException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A read position in a byte array where every read is checked against the bytes present.
 *
 * <p>Failures raise {@link CheckpointFormatException} naming the file, the structure being read,
 * the field and the byte position, so a damaged file says where it is damaged.
 */
final class ByteCursor {

  private final byte[] buf;
  private final int end;
  private final Path file;
  private final String what;
  private int pos;

  /**
   * @param buf the bytes to read
   * @param file the file they came from, for messages
   * @param what the structure they hold (e.g. "b-tree node at offset 0"), for messages
   */
  ByteCursor(byte[] buf, Path file, String what) {
    this.buf = buf;
    this.end = buf.length;
    this.file = file;
    this.what = what;
  }

  /** Bytes left to read. */
  int remaining() {
    return end - pos;
  }

  /** The current position. */
  int position() {
    return pos;
  }

  /** Reads one unsigned byte. */
  int u8(String field) throws CheckpointFormatException {
    need(1, field);
    return buf[pos++] & 0xff;
  }

  /** Reads an unsigned LEB128 varint of at most 64 bits (returned as the raw 64-bit pattern). */
  long varint64(String field) throws CheckpointFormatException {
    long value = 0;
    int start = pos;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= end) {
        throw fail(field, "varint at byte " + start + " runs past the end of the data");
      }
      int b = buf[pos++] & 0xff;
      if (shift == 63 && b > 1) {
        throw fail(field, "varint at byte " + start + " does not fit in 64 bits");
      }
      value |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw fail(field, "varint at byte " + start + " does not fit in 64 bits");
  }

  /** Reads a varint that must lie in {@code [0, max]}. */
  long varint(String field, long max) throws CheckpointFormatException {
    int start = pos;
    long v = varint64(field);
    if (v < 0 || v > max) {
      throw fail(
          field,
          "value " + Long.toUnsignedString(v) + " at byte " + start + " exceeds the limit " + max);
    }
    return v;
  }

  /**
   * Reads an element count; each element takes at least {@code minBytesEach} more bytes, so a count
   * larger than the rest of the data allows is rejected before anything is allocated.
   */
  int count(String field, int max, int minBytesEach) throws CheckpointFormatException {
    int start = pos;
    long n = varint(field, max);
    if (n * minBytesEach > remaining()) {
      throw fail(
          field,
          "count "
              + n
              + " at byte "
              + start
              + " needs at least "
              + n * minBytesEach
              + " more bytes, only "
              + remaining()
              + " left");
    }
    return (int) n;
  }

  /** Reads a little-endian 32-bit integer. */
  int i32le(String field) throws CheckpointFormatException {
    need(4, field);
    int v =
        (buf[pos] & 0xff)
            | (buf[pos + 1] & 0xff) << 8
            | (buf[pos + 2] & 0xff) << 16
            | (buf[pos + 3] & 0xff) << 24;
    pos += 4;
    return v;
  }

  /** Reads a little-endian 64-bit integer. */
  long u64le(String field) throws CheckpointFormatException {
    long lo = i32le(field) & 0xffffffffL;
    long hi = i32le(field) & 0xffffffffL;
    return lo | hi << 32;
  }

  /** Reads {@code n} raw bytes. */
  byte[] bytes(int n, String field) throws CheckpointFormatException {
    need(n, field);
    byte[] out = Arrays.copyOfRange(buf, pos, pos + n);
    pos += n;
    return out;
  }

  /** Skips {@code n} bytes. */
  void skip(int n, String field) throws CheckpointFormatException {
    need(n, field);
    pos += n;
  }

  /** Fails unless every byte was read. */
  void expectEnd() throws CheckpointFormatException {
    if (pos != end) {
      throw fail("end", (end - pos) + " unexpected trailing bytes after byte " + pos);
    }
  }

  /** An error about {@code field} of this structure. */
  CheckpointFormatException fail(String field, String problem) {
    return new CheckpointFormatException(file, what + ", " + field + ": " + problem);
  }

  private void need(int n, String field) throws CheckpointFormatException {
    if (n < 0 || n > end - pos) {
      throw fail(
          field, "needs " + n + " bytes at byte " + pos + " but only " + (end - pos) + " are left");
    }
  }
}
