package dev.tokenlearner.checkpoint;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenlearner.core.FuzzBounds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the Flax msgpack reader: any byte string either reads or fails with a {@link
 * CheckpointFormatException}, within the allocation bound of {@link FuzzBounds}.
 *
 * <p>Seeds (from the fixtures, shrunk) are in {@code FlaxMsgpackFuzzTestInputs/}; {@code
 * JAZZER_FUZZ=1} fuzzes instead of replaying them.
 */
class FlaxMsgpackFuzzTest {

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void read_anyBytes_checkpointOrTypedError(byte[] data) throws Exception {
    Path dir = FuzzBounds.scratch("msgpack");
    try {
      Path file = Files.write(dir.resolve("checkpoint_1"), data);
      FuzzBounds.withinBound(
          data.length,
          () -> {
            try {
              FlaxMsgpackReader.read(file);
            } catch (CheckpointFormatException expected) {
              // a typed refusal is the right outcome for corrupt input
            }
            try {
              FlaxMsgpackReader.readTrainState(file);
            } catch (CheckpointFormatException expected) {
              // as above
            }
          });
    } finally {
      FuzzBounds.delete(dir);
    }
  }
}
