package dev.tokenlearner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ViTSize;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScalingBenchTest {

  // 10 M floats in 10 equal parameters; forward 100 ms, backward 200 ms.
  private static final ScalingBench.Compute COMPUTE =
      new ScalingBench.Compute(
          ViTSize.B,
          100,
          300,
          new long[] {
            1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000,
            1_000_000, 1_000_000
          });

  private static ScalingBench.Options options(long bucketBytes, double latencyMicros) {
    ScalingBench.Options d = ScalingBench.Options.defaults();
    return new ScalingBench.Options(
        d.sizes(),
        2,
        0,
        1,
        d.workers(),
        d.gigabitsPerSecond(),
        1.0,
        latencyMicros,
        1.0,
        bucketBytes);
  }

  @Test
  void predict_noOverlap_addsTheRingTimeOfEveryByte() {
    // 40 MB over 8 workers at 10 Gb/s (1.25 MB/ms): 2 * 7/8 * 40 / 1.25 = 56 ms, in 4 MB buckets.
    ScalingBench.Prediction p = ScalingBench.predict(COMPUTE, options(4_000_000, 0), 8, 10, false);

    assertEquals(300 + 56, p.stepMs(), 1e-6);
    assertEquals(300 / 356.0, p.efficiency(), 1e-9);
  }

  @Test
  void predict_overlap_hidesAllButTheLastBucketBehindTheBackwardPass() {
    // Buckets of one parameter: each is ready every 20 ms of the 200 ms backward and takes 5.6 ms,
    // so only the last one (ready at the end) adds to the step.
    ScalingBench.Prediction p = ScalingBench.predict(COMPUTE, options(4_000_000, 0), 8, 10, true);

    assertEquals(300 + 5.6, p.stepMs(), 1e-6);
  }

  @Test
  void predict_overlapWithSlowLink_isBoundByCommunication() {
    // At 0.1 Gb/s each bucket takes 560 ms: the all-reduces run back to back from the first
    // bucket's ready time (20 ms into the backward pass).
    ScalingBench.Prediction p = ScalingBench.predict(COMPUTE, options(4_000_000, 0), 8, 0.1, true);

    assertEquals(100 + 20 + 10 * 560, p.stepMs(), 1e-6);
    assertTrue(p.efficiency() < 0.06);
  }

  @Test
  void ringMs_latencyTermCountsTwoHopsPerOtherWorker() {
    assertEquals(2 * 3 * 0.05, ScalingBench.ringMs(0, 4, 1, 50), 1e-12);
    assertEquals(1, ScalingBench.predict(COMPUTE, options(1 << 20, 50), 1, 100, true).efficiency());
  }

  @Test
  void markdown_namesEveryWorkerCount() {
    String md = ScalingBench.markdown(List.of(COMPUTE), options(25L << 20, 50));

    for (int n : List.of(2, 4, 8, 16, 32, 64)) {
      assertTrue(md.contains("| " + n + " workers |") || md.contains(" " + n + " workers |"), md);
    }
    assertTrue(md.contains("| B/16 | 10,000,000 | 100 | 300 | 40 |"), md);
  }

  @Test
  void markdown_perSpeedup_dividesTheMeasuredCompute() {
    String md = ScalingBench.markdown(List.of(COMPUTE), options(25L << 20, 50), List.of(1.0, 10.0));

    assertTrue(md.contains("| B/16 | 10,000,000 | 100 | 300 | 40 |"), md);
    assertTrue(md.contains("| B/16 | 10,000,000 | 10 | 30 | 40 |"), md);
    assertTrue(md.contains("divided by 10"), md);
  }
}
