package dev.tokenlearner.checkpoint.npy;

import dev.tokenlearner.core.HostArray;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads a numpy {@code .npz} archive ({@code np.savez} or {@code np.savez_compressed}: a zip of
 * {@code .npy} arrays) as named arrays, keeping each array's stored dtype so callers can insist on
 * integers where they need them.
 */
public final class Npz {

  private static final String NPY_SUFFIX = ".npy";
  // Deflate cannot expand data more than about 1032:1; a larger claimed size is a corrupt entry.
  private static final long MAX_DEFLATE_RATIO = 1032;

  private Npz() {}

  /**
   * One array of the archive.
   *
   * @param dtype the dtype it was stored with
   * @param array its values, converted to float32 (exact for integers below 2^24)
   */
  public record Entry(NpyDtype dtype, HostArray array) {

    /** Checks the fields. */
    public Entry {
      Objects.requireNonNull(dtype, "dtype");
      Objects.requireNonNull(array, "array");
    }
  }

  /**
   * Reads every {@code .npy} entry of an archive.
   *
   * @param file the {@code .npz} file
   * @return the arrays by name (the entry name without {@code .npy}), in archive order
   * @throws NpyFormatException if the file is not a zip of {@code .npy} arrays or an array is
   *     corrupt or of an unsupported dtype
   * @throws IOException if the file cannot be read
   */
  /**
   * Lists a zip's entries. The JDK decodes entry names as UTF-8 while listing and reports a name
   * that is not valid UTF-8 as an {@link IllegalArgumentException}; this reports it as a format
   * error naming the file.
   *
   * @param zip the open zip
   * @param file its path, for messages
   * @return the entries in central-directory order
   * @throws NpyFormatException if an entry name is not valid UTF-8
   */
  public static List<ZipEntry> entries(ZipFile zip, Path file) throws NpyFormatException {
    List<ZipEntry> out = new ArrayList<>();
    try {
      Enumeration<? extends ZipEntry> e = zip.entries();
      while (e.hasMoreElements()) {
        out.add(e.nextElement());
      }
    } catch (IllegalArgumentException e) {
      throw new NpyFormatException(
          file.toString(), "a zip entry name is not valid UTF-8 (" + e.getMessage() + ")");
    }
    return out;
  }

  public static Map<String, Entry> read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NpyFormatException(file.toString(), "not a regular file");
    }
    Map<String, Entry> out = new LinkedHashMap<>();
    try (ZipFile zip = new ZipFile(file.toFile())) {
      for (ZipEntry z : entries(zip, file)) {
        String name = z.getName();
        if (z.isDirectory() || !name.endsWith(NPY_SUFFIX)) {
          continue;
        }
        String source = file + ":" + name;
        long size = z.getSize();
        long compressed = z.getCompressedSize();
        if (size < 0 || compressed < 0 || size > compressed * MAX_DEFLATE_RATIO + 1024) {
          throw new NpyFormatException(
              source, "implausible entry size " + size + " (compressed " + compressed + ")");
        }
        try (InputStream in = zip.getInputStream(z)) {
          NpyHeader h = Npy.readHeader(in, size, source);
          HostArray a = Npy.readData(in, h, size, source);
          out.put(name.substring(0, name.length() - NPY_SUFFIX.length()), new Entry(h.dtype(), a));
        } catch (ZipException | EOFException e) {
          // The inflater reports a corrupt or cut-off entry as these.
          throw new NpyFormatException(source, "corrupt compressed entry (" + e.getMessage() + ")");
        }
      }
    } catch (ZipException | EOFException e) {
      // ZipFile reports a cut-off central directory as EOFException.
      throw new NpyFormatException(
          file.toString(),
          "not a readable zip (.npz) file: "
              + (e.getMessage() == null ? "it ends early" : e.getMessage()));
    }
    if (out.isEmpty()) {
      throw new NpyFormatException(file.toString(), "expected .npy entries in the zip, found none");
    }
    return Collections.unmodifiableMap(out);
  }
}
