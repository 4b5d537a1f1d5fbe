package dev.tokenlearner.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointsTest {

  @TempDir Path dir;

  private static void save(Path dir, long step, float value) throws IOException {
    TreeMap<String, HostArray> params = new TreeMap<>();
    params.put("w", new HostArray(new long[] {1}, new float[] {value}));
    FlaxMsgpackWriter.save(dir, FlaxTrainState.of(step, params, Map.of(), new int[2]), 100);
  }

  @Test
  void read_msgpackFile_dispatchesToFlaxReader() throws IOException {
    Checkpoint c = Checkpoints.read(Fixtures.checkpoint("tiny_v11"));

    assertEquals(FlaxMsgpackReader.FORMAT, c.format());
  }

  @Test
  void read_npzFile_dispatchesToNpzReader() throws IOException {
    Checkpoint c = Checkpoints.read(Fixtures.set("small_b16like").resolve("vit_npz_naming.npz"));

    assertEquals(VitNpzReader.FORMAT, c.format());
  }

  @Test
  void read_fixtureFolder_picksItsCheckpointFile() throws IOException {
    Checkpoint c = Checkpoints.read(Fixtures.set("small_b16like"));

    assertEquals(Fixtures.checkpoint("small_b16like"), c.source());
  }

  @Test
  void read_directory_picksLargestStepNaturally() throws IOException {
    save(dir, 2, 2f);
    save(dir, 10, 10f);
    save(dir, 9, 9f);
    Files.writeString(dir.resolve("checkpoint_tmp"), "partial");
    Files.writeString(dir.resolve("checkpoint_11_tmp"), "partial");
    Files.createDirectories(dir.resolve("checkpoint_12_gda"));

    Checkpoint c = Checkpoints.read(dir);

    assertEquals(dir.resolve("checkpoint_10"), c.source());
    assertEquals(10f, c.params().get("w").data()[0]);
    assertEquals(OptionalLong.of(10), Checkpoints.latestStep(dir));
    assertEquals(Optional.of(dir.resolve("checkpoint_10")), Checkpoints.latest(dir));
  }

  @Test
  void read_nestedCheckpointDirectory_readsRecursively() throws IOException {
    save(dir.resolve("checkpoint_5"), 3, 3f);
    save(dir.resolve("checkpoint_5"), 4, 4f);
    save(dir, 1, 1f);

    Checkpoint c = Checkpoints.read(dir);

    assertEquals(dir.resolve("checkpoint_5").resolve("checkpoint_4"), c.source());
  }

  @Test
  void read_missingPath_throwsNamingIt() {
    Path missing = dir.resolve("nope");

    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> Checkpoints.read(missing));
    assertEquals(missing, e.file());
    assertTrue(e.getMessage().contains("no such file"), e.getMessage());
  }

  @Test
  void read_emptyDirectory_throwsSayingWhatWasExpected() {
    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> Checkpoints.read(dir));
    assertTrue(e.getMessage().contains("checkpoint_<step>"), e.getMessage());
  }

  @Test
  void read_emptyFile_throws() throws IOException {
    Path f = Files.createFile(dir.resolve("checkpoint_3"));

    CheckpointFormatException e =
        assertThrows(CheckpointFormatException.class, () -> Checkpoints.read(f));
    assertTrue(e.getMessage().contains("empty"), e.getMessage());
  }

  @Test
  void read_orbaxDirectories_dispatchedByMarkerFiles() throws IOException {
    Checkpoint ocdbt = Checkpoints.read(Fixtures.set("scenic_orbax_ocdbt"));
    Checkpoint zarr = Checkpoints.read(Fixtures.set("scenic_orbax_zarr"));

    assertEquals("orbax-ocdbt", ocdbt.format());
    assertEquals("orbax-zarr", zarr.format());
    assertEquals(
        List.copyOf(Fixtures.manifest("scenic_orbax_ocdbt").keySet()),
        List.copyOf(ocdbt.params().keySet()));
  }

  @Test
  void latest_missingDirectory_isEmpty() throws IOException {
    assertEquals(Optional.empty(), Checkpoints.latest(dir.resolve("new-run")));
    assertEquals(OptionalLong.empty(), Checkpoints.latestStep(dir.resolve("new-run")));
  }

  @Test
  void latest_onlyNonStepNames_isEmpty() throws IOException {
    Files.writeString(dir.resolve("checkpoint_tmp"), "x");
    Files.writeString(dir.resolve("checkpoint_best"), "x");

    assertEquals(Optional.empty(), Checkpoints.latest(dir));
  }

  @Test
  void latest_givenAFile_throws() throws IOException {
    Path f = Files.writeString(dir.resolve("file"), "x");

    assertThrows(CheckpointFormatException.class, () -> Checkpoints.latest(f));
  }

  @Test
  void step_parsesOnlyCheckpointNumberNames() {
    assertEquals(OptionalLong.of(1005), Checkpoints.step(Path.of("a/checkpoint_1005")));
    assertEquals(OptionalLong.empty(), Checkpoints.step(Path.of("checkpoint_tmp")));
    assertEquals(OptionalLong.empty(), Checkpoints.step(Path.of("checkpoint_3_gda")));
    assertEquals(
        OptionalLong.empty(), Checkpoints.step(Path.of("checkpoint_99999999999999999999999")));
  }
}
