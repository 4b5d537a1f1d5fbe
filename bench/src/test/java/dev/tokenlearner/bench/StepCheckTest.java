package dev.tokenlearner.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.tokenlearner.core.HostArray;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StepCheckTest {

  @Test
  void write_arrays_littleEndianFilesAndManifest(@TempDir Path dir) throws IOException {
    StepCheck.write(
        dir, Map.of("a/b/kernel", new HostArray(new long[] {2, 1}, new float[] {1.5f, -2f})));
    assertEquals("a/b/kernel 2 1\n", Files.readString(dir.resolve("manifest.txt")));
    ByteBuffer b =
        ByteBuffer.wrap(Files.readAllBytes(dir.resolve("a.b.kernel.f32")))
            .order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(1.5f, b.getFloat());
    assertEquals(-2f, b.getFloat());
    assertEquals(0, b.remaining());
  }

  @Test
  void parse_stepsLine_lossAndNormPerStep() throws IOException {
    Map<String, double[][]> m =
        StepCheck.parse(List.of("noise", "PY_STEPS xla 2.5 3 2.4 2.9 2.3 2.8 2.2 2.7"));
    assertArrayEquals(new double[] {2.4, 2.9}, m.get("xla")[1]);
    assertArrayEquals(new double[] {2.2, 2.7}, m.get("xla")[3]);
  }

  @Test
  void maxRelativeDifference_worstValueOverModes() {
    double[][] ours = {{2, 4}, {2, 4}, {2, 4}, {2, 4}};
    double[][] off = {{2, 4}, {2, 4}, {2.002, 4}, {2, 4}};
    StepCheck.Result r = new StepCheck.Result(ours, Map.of("graph", ours, "xla", off));
    assertEquals(1e-3, r.maxRelativeDifference(), 1e-12);
    assertTrue(!r.agrees());
  }

  /** Runs only where Python with TensorFlow is installed ({@code TOKENLEARNER_PYTHON}). */
  @Test
  void run_pythonInstalled_sameLossesAndNormsAsPython() throws IOException {
    assumeTrue(PythonReference.probe().isEmpty(), "Python TensorFlow not installed");
    StepCheck.Result r = StepCheck.run();
    assertEquals(2, r.python().size(), r.python().keySet().toString());
    assertTrue(r.agrees(), r.describe());
    // The update moved the weights: a later loss differs from the first.
    assertTrue(Math.abs(r.ours()[3][0] - r.ours()[0][0]) > 1e-4, r.describe());
  }
}
