package dev.tokenlearner.export.savedmodel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a writer killed part way leaves beside its target, and how the next export or load cleans it
 * up. The kill points are laid out directly: a stage of a dead process, and the target moved aside
 * by a process that died before moving the new model in (a window too short to hit by killing at
 * random, which {@code ExportCrashSafetyTest} does).
 */
class StagedDirectoryRecoveryTest {

  /** The id of a process that has exited. */
  private static long deadPid() throws Exception {
    Process p = new ProcessBuilder("true").start();
    p.waitFor();
    return p.pid();
  }

  private static Path fakeModel(Path dir, String content) throws IOException {
    Files.createDirectories(dir.resolve("variables"));
    Files.writeString(dir.resolve("saved_model.pb"), content);
    return dir;
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void recover_targetMovedAsideByDeadWriter_movesItBackAndDropsStage(@TempDir Path tmp)
      throws Exception {
    long dead = deadPid();
    Path target = tmp.resolve("model");
    fakeModel(tmp.resolve(".model.old-" + dead + "-123"), "previous");
    fakeModel(tmp.resolve(".model.tmp-" + dead + "-456"), "half-written");

    assertTrue(StagedDirectory.recover(target));

    assertEquals(List.of("model"), names(tmp));
    assertEquals("previous", Files.readString(target.resolve("saved_model.pb")));
  }

  @Test
  void recover_targetPresentWithDeadWritersLeftovers_deletesThemKeepsTarget(@TempDir Path tmp)
      throws Exception {
    long dead = deadPid();
    Path target = fakeModel(tmp.resolve("model"), "current");
    fakeModel(tmp.resolve(".model.old-" + dead + "-1"), "replaced");
    fakeModel(tmp.resolve(".model.tmp-" + dead + "-2"), "half-written");

    assertFalse(StagedDirectory.recover(target));

    assertEquals(List.of("model"), names(tmp));
    assertEquals("current", Files.readString(target.resolve("saved_model.pb")));
  }

  @Test
  void recover_leftoversOfLiveWriter_leftAlone(@TempDir Path tmp) throws Exception {
    long live = ProcessHandle.current().pid();
    Path target = tmp.resolve("model");
    fakeModel(tmp.resolve(".model.old-" + live + "-1"), "being replaced");
    fakeModel(tmp.resolve(".model.tmp-" + live + "-2"), "being written");
    fakeModel(tmp.resolve(".other.tmp-1-3"), "another target's");

    assertFalse(StagedDirectory.recover(target));

    assertEquals(
        List.of(".model.old-" + live + "-1", ".model.tmp-" + live + "-2", ".other.tmp-1-3"),
        names(tmp));
  }

  @Test
  void load_targetMovedAsideByDeadWriter_loadsThePreviousModel(@TempDir Path tmp) throws Exception {
    Path exported = ServingFixture.export(tmp.resolve("exported"));
    Path target = tmp.resolve("model");
    Files.move(exported, tmp.resolve(".model.old-" + deadPid() + "-9"));

    try (ServingModel m = ServingModel.load(target)) {
      assertTrue(m.signatures().contains(Signatures.SERVING_DEFAULT));
    }
    assertEquals(List.of("model"), names(tmp));
  }
}
