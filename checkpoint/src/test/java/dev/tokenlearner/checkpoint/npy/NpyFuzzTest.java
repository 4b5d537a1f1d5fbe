package dev.tokenlearner.checkpoint.npy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.tokenlearner.core.FuzzBounds;
import java.io.ByteArrayInputStream;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;

/**
 * Fuzzes the {@code .npy} reader: any byte string either reads or fails with an {@link
 * NpyFormatException}, within the allocation bound of {@link FuzzBounds}.
 */
class NpyFuzzTest {

  @FuzzTest(maxDuration = "20s")
  @Timeout(value = 10, unit = TimeUnit.SECONDS)
  void read_anyBytes_arrayOrTypedError(byte[] data) throws Exception {
    FuzzBounds.withinBound(
        data.length,
        () -> {
          try {
            Npy.read(new ByteArrayInputStream(data), data.length, "fuzz.npy");
          } catch (NpyFormatException expected) {
            // a typed refusal is the right outcome for corrupt input
          }
          try {
            ByteArrayInputStream in = new ByteArrayInputStream(data);
            NpyHeader h = Npy.readHeader(in, data.length, "fuzz.npy");
            Npy.readLongs(in, h, data.length, "fuzz.npy");
          } catch (NpyFormatException expected) {
            // as above
          }
        });
  }
}
