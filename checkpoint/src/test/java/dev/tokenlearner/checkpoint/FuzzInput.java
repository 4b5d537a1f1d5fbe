package dev.tokenlearner.checkpoint;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * Splits one fuzz input into several files: each part but the last is prefixed by its length as two
 * big-endian bytes; the last part is the rest. Short inputs give empty trailing parts. Seeds are
 * made with {@link #join}.
 */
public final class FuzzInput {

  private FuzzInput() {}

  /**
   * Splits {@code data} into {@code n} parts.
   *
   * @param data the fuzz input
   * @param n the number of parts
   * @return exactly {@code n} parts
   */
  public static byte[][] split(byte[] data, int n) {
    byte[][] out = new byte[n][];
    int at = 0;
    for (int i = 0; i < n - 1; i++) {
      int len = 0;
      if (at + 2 <= data.length) {
        len = ((data[at] & 0xff) << 8) | (data[at + 1] & 0xff);
        at += 2;
      } else {
        at = data.length;
      }
      int end = Math.min(data.length, at + len);
      out[i] = Arrays.copyOfRange(data, at, end);
      at = end;
    }
    out[n - 1] = Arrays.copyOfRange(data, at, data.length);
    return out;
  }

  /**
   * The inverse of {@link #split}: joins parts (all but the last shorter than 65536 bytes).
   *
   * @param parts the parts
   * @return one input
   */
  public static byte[] join(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < parts.length; i++) {
      if (i < parts.length - 1) {
        if (parts[i].length > 0xffff) {
          throw new IllegalArgumentException("part " + i + " is longer than 65535 bytes");
        }
        out.write(parts[i].length >> 8);
        out.write(parts[i].length & 0xff);
      }
      out.write(parts[i], 0, parts[i].length);
    }
    return out.toByteArray();
  }
}
