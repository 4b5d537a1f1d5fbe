package dev.tokenlearner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tokenlearner.cli.sweep.ParetoPlot;
import dev.tokenlearner.cli.sweep.SweepPlan;
import dev.tokenlearner.cli.sweep.SweepRow;
import dev.tokenlearner.cli.sweep.SweepTable;
import dev.tokenlearner.config.ConfigLoader;
import dev.tokenlearner.core.InvalidInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sweep on the tiny config with a few steps: the table, the plot and a resumed rerun. */
class SweepCommandTest {

  private static CliRun run(String... args) {
    return CliRun.of(args);
  }

  private static Path tinyConfig(Path tmp) throws IOException {
    String tiny = Files.readString(Path.of("../configs/tiny.yaml"));
    Path cfg = tmp.resolve("tiny_sweep.yaml");
    Files.writeString(
        cfg,
        tiny.replace("batch_size: 64", "batch_size: 8")
            .replace("eval_batch_size: 128", "eval_batch_size: 16")
            .replace("num_train_examples: 6400", "num_train_examples: 64")
            .replace("num_eval_examples: 1280", "num_eval_examples: 32"));
    return cfg;
  }

  @Test
  void sweep_tinyConfigTwoLocations_writesRowsPlotAndSkipsFinishedOnRerun(@TempDir Path tmp)
      throws IOException {
    Path cfg = tinyConfig(tmp);
    Path out = tmp.resolve("sweep");
    String[] args = {
      "sweep",
      "--config",
      cfg.toString(),
      "--tokens",
      "4",
      "--locations",
      "1/2,3",
      "--steps",
      "3",
      "--out",
      out.toString()
    };

    CliRun r = run(args);

    assertEquals(0, r.code(), r.err());
    List<SweepRow> rows = SweepTable.read(out.resolve("sweep.csv"));
    assertEquals(
        List.of("plain", "tl4_loc2", "tl4_loc3"), rows.stream().map(SweepRow::name).toList());
    assertEquals(List.of(0, 4, 4), rows.stream().map(SweepRow::numTokens).toList());
    assertEquals(List.of(-1, 2, 3), rows.stream().map(SweepRow::tokenlearnerLoc).toList());
    // 64 patches become 4 tokens: the earlier the TokenLearner, the cheaper the model
    assertTrue(rows.get(1).gflops() < rows.get(2).gflops(), rows.toString());
    assertTrue(rows.get(2).gflops() < rows.get(0).gflops(), rows.toString());
    for (SweepRow row : rows) {
      assertTrue(row.accuracy() >= 0 && row.accuracy() <= 1, row.toString());
      assertTrue(row.trainImagesPerSecond() > 0 && row.inferenceImagesPerSecond() > 0);
    }
    BufferedImage png = Pictures.read(out.resolve("pareto.png"));
    assertEquals(ParetoPlot.WIDTH, png.getWidth());
    assertEquals(ParetoPlot.HEIGHT, png.getHeight());

    String before = Files.readString(out.resolve("sweep.csv"));
    CliRun again = run(args);

    assertEquals(0, again.code(), again.err());
    assertEquals(3, again.out().split("finished earlier, skipped", -1).length - 1, again.out());
    assertEquals(before, Files.readString(out.resolve("sweep.csv")));

    // Another step budget in the same folder would mix two budgets in one table: refused first.
    String[] otherSteps = args.clone();
    otherSteps[8] = "5";
    CliRun refused = run(otherSteps);

    assertEquals(1, refused.code(), refused.err());
    assertTrue(refused.err().contains("steps was '3', now '5'"), refused.err());
    assertEquals(before, Files.readString(out.resolve("sweep.csv")));
  }

  @Test
  void front_dominatedModelsLeftOut() {
    SweepRow plain = new SweepRow("plain", 0, -1, 1.0, 0.80, 1, 1);
    SweepRow cheapGood = new SweepRow("a", 8, 2, 0.5, 0.81, 1, 1);
    SweepRow cheapBad = new SweepRow("b", 8, 1, 0.4, 0.70, 1, 1);
    SweepRow worse = new SweepRow("c", 16, 3, 0.7, 0.79, 1, 1);

    assertEquals(
        List.of(cheapBad, cheapGood), ParetoPlot.front(List.of(plain, cheapGood, cheapBad, worse)));
  }

  @Test
  void locations_fractionsAndIndices_roundToBlocksAndRejectOutOfRange() {
    assertEquals(List.of(2, 3, 5), SweepPlan.locations(List.of("1/4", "1/2", "3/4"), 6));
    assertEquals(List.of(1, 3), SweepPlan.locations(List.of("1", "3", "1/2"), 6));
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            InvalidInputException.class, () -> SweepPlan.locations(List.of("6"), 6));
    assertTrue(e.getMessage().contains("0..5"), e.getMessage());
  }

  @Test
  void withSteps_shortensScheduleEvaluationAndCheckpoints() throws IOException {
    var cfg = SweepPlan.withSteps(ConfigLoader.loadNamed("fashion_mnist"), 200);

    assertEquals(200, cfg.train().numTrainingSteps().getAsLong());
    assertEquals(200, cfg.train().logEvalSteps().getAsInt());
    assertEquals(200, cfg.train().checkpointSteps().getAsInt());
    assertEquals(20, cfg.train().logSummarySteps().getAsInt());
  }
}
