package dev.tokenlearner.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void write_existingFile_replacedWithNewContentAndPlainPermissions(@TempDir Path tmp)
      throws IOException {
    Path plain = Files.writeString(tmp.resolve("plain.txt"), "x");
    Path file =
        Files.writeString(Files.createDirectories(tmp.resolve("out")).resolve("t.csv"), "old");

    AtomicFile.write(file, out -> out.write("new\n".getBytes(StandardCharsets.UTF_8)));

    assertEquals("new\n", Files.readString(file));
    assertEquals(List.of("t.csv"), names(file.getParent()));
    assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(file));
  }

  @Test
  void write_bodyFails_targetUnchangedAndNoTemporaryLeft(@TempDir Path tmp) throws IOException {
    Path file = Files.writeString(tmp.resolve("maps.png"), "before");

    assertThrows(
        IOException.class,
        () ->
            AtomicFile.write(
                file,
                out -> {
                  out.write(1);
                  throw new IOException("disk full");
                }));

    assertEquals("before", Files.readString(file));
    assertEquals(List.of("maps.png"), names(tmp));
  }
}
