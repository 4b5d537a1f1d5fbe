package dev.tokenlearner.train.data;

import dev.tokenlearner.checkpoint.npy.Npy;
import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes small {@code .npz} files for tests, as {@code np.savez} does. */
public final class NpzFiles {

  private NpzFiles() {}

  /**
   * Writes float32 and int32 arrays into one archive.
   *
   * @param file the archive
   * @param floats float32 arrays by name
   * @param ints int32 vectors by name
   * @throws IOException if the file cannot be written
   */
  public static void write(Path file, Map<String, HostArray> floats, Map<String, int[]> ints)
      throws IOException {
    try (OutputStream os = Files.newOutputStream(file);
        ZipOutputStream zip = new ZipOutputStream(os)) {
      for (Map.Entry<String, HostArray> e : floats.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
        Npy.write(zip, e.getValue());
        zip.closeEntry();
      }
      for (Map.Entry<String, int[]> e : ints.entrySet()) {
        zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
        zip.write(int32Npy(e.getValue()));
        zip.closeEntry();
      }
    }
  }

  /** A version-1 {@code .npy} of an int32 vector. */
  static byte[] int32Npy(int[] v) {
    String dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (" + v.length + ",), }";
    int unpadded = 10 + dict.length() + 1;
    int pad = (64 - unpadded % 64) % 64;
    String header = dict + " ".repeat(pad) + "\n";
    ByteBuffer b =
        ByteBuffer.allocate(10 + header.length() + 4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
    b.putShort((short) header.length());
    b.put(header.getBytes(StandardCharsets.US_ASCII));
    for (int x : v) {
      b.putInt(x);
    }
    return b.array();
  }
}
