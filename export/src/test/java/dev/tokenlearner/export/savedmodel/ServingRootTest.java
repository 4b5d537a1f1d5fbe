package dev.tokenlearner.export.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServingRootTest {

  /** A stand-in SavedModel: what publish checks and copies. */
  private static Path fakeModel(Path dir, String content) throws IOException {
    Files.createDirectories(dir.resolve("variables"));
    Files.writeString(dir.resolve("saved_model.pb"), content);
    Files.writeString(dir.resolve("variables/variables.index"), content + "-index");
    return dir;
  }

  @Test
  void publish_twice_writesVersionsOneAndTwoWithNothingElseLeft(@TempDir Path tmp)
      throws IOException {
    Path root = tmp.resolve("models/tl");
    assertEquals(OptionalLong.empty(), ServingRoot.newestVersion(root));
    Path v1 = ServingRoot.publish(root, fakeModel(tmp.resolve("a"), "A"));
    Path v2 = ServingRoot.publish(root, fakeModel(tmp.resolve("b"), "B"));
    assertEquals(root.toAbsolutePath().resolve("1"), v1);
    assertEquals(root.toAbsolutePath().resolve("2"), v2);
    assertEquals("B-index", Files.readString(v2.resolve("variables/variables.index")));
    try (Stream<Path> s = Files.list(root)) {
      assertEquals(List.of("1", "2"), s.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertEquals(v2, ServingRoot.resolveModel(root.toAbsolutePath()));
    assertEquals(v1, ServingRoot.resolveModel(v1));
  }

  @Test
  void nextVersion_gapsAndOtherFolders_followHighestNumber(@TempDir Path tmp) throws IOException {
    Files.createDirectories(tmp.resolve("3"));
    Files.createDirectories(tmp.resolve("10"));
    Files.createDirectories(tmp.resolve("tmp-99x"));
    Files.writeString(tmp.resolve("42"), "a file, not a version");
    assertEquals(tmp.resolve("11"), ServingRoot.nextVersion(tmp));
  }

  @Test
  void resolveModel_neitherModelNorRoot_throwsNamingDirectory(@TempDir Path tmp) {
    IOException e = assertThrows(IOException.class, () -> ServingRoot.resolveModel(tmp));
    assertTrue(e.getMessage().contains(tmp.toString()), e.getMessage());
  }

  @Test
  void publish_notASavedModel_writesNothing(@TempDir Path tmp) throws IOException {
    Path root = tmp.resolve("root");
    assertThrows(IOException.class, () -> ServingRoot.publish(root, tmp));
    assertTrue(Files.notExists(root));
  }
}
