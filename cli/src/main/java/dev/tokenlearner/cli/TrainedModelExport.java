package dev.tokenlearner.cli;

import dev.tokenlearner.config.ExperimentConfig;
import dev.tokenlearner.export.WorkdirExport;
import dev.tokenlearner.train.FinalModel;
import java.io.IOException;
import java.nio.file.Path;

/** Joins the train and export wings: writes what a finished run hands back into its workdir. */
public final class TrainedModelExport {
  private TrainedModelExport() {}

  /**
   * Writes {@code <workdir>/saved_model} and the held-out sample ({@link WorkdirExport}).
   *
   * @param cfg the trained experiment
   * @param workdir the run's workdir
   * @param m what the run handed back
   * @return the SavedModel directory
   * @throws IOException if the model or sample cannot be written
   */
  public static Path write(ExperimentConfig cfg, Path workdir, FinalModel m) throws IOException {
    return WorkdirExport.write(
        cfg, workdir, m.params(), m.checkpoint(), m.labels(), m.sampleImages(), m.sampleLabels());
  }
}
