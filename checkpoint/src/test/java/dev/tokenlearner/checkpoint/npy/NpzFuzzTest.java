package dev.tokenlearner.checkpoint.npy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenlearner.core.FuzzBounds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the generic {@code .npz} reader (arrays datasets, {@code init_from} checkpoints): any byte
 * string either reads or fails with an {@link NpyFormatException}, within the allocation bound of
 * {@link FuzzBounds}. Seeds are the ViT {@code .npz} seeds.
 */
class NpzFuzzTest {

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void read_anyBytes_arraysOrTypedError(byte[] data) throws Exception {
    Path dir = FuzzBounds.scratch("npz");
    try {
      Path file = Files.write(dir.resolve("arrays.npz"), data);
      FuzzBounds.withinBound(
          data.length,
          () -> {
            try {
              Npz.read(file);
            } catch (NpyFormatException expected) {
              // a typed refusal is the right outcome for corrupt input
            }
          });
    } finally {
      FuzzBounds.delete(dir);
    }
  }
}
