package dev.tokenlearner.checkpoint;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenlearner.checkpoint.npy.NpyFormatException;
import dev.tokenlearner.core.FuzzBounds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the ViT {@code .npz} reader (a zip of {@code .npy} entries): any byte string either reads
 * or fails with a typed checkpoint error, within the allocation bound of {@link FuzzBounds}.
 */
class VitNpzFuzzTest {

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void read_anyBytes_checkpointOrTypedError(byte[] data) throws Exception {
    Path dir = FuzzBounds.scratch("npz");
    try {
      Path file = Files.write(dir.resolve("vit.npz"), data);
      FuzzBounds.withinBound(
          data.length,
          () -> {
            try {
              VitNpzReader.read(file);
            } catch (CheckpointFormatException | NpyFormatException expected) {
              // a typed refusal is the right outcome for corrupt input
            }
          });
    } finally {
      FuzzBounds.delete(dir);
    }
  }
}
