package dev.tokenlearner.cli.sweep;

import dev.tokenlearner.checkpoint.Checkpoints;
import dev.tokenlearner.core.HostArray;
import dev.tokenlearner.core.InvalidInputException;
import dev.tokenlearner.export.WorkdirExport;
import dev.tokenlearner.export.savedmodel.ServingModel;
import dev.tokenlearner.export.savedmodel.Signatures;
import dev.tokenlearner.graph.flops.FlopCounter;
import dev.tokenlearner.train.FinalModel;
import dev.tokenlearner.train.TrainOptions;
import dev.tokenlearner.train.TrainSummary;
import dev.tokenlearner.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Trains a sweep's models one after the other into {@code <out>/<name>/}, skipping models that
 * finished in an earlier run and resuming one that was interrupted, and rewrites {@code sweep.csv}
 * and {@code pareto.png} after each.
 */
public final class Sweep {

  /** The plot beside {@code sweep.csv}. */
  public static final String PARETO_PNG = "pareto.png";

  /** Examples per timed inference run. */
  static final int INFERENCE_BATCH = 32;

  /** Inference is timed over at least this long (after one warm-up run). */
  static final long INFERENCE_NANOS = 2_000_000_000L;

  private Sweep() {}

  /**
   * Runs the sweep.
   *
   * @param models the models, from {@link SweepPlan#models}
   * @param out the sweep folder
   * @param data a data path replacing the config's dataset, or empty
   * @param options training options (progress bar, held-out arrays)
   * @param log where progress lines go
   * @return the rows of all models, in plan order
   * @throws IOException if training or writing fails
   */
  public static List<SweepRow> run(
      List<SweepPlan.Model> models,
      Path out,
      Optional<Path> data,
      TrainOptions options,
      PrintWriter log)
      throws IOException {
    List<SweepRow> rows = new ArrayList<>();
    int i = 0;
    for (SweepPlan.Model m : models) {
      i++;
      Path dir = out.resolve(m.name());
      double gflops = FlopCounter.count(m.config()).gflops();
      SweepRow row = SweepTable.finished(dir);
      if (row != null) {
        log.printf(
            Locale.ROOT, "[%d/%d] %s: finished earlier, skipped%n", i, models.size(), m.name());
        log.flush();
      } else {
        log.printf(
            Locale.ROOT,
            "[%d/%d] %s: %s, %.4f GFLOPs%n",
            i,
            models.size(),
            m.name(),
            m.numTokens() == 0
                ? "no TokenLearner"
                : m.numTokens() + " tokens before block " + m.tokenlearnerLoc(),
            gflops);
        log.flush();
        Path workdir = dir.resolve("train");
        boolean resume = Checkpoints.latest(workdir).isPresent();
        TrainSummary s = Trainer.run(m.config(), workdir, resume, data, options);
        double accuracy =
            s.evalAccuracy()
                .orElseThrow(
                    () ->
                        new InvalidInputException(
                            m.name() + ": training ran no held-out evaluation; delete " + dir));
        FinalModel f =
            s.finalModel()
                .orElseThrow(() -> new InvalidInputException(m.name() + ": no final model"));
        Path saved =
            WorkdirExport.write(
                m.config(),
                workdir,
                f.params(),
                f.checkpoint(),
                f.labels(),
                f.sampleImages(),
                f.sampleLabels());
        row =
            new SweepRow(
                m.name(),
                m.numTokens(),
                m.tokenlearnerLoc(),
                gflops,
                accuracy,
                s.imagesPerSecond(),
                inferenceImagesPerSecond(saved));
        SweepTable.writeRow(dir, row);
        log.printf(
            Locale.ROOT,
            "      accuracy %.4f, train %.0f img/s, inference %.0f img/s%n",
            row.accuracy(),
            row.trainImagesPerSecond(),
            row.inferenceImagesPerSecond());
        log.flush();
      }
      rows.add(row);
      SweepTable.write(out.resolve(SweepTable.CSV), rows);
      ParetoPlot.write(rows, title(models.get(0)), out.resolve(PARETO_PNG));
    }
    return rows;
  }

  private static String title(SweepPlan.Model first) {
    var cfg = first.config();
    return String.format(
        Locale.ROOT,
        "%s: accuracy vs compute (%d steps)",
        first.config().source().replaceFirst(".*/", ""),
        cfg.train().numTrainingSteps().orElse(0));
  }

  /** Throughput of the exported model's {@code serving_default} on a batch of zeros. */
  static double inferenceImagesPerSecond(Path savedModel) throws IOException {
    try (ServingModel model = ServingModel.load(savedModel, INFERENCE_BATCH)) {
      long[] shape = model.inputShape(Signatures.SERVING_DEFAULT).clone();
      shape[0] = INFERENCE_BATCH;
      HostArray batch = HostArray.zeros(shape);
      model.run(Signatures.SERVING_DEFAULT, batch);
      long start = System.nanoTime();
      long runs = 0;
      long elapsed;
      do {
        model.run(Signatures.SERVING_DEFAULT, batch);
        runs++;
        elapsed = System.nanoTime() - start;
      } while (elapsed < INFERENCE_NANOS || runs < 3);
      return runs * INFERENCE_BATCH / (elapsed / 1e9);
    }
  }
}
