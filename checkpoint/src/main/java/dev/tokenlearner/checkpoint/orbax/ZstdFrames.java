package dev.tokenlearner.checkpoint.orbax;

import com.github.luben.zstd.ZstdInputStream;
import dev.tokenlearner.checkpoint.CheckpointFormatException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;

/** Bounded zstd decompression of whole in-memory frames. */
final class ZstdFrames {

  private ZstdFrames() {}

  /**
   * Decompresses the zstd data in {@code src[off, off+len)}.
   *
   * <p>Streams rather than trusting a content size in the frame header: TensorStore writes OCDBT
   * frames without one, and a hostile header could claim any size. Output past {@code maxOut} bytes
   * is an error.
   *
   * @param file the file the bytes came from, for messages
   * @param what what the bytes are, for messages
   */
  static byte[] decompress(byte[] src, int off, int len, int maxOut, Path file, String what)
      throws CheckpointFormatException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(maxOut, Math.max(64, len * 4)));
    try (ZstdInputStream in = new ZstdInputStream(new ByteArrayInputStream(src, off, len))) {
      byte[] buf = new byte[64 * 1024];
      int n;
      while ((n = in.read(buf)) > 0) {
        if (out.size() + (long) n > maxOut) {
          throw new CheckpointFormatException(
              file, what + ": zstd data decompresses to more than " + maxOut + " bytes");
        }
        out.write(buf, 0, n);
      }
    } catch (CheckpointFormatException e) {
      throw e;
    } catch (IOException | RuntimeException e) {
      // zstd-jni reports corrupt or truncated frames as IOException or ZstdException.
      throw new CheckpointFormatException(
          file, what + ": invalid zstd data (" + e.getMessage() + ")", e);
    }
    return out.toByteArray();
  }
}
