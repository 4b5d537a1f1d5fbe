package dev.tokenlearner.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A disk that fills up while a checkpoint is written: the save fails with a message naming the
 * checkpoint and the cause, and the previous checkpoint stays readable. The full disk is Linux's
 * {@code /dev/full} (every write fails with ENOSPC), linked where the writer stages its file.
 */
class CheckpointDiskFullTest {

  private static final Path DEV_FULL = Path.of("/dev/full");

  private static FlaxTrainState state(long step, float value) {
    TreeMap<String, HostArray> params = new TreeMap<>();
    params.put("Dense_0/kernel", new HostArray(new long[] {2, 2}, new float[] {value, 1, 2, 3}));
    Map<String, Object> opt = new LinkedHashMap<>();
    opt.put("count", (int) step);
    return new FlaxTrainState(step, params, opt, new int[] {0, 42}, null);
  }

  @Test
  void save_diskFullWhileWriting_failsNamingCheckpointAndKeepsPrevious(@TempDir Path dir)
      throws IOException {
    assumeTrue(Files.isWritable(DEV_FULL), "needs /dev/full");
    FlaxMsgpackWriter.save(dir, state(1, 0.5f), 3);
    Files.createSymbolicLink(dir.resolve(FlaxMsgpackWriter.TMP_NAME), DEV_FULL);

    IOException e =
        assertThrows(IOException.class, () -> FlaxMsgpackWriter.save(dir, state(2, 7f), 3));

    String msg = e.getMessage();
    assertTrue(msg.contains(dir.resolve("checkpoint_2").toString()), msg);
    assertTrue(msg.contains("No space left on device"), msg);
    assertTrue(msg.contains("unchanged"), msg);
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(
          List.of("checkpoint_1"), files.map(p -> p.getFileName().toString()).sorted().toList());
    }
    FlaxTrainState previous = FlaxMsgpackReader.readTrainState(dir.resolve("checkpoint_1"));
    assertEquals(1, previous.step());
    assertArrayEquals(new float[] {0.5f, 1, 2, 3}, previous.params().get("Dense_0/kernel").data());
  }
}
