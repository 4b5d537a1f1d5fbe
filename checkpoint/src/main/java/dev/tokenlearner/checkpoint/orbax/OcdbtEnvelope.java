package dev.tokenlearner.checkpoint.orbax;

import dev.tokenlearner.checkpoint.CheckpointFormatException;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The frame around every encoded OCDBT structure (manifest, version tree node, B+tree node).
 *
 * <p>Layout: magic ({@code uint32} big-endian), total length ({@code uint64} little-endian), format
 * version (varint, must be 0), compression (varint: 0 none, 1 zstd), the body, and a CRC-32C
 * ({@code uint32} little-endian) of everything before it.
 */
final class OcdbtEnvelope {

  static final int MANIFEST_MAGIC = 0x0cdb3a2a;
  static final int VERSION_TREE_NODE_MAGIC = 0x0cdb1234;
  static final int BTREE_NODE_MAGIC = 0x0cdb20de;

  /** Largest decoded body accepted; TensorStore's own default node limit is 100 MB. */
  static final int MAX_DECODED_BYTES = 256 << 20;

  private static final int MIN_LENGTH = 4 + 8 + 4;

  private OcdbtEnvelope() {}

  /**
   * Checks the frame of {@code encoded} and returns its decompressed body.
   *
   * @param magic the magic value the structure must start with
   * @param file the file it was read from, for messages
   * @param what what it is (e.g. "B+tree node at offset 12"), for messages
   */
  static byte[] open(byte[] encoded, int magic, Path file, String what)
      throws CheckpointFormatException {
    if (encoded.length < MIN_LENGTH) {
      throw new CheckpointFormatException(
          file, what + ": " + encoded.length + " bytes, shorter than the minimum " + MIN_LENGTH);
    }
    ByteCursor c = new ByteCursor(encoded, file, what);
    int found = Integer.reverseBytes(c.i32le("magic"));
    if (found != magic) {
      throw new CheckpointFormatException(
          file, String.format("%s: expected magic 0x%08x, found 0x%08x", what, magic, found));
    }
    long length = c.u64le("length");
    if (length != encoded.length) {
      throw new CheckpointFormatException(
          file,
          what
              + ": header says "
              + Long.toUnsignedString(length)
              + " bytes, found "
              + encoded.length);
    }
    int crcAt = encoded.length - 4;
    CRC32C crc = new CRC32C();
    crc.update(encoded, 0, crcAt);
    ByteCursor tail = new ByteCursor(encoded, file, what);
    tail.skip(crcAt, "body");
    int stored = tail.i32le("crc32c");
    if ((int) crc.getValue() != stored) {
      throw new CheckpointFormatException(
          file,
          String.format(
              "%s: CRC-32C mismatch, stored 0x%08x, computed 0x%08x",
              what, stored, (int) crc.getValue()));
    }
    long version = c.varint64("format version");
    if (version != 0) {
      throw new CheckpointFormatException(
          file, what + ": format version " + Long.toUnsignedString(version) + ", only 0 is known");
    }
    long compression = c.varint64("compression format");
    int bodyStart = c.position();
    if (bodyStart > crcAt) {
      throw new CheckpointFormatException(file, what + ": header runs into the checksum");
    }
    if (compression == 0) {
      byte[] body = new byte[crcAt - bodyStart];
      System.arraycopy(encoded, bodyStart, body, 0, body.length);
      return body;
    }
    if (compression == 1) {
      return ZstdFrames.decompress(
          encoded, bodyStart, crcAt - bodyStart, MAX_DECODED_BYTES, file, what);
    }
    throw new CheckpointFormatException(
        file,
        what
            + ": compression format "
            + Long.toUnsignedString(compression)
            + ", expected 0 (none) or 1 (zstd)");
  }
}
