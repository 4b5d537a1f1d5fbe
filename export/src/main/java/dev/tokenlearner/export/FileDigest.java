package dev.tokenlearner.export;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** SHA-256 of a checkpoint, recorded in an export's provenance. */
public final class FileDigest {

  private FileDigest() {}

  /**
   * The SHA-256 of a file, or of a directory tree: every regular file in sorted relative-path order
   * contributes its path (UTF-8, {@code /}-separated, NUL-terminated) then its bytes, so the value
   * changes if any file is renamed, added, removed or changed.
   *
   * @param path a file or directory
   * @return lowercase hex, 64 characters
   * @throws IOException if something cannot be read
   */
  public static String sha256(Path path) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
    if (Files.isDirectory(path)) {
      List<Path> files;
      try (Stream<Path> walk = Files.walk(path)) {
        files = walk.filter(Files::isRegularFile).sorted().toList();
      }
      for (Path f : files) {
        String rel = path.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/");
        md.update(rel.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
        update(md, f);
      }
    } else {
      update(md, path);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void update(MessageDigest md, Path file) throws IOException {
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
  }
}
