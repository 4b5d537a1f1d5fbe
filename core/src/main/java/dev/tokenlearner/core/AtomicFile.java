package dev.tokenlearner.core;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file whole or not at all: to a hidden temporary file beside it, then renamed over it, so
 * a reader (or a run killed half-way) never sees a half-written file. The file gets the usual
 * permissions of new files, unlike {@link Files#createTempFile}'s owner-only ones.
 */
public final class AtomicFile {

  /** What goes into the file. */
  @FunctionalInterface
  public interface Body {
    /**
     * Writes the content.
     *
     * @param out the temporary file; closed by the caller
     * @throws IOException if writing fails
     */
    void writeTo(OutputStream out) throws IOException;
  }

  private AtomicFile() {}

  /**
   * Writes {@code file}, replacing it if it exists; creates missing parent folders.
   *
   * @param file the target
   * @param body writes the content
   * @throws IOException if writing or renaming fails; the target is then unchanged
   */
  public static void write(Path file, Body body) throws IOException {
    Path target = file.toAbsolutePath();
    Files.createDirectories(target.getParent());
    Path tmp =
        target.resolveSibling(
            "."
                + target.getFileName()
                + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + ".tmp");
    try {
      try (OutputStream out =
          Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        body.writeTo(out);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
