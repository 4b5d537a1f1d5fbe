package dev.tokenlearner.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.train.summary.MetricsLog;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainInputBenchTest {

  @Test
  void timedImagesPerSecond_cumulativeRates_giveTheRateAfterTheFirstSummary() {
    // Step 10 after 2 s of step time (320 img/s so far), step 60 after 7 s: 50 steps in 5 s.
    List<MetricsLog.Row> rows =
        List.of(
            new MetricsLog.Row(10, "train", "loss", 2.3),
            new MetricsLog.Row(10, "train", "images_per_second", 320),
            new MetricsLog.Row(60, "train", "images_per_second", 60 * 64 / 7.0),
            new MetricsLog.Row(60, "eval", "images_per_second", 1));
    assertEquals(640, TrainInputBench.timedImagesPerSecond(rows, 10, 64), 1e-9);
  }

  @Test
  void timedImagesPerSecond_oneSummary_isRejected() {
    List<MetricsLog.Row> rows = List.of(new MetricsLog.Row(10, "train", "images_per_second", 3));
    assertThrows(
        IllegalArgumentException.class, () -> TrainInputBench.timedImagesPerSecond(rows, 10, 64));
  }

  @Test
  void properties_parsesVariants() {
    assertEquals(0, TrainInputBench.properties("-").size());
    List<String[]> p = TrainInputBench.properties("a.b=shared;c=1");
    assertEquals(2, p.size());
    assertEquals("a.b", p.get(0)[0]);
    assertEquals("shared", p.get(0)[1]);
    assertEquals("1", p.get(1)[1]);
    assertThrows(IllegalArgumentException.class, () -> TrainInputBench.properties("novalue"));
  }

  @Test
  void config_isTheNearFreeModelAndThePythonPeerBuildsIt() {
    ExperimentConfig c = TrainInputBench.config(10, 64, 10, 60);
    assertEquals(32, c.model().hiddenSize());
    assertEquals(1, c.model().numLayers());
    assertEquals(4, c.model().tokenizer().numTokens());
    List<String> args = PythonModelArgs.of(c, 64, ModelRunner.Kind.TRAIN_STEP);
    String joined = String.join(" ", args);
    assertTrue(joined.contains("--patch 32"), joined);
    assertTrue(joined.contains("--tokens 4 --loc 0"), joined);
    assertTrue(joined.contains("--side 224"), joined);
    assertTrue(joined.contains("--lr-factors constant"), joined);
  }
}
